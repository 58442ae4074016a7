"""The .nflow workflow file: UTF-8 JSON, stable and diff-friendly.

Reading is plain JSON parsing followed by a structural check; a node's ``type``
is looked up in the registry, never imported, so loading a file never runs code
from it.  Every structural problem of a file is reported together as a
:class:`WorkflowFileError`; problems of meaning (unknown node types, bad
parameter values, dangling edges) load fine and are reported by
:func:`nodeflow.core.validation.validate`, so a faulty workflow still opens.

Writing produces one canonical text for one workflow (fixed key order, only
non-default parameters, file paths below the workflow folder made relative), so
``save(load(f))`` reproduces a NodeFlow-written file byte for byte.  Saving is
atomic: a temporary file beside the target is written, fsynced and renamed.

See docs/file-format.md for the format itself.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from .atomic_write import write_bytes
from .errors import Problem, WorkflowFileError, expected_got, show_value
from .params import FileParam
from .ports import IDENTIFIER
from .registry import Registry
from .workflow import Backdrop, Edge, Node, Workflow

FORMAT = "nodeflow.workflow"
VERSION = 3
SUFFIX = ".nflow"
MAX_BYTES = 64 * 1024 * 1024  # a workflow is a small file; refuse to parse anything huge

# Upgrade steps: MIGRATIONS[n] turns a version-n document (a dict) into version n+1.
# Add one here whenever VERSION is raised; loading applies them in order.
def _v1_to_v2(doc: dict) -> dict:
    """Version 2 added the optional ``backdrops`` list; a version-1 file has none."""
    return doc


def _v2_to_v3(doc: dict) -> dict:
    """Version 3 made the Keras Network Learner's ``xla`` and ``mixed_precision`` switches
    choices of auto / on / off: a written ``true`` becomes "on", ``false`` "off".  An omitted
    one (the old default, off) takes the new default, auto, deliberately: these settings
    change how fast a network trains, not what it learns (beyond float16 rounding)."""
    nodes = doc.get("nodes")
    for node in nodes if isinstance(nodes, list) else ():
        params = node.get("params") if isinstance(node, dict) else None
        if not isinstance(params, dict) or node.get("type") != "learn.NetworkLearner":
            continue
        for name in ("xla", "mixed_precision"):
            if isinstance(params.get(name), bool):
                params[name] = "on" if params[name] else "off"
    return doc


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2, 2: _v2_to_v3}

TOP_KEYS = ("format", "version", "description", "nodes", "edges", "backdrops")
BACKDROP_KEYS = ("id", "text", "position", "size")
NODE_KEYS = ("id", "type", "label", "annotation", "position", "params")
EDGE_KEYS = ("from", "to")


# --------------------------------------------------------------------------- reading
def load(path: str | os.PathLike, registry: Registry | None = None) -> Workflow:
    """Read a workflow file; raises :class:`WorkflowFileError` naming the file."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise WorkflowFileError(
                Problem(None, None, f"expected a workflow file of at most {MAX_BYTES} bytes, "
                                    f"got {size} bytes"), source)
        data = path.read_bytes()
    except OSError as exc:
        raise WorkflowFileError(Problem(None, None, f"cannot read the file: {exc.strerror or exc}"),
                                source) from None
    return loads(data, base_dir=path.parent, registry=registry, source=source)


def loads(
    text: str | bytes,
    *,
    base_dir: str | os.PathLike | None = None,
    registry: Registry | None = None,
    source: str | None = None,
) -> Workflow:
    """Parse workflow text; relative file paths in it refer to ``base_dir``."""
    doc = _parse_json(text, source)
    problems: list[Problem] = []
    doc = _upgrade(doc, problems)
    if problems:
        raise WorkflowFileError(problems, source)
    _check_structure(doc, problems)
    if problems:
        raise WorkflowFileError(problems, source)
    return _build(doc, base_dir, registry)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a workflow file")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """Refuse a repeated key: JSON parsers keep the last one and the rest is silently lost."""
    doc = {}
    for key, value in pairs:
        if key in doc:
            raise ValueError(f"the key {json.dumps(key)} appears twice in one object")
        doc[key] = value
    return doc


def _parse_json(text: str | bytes, source: str | None) -> Any:
    if len(text) > MAX_BYTES:
        raise WorkflowFileError(
            Problem(None, None, f"expected a workflow file of at most {MAX_BYTES} bytes, "
                                f"got {len(text)}"), source)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise WorkflowFileError(
                Problem(None, f"byte {exc.start}", "expected UTF-8 text, got an invalid byte"),
                source) from None
    text = text.removeprefix("\ufeff")
    try:
        doc = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float,
                         object_pairs_hook=_unique_keys)
        # "\ud800" escapes decode to lone surrogates, which no UTF-8 file can hold
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
        return doc
    except UnicodeEncodeError:
        raise WorkflowFileError(
            Problem(None, None, "invalid JSON: expected text, got a lone UTF-16 surrogate escape "
                                "such as \\ud800"), source) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise WorkflowFileError(Problem(None, where, f"invalid JSON: {exc.msg}"), source) from None
    except ValueError as exc:  # NaN, inf, a repeated key, an integer of more than 4300 digits
        raise WorkflowFileError(Problem(None, None, f"invalid JSON: {exc}"), source) from None
    except RecursionError:
        raise WorkflowFileError(Problem(None, None, "invalid JSON: nested too deeply"),
                                source) from None


def _upgrade(doc: Any, problems: list[Problem]) -> Any:
    """Check format and version, then apply the migrations up to :data:`VERSION`."""
    if not isinstance(doc, dict):
        problems.append(Problem(None, "document", f"expected a JSON object, got {_kind(doc)}"))
        return doc
    if doc.get("format") != FORMAT:
        problems.append(Problem(None, "format", expected_got(json.dumps(FORMAT), doc.get("format"))))
        return doc
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(Problem(None, "version", expected_got("an integer >= 1", version)))
        return doc
    if version > VERSION:
        problems.append(Problem(
            None, "version",
            f"this file was written by a newer NodeFlow (file format version {version}); "
            f"this NodeFlow reads versions 1 to {VERSION}; please upgrade NodeFlow"))
        return doc
    while version < VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            problems.append(Problem(None, "version",
                                    f"no migration from file format version {version} to {version + 1}"))
            return doc
        doc = step(dict(doc))
        version += 1
        doc["version"] = version
    return doc


def _kind(value: Any) -> str:
    """A value's JSON type, for messages about structure."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _check_structure(doc: dict, problems: list[Problem]) -> None:
    def bad(where: str, expected: str, found: Any, node: str | None = None) -> None:
        """Numbers and texts are quoted as found; anything else is named by its JSON type."""
        scalar = isinstance(found, (int, float, str)) and not isinstance(found, bool)
        message = expected_got(expected, found) if scalar else f"expected {expected}, got {_kind(found)}"
        problems.append(Problem(node, where, message))

    for key in doc:
        if key not in TOP_KEYS:
            problems.append(Problem(None, key, f"unknown key; expected one of: {', '.join(TOP_KEYS)}"))
    if "description" in doc and not isinstance(doc["description"], (str, type(None))):
        bad("description", "a text", doc["description"])
    nodes = doc.get("nodes")
    if not isinstance(nodes, list):
        bad("nodes", "a list of nodes", nodes)
        nodes = []
    ids: set[str] = set()
    for i, node in enumerate(nodes):
        where = f"nodes[{i}]"
        if not isinstance(node, dict):
            bad(where, "a node object", node)
            continue
        node_id = node.get("id")
        label = node_id if isinstance(node_id, str) and IDENTIFIER.fullmatch(node_id) else None
        if label is None:
            bad(f"{where}.id", "an identifier such as dense_1", node_id)
        elif node_id in ids:
            problems.append(Problem(node_id, "id", "expected a unique id, got a second node with it"))
        else:
            ids.add(node_id)
        prefix = where if label is None else None
        sub = (lambda key: f"{prefix}.{key}") if prefix else (lambda key: key)
        for key in node:
            if key not in NODE_KEYS:
                problems.append(Problem(label, sub(key),
                                        f"unknown key; expected one of: {', '.join(NODE_KEYS)}"))
        if not isinstance(node.get("type"), str) or not node.get("type"):
            bad(sub("type"), "a node type such as keras.layers.Dense", node.get("type"), label)
        for key in ("label", "annotation"):
            if key in node and not isinstance(node[key], (str, type(None))):
                bad(sub(key), "a text", node[key], label)
        if "position" in node:
            pos = node["position"]
            if not (isinstance(pos, list) and len(pos) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                            and abs(v) < 1e9 for v in pos)):
                problems.append(Problem(label, sub("position"),
                                        "expected [x, y] with two numbers of magnitude < 1e9, got "
                                        + show_value(pos)))
        if "params" in node and not isinstance(node["params"], dict):
            bad(sub("params"), "an object of parameter values", node["params"], label)
    edges = doc.get("edges", [])
    if not isinstance(edges, list):
        bad("edges", "a list of edges", edges)
        edges = []
    for i, edge in enumerate(edges):
        where = f"edges[{i}]"
        if not isinstance(edge, dict) or set(edge) != set(EDGE_KEYS):
            problems.append(Problem(None, where,
                                    'expected {"from": "node.port", "to": "node.port"}, got '
                                    + show_value(edge)))
            continue
        for key in EDGE_KEYS:
            if _endpoint(edge[key]) is None:
                problems.append(Problem(None, f"{where}.{key}",
                                        expected_got('"node_id.port_name"', edge[key])))
    backdrops = doc.get("backdrops", [])
    if not isinstance(backdrops, list):
        bad("backdrops", "a list of backdrops", backdrops)
        backdrops = []
    backdrop_ids: set[str] = set()
    for i, item in enumerate(backdrops):
        where = f"backdrops[{i}]"
        if not isinstance(item, dict) or not set(item) <= set(BACKDROP_KEYS) or "id" not in item:
            problems.append(Problem(None, where, 'expected {"id": ..., "text": ..., "position": [x, y], '
                                                 '"size": [w, h]}, got ' + show_value(item)))
            continue
        if not isinstance(item["id"], str) or not IDENTIFIER.fullmatch(item["id"]) \
                or item["id"] in backdrop_ids:
            bad(f"{where}.id", "a unique identifier such as note_1", item["id"])
        else:
            backdrop_ids.add(item["id"])
        if not isinstance(item.get("text", ""), str):
            bad(f"{where}.text", "a text", item.get("text"))
        for key, low in (("position", -1e9), ("size", 0.0)):
            pair = item.get(key, [0.0, 0.0] if key == "position" else [1.0, 1.0])
            if not (isinstance(pair, list) and len(pair) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) and low < v < 1e9
                            for v in pair)):
                problems.append(Problem(None, f"{where}.{key}",
                                        f"expected two numbers{' > 0' if key == 'size' else ''}, got "
                                        + show_value(pair)))


def _endpoint(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str) or value.count(".") != 1:
        return None
    node, port = value.split(".")
    if IDENTIFIER.fullmatch(node) and IDENTIFIER.fullmatch(port):
        return node, port
    return None


def _build(doc: dict, base_dir: str | os.PathLike | None, registry: Registry | None) -> Workflow:
    workflow = Workflow(registry, doc.get("description"))
    workflow.base_dir = os.path.abspath(base_dir) if base_dir is not None else None
    for raw in doc["nodes"]:
        x, y = raw.get("position", (0.0, 0.0))
        workflow.insert_node(Node(raw["id"], raw["type"], dict(raw.get("params", {})),
                                  (float(x), float(y)), raw.get("label"), raw.get("annotation")))
    for raw in doc.get("edges", []):
        (src, src_port), (dst, dst_port) = _endpoint(raw["from"]), _endpoint(raw["to"])
        workflow.insert_edge(Edge(src, src_port, dst, dst_port))
    for raw in doc.get("backdrops", []):
        x, y = raw.get("position", (0.0, 0.0))
        w, h = raw.get("size", (300.0, 200.0))
        workflow.insert_backdrop(Backdrop(raw["id"], raw.get("text", ""), (float(x), float(y)),
                                          (float(w), float(h))))
    return workflow


def _stored_path(value: str, old_base: str | None, new_base: str | None) -> str:
    """How a file parameter is written when the workflow is saved into ``new_base``.

    A relative path stays as written while the workflow stays in its folder; on
    "save as" elsewhere it is rebased.  An absolute path below the new folder
    becomes relative (POSIX separators); any other absolute path stays absolute.
    """
    if new_base is None:
        return value
    if not os.path.isabs(value):
        if old_base is None or os.path.abspath(old_base) == os.path.abspath(new_base):
            return value
        value = os.path.normpath(os.path.join(old_base, value))
    base = os.path.abspath(new_base)
    try:
        rel = os.path.relpath(value, base)
    except ValueError:  # another drive on Windows
        return value
    if rel == os.curdir or rel.split(os.sep)[0] == os.pardir:
        return value
    return PurePosixPath(*Path(rel).parts).as_posix()


# --------------------------------------------------------------------------- writing
def to_document(workflow: Workflow, base_dir: str | os.PathLike | None = None) -> dict:
    """The canonical JSON document of a workflow (what :func:`dumps` writes)."""
    doc: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    if workflow.description:
        doc["description"] = workflow.description
    nodes = []
    for node in workflow:
        entry: dict[str, Any] = {"id": node.id, "type": node.type}
        if node.label:
            entry["label"] = node.label
        if node.annotation:
            entry["annotation"] = node.annotation
        entry["position"] = [float(node.position[0]), float(node.position[1])]
        entry["params"] = _params_document(workflow, node, base_dir)
        nodes.append(entry)
    doc["nodes"] = nodes
    doc["edges"] = [
        {"from": f"{e.source}.{e.source_port}", "to": f"{e.target}.{e.target_port}"}
        for e in workflow.edges
    ]
    if workflow.backdrops:
        doc["backdrops"] = [
            {"id": b.id, "text": b.text, "position": [float(b.position[0]), float(b.position[1])],
             "size": [float(b.size[0]), float(b.size[1])]}
            for b in workflow.backdrops
        ]
    return doc


def _params_document(workflow: Workflow, node: Node, base_dir) -> dict[str, Any]:
    spec = workflow.registry.get(node.type)
    if spec is None:  # keep what we cannot interpret, in a stable order
        return {k: node.params[k] for k in sorted(node.params)}
    out: dict[str, Any] = {}
    for param in spec.params:  # declared order, defaults dropped
        if param.name not in node.params:
            continue
        value = node.params[param.name]
        if not param.check(value):
            if param.is_default(value):
                continue
            value = param.canonical(value)
            if isinstance(param, FileParam):
                value = _stored_path(value, workflow.base_dir, base_dir)
        out[param.name] = value
    for name in sorted(set(node.params) - set(out) - {p.name for p in spec.params}):
        out[name] = node.params[name]  # unknown parameters survive a save
    return out


def dumps(workflow: Workflow, base_dir: str | os.PathLike | None = None) -> str:
    """Canonical text: two-space indent, one node key / parameter / edge per line.

    ``base_dir`` is the folder the text will be stored in (file paths are written
    relative to it); by default the workflow's own folder.
    """
    if base_dir is None:
        base_dir = workflow.base_dir
    return _format(to_document(workflow, base_dir)) + "\n"


def _inline(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _format(doc: dict) -> str:
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "nodes":
            lines.append('  "nodes": [' + ("" if value else f"]{comma}"))
            for j, node in enumerate(value):
                lines += _format_node(node, last=j == len(value) - 1)
            if value:
                lines.append(f"  ]{comma}")
        elif key in ("edges", "backdrops"):  # one entry per line
            lines.append(f'  "{key}": [' + ("" if value else f"]{comma}"))
            for j, entry in enumerate(value):
                lines.append("    " + _inline(entry) + ("," if j < len(value) - 1 else ""))
            if value:
                lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {_inline(key)}: {_inline(value)}{comma}")
    lines.append("}")
    return "\n".join(lines)


def _format_node(node: dict, last: bool) -> list[str]:
    lines = ["    {"]
    items = list(node.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "params" and value:
            lines.append('      "params": {')
            params = list(value.items())
            for j, (name, pval) in enumerate(params):
                pcomma = "," if j < len(params) - 1 else ""
                lines.append(f"        {_inline(name)}: {_inline(pval)}{pcomma}")
            lines.append("      }" + comma)
        else:
            lines.append(f"      {_inline(key)}: {_inline(value)}{comma}")
    lines.append("    }" + ("" if last else ","))
    return lines


def save(workflow: Workflow, path: str | os.PathLike) -> None:
    """Write atomically: a crash mid-save leaves the previous file intact.  A symbolic link
    at ``path`` stays a link: the file it names gets the new text (see
    :mod:`nodeflow.core.atomic_write`), and file paths are still stored relative to the
    link's folder, the folder the workflow is opened from."""
    path = Path(path)
    base_dir = os.path.abspath(path.parent)
    text = dumps(workflow, base_dir=base_dir).encode("utf-8")
    write_bytes(path, text)
    _adopt_stored_paths(workflow, base_dir)


def _adopt_stored_paths(workflow: Workflow, new_base: str) -> None:
    """After a save into ``new_base``, hold file paths as written, relative to the new folder
    (through the workflow's own editing method, so views showing the path hear of it)."""
    for node in list(workflow):
        spec = workflow.registry.get(node.type)
        for name, value in list(node.params.items()):
            param = spec.param(name) if spec else None
            if isinstance(param, FileParam) and not param.check(value):
                stored = _stored_path(value, workflow.base_dir, new_base)
                if stored != value:
                    workflow.set_param(node.id, name, stored, check=False)
    workflow.base_dir = new_base
