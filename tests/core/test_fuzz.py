"""Fuzz and property tests: a corrupted .nflow file ends in a clean validation error.

The requirement: randomly corrupted variants of a valid workflow file (truncated,
wrong types, missing keys, huge numbers, unknown versions, ...) each end in a
clean validation error, never a traceback.  "Clean" means:

* ``loads`` raises :class:`WorkflowFileError` whose ``problems`` is a non-empty
  list of :class:`Problem`, each with a non-empty text; or
* ``loads`` returns a workflow and ``validate`` returns a list of Problems
  (empty when the corruption happened to be harmless), ``dumps`` writes it
  (a faulty workflow can always be saved, also into another folder), and
  loading that text again raises nothing but :class:`WorkflowFileError`.

Any other exception is a bug.  Every text handed to the user (problem messages,
saved text) must also be encodable as UTF-8, since the CLI prints it and
``save`` encodes it.

Three parts: 1,000 deterministic seeded variants of ``tests/data/small_mlp.nflow`` (a
small valid workflow with a file path, nested choices and labels; kept here so that
changes to the examples do not change what is fuzzed)
(variant ``i`` is made by ``random.Random(SEED + i)`` alone, so a failure names a
reproducible seed), Hypothesis tests that put arbitrary JSON values into
parameters and other fields, and one ``nodeflow validate`` run over a sample of
the variants.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodeflow.core import VERSION, Problem, WorkflowFileError, dumps, load, loads, validate
from tests.conftest import ROOT, WORKFLOWS

BASE_FILE = ROOT / "tests" / "data" / "small_mlp.nflow"
BASE_BYTES = BASE_FILE.read_bytes()
BASE_DOC = json.loads(BASE_BYTES)
BASE_DIR = str(WORKFLOWS)  # where the base file's "../resources/..." path makes sense

SEED = 20_240_611  # variant i is made by random.Random(SEED + i)
N_VARIANTS = 1000
CHUNK = 50

REJECTED = "rejected"  # loads raised WorkflowFileError
PROBLEMS = "problems"  # loaded; validate reported problems
ACCEPTED = "accepted"  # loaded and valid: the mutation was harmless


# --------------------------------------------------------------------------- the clean property
def _check_problems(problems: Any, what: str) -> None:
    assert isinstance(problems, list), f"{what}: expected a list of problems, got {problems!r}"
    for problem in problems:
        assert isinstance(problem, Problem), f"{what}: expected a Problem, got {problem!r}"
        text = str(problem)
        assert text.strip(), f"{what}: a problem with an empty message: {problem!r}"
        text.encode("utf-8")  # the CLI prints it


def examine(data: str | bytes, *, other_dir: str | None = None) -> str:
    """Run the whole load / validate / save / reload cycle; return the outcome.

    Raises whatever the library raises that is not a clean report, or an
    AssertionError when a report is malformed.
    """
    try:
        workflow = loads(data, base_dir=BASE_DIR)
    except WorkflowFileError as exc:
        assert exc.problems, "WorkflowFileError without problems"
        _check_problems(exc.problems, "loads")
        str(exc).encode("utf-8")
        return REJECTED
    problems = validate(workflow)
    _check_problems(problems, "validate")
    clone = workflow.copy()  # what every editor command does first; must never fail
    assert clone.nodes.keys() == workflow.nodes.keys() and clone.edges == workflow.edges

    # a faulty workflow can always be saved: in its own folder and "save as" elsewhere
    text = dumps(workflow)
    assert isinstance(text, str) and text.endswith("\n")
    dumps(workflow, base_dir=other_dir or os.path.join(BASE_DIR, "elsewhere"))
    text.encode("utf-8")  # what save() writes
    try:
        again = loads(text, base_dir=BASE_DIR)
    except WorkflowFileError as exc:
        assert exc.problems, "WorkflowFileError without problems (reloading dumped text)"
        _check_problems(exc.problems, "reload")
    else:
        _check_problems(validate(again), "validate after reload")
    return PROBLEMS if problems else ACCEPTED


# --------------------------------------------------------------------------- JSON tree helpers
Path_ = tuple  # a path into the document: keys and list indices


def _walk(value: Any, path: Path_ = ()) -> list[Path_]:
    """Every path below ``value`` (not the root itself), parents first."""
    out: list[Path_] = []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return out
    for key, child in items:
        out.append(path + (key,))
        out += _walk(child, path + (key,))
    return out


def _get(doc: Any, path: Path_) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _set(doc: Any, path: Path_, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _show(path: Path_) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text or "<document>"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return type(value).__name__


class Literals:
    """Placeholders in the document replaced by raw text after serialising.

    This is how text that ``json.dumps`` would never write gets in: ``NaN``,
    ``1e400``, 5000-digit integers, 100,000 nested brackets, ``\\ud800`` escapes.
    """

    def __init__(self) -> None:
        self.raw: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        marker = f"@@fuzz{len(self.raw)}@@"
        self.raw[marker] = text
        return marker

    def render(self, doc: Any) -> bytes:
        text = json.dumps(doc, indent=2, ensure_ascii=False)
        for marker, raw in self.raw.items():
            text = text.replace(json.dumps(marker), raw)  # a placeholder value
            text = text.replace(marker, raw)  # inside a string or a key
        return text.encode("utf-8")


# --------------------------------------------------------------------------- mutations
# Text-level mutations take and return bytes; tree mutations change the parsed
# document in place and return a note saying what they did.

LAST_BRACE = BASE_BYTES.rindex(b"}")
BAD_BYTES = (b"\xff", b"\xfe", b"\x80", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
             b"\xe2\x82", b"\xc0\xaf", b"\x00", b"\xef\xbb\xbf", b"{", b"}", b"[", b"]", b",",
             b":", b'"', b"\\", b"\n", b"null", b"-", b"1e", b"0x1")


def m_truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    cut = rng.randrange(0, LAST_BRACE)
    return data[:cut], f"truncate at byte {cut}"


def m_byte_flip(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    buf = bytearray(data)
    notes = []
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(len(buf))
        bit = 1 << rng.randrange(8)
        buf[pos] ^= bit
        notes.append(f"{pos}^{bit:#x}")
    return bytes(buf), "flip " + ",".join(notes)


def m_byte_insert(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    buf = bytearray(data)
    notes = []
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(buf) + 1)
        if rng.random() < 0.5:
            piece = rng.choice(BAD_BYTES)
        else:
            piece = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        buf[pos:pos] = piece
        notes.append(f"{pos}+{piece!r}")
    return bytes(buf), "insert " + ",".join(notes)


def m_byte_delete(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    buf = bytearray(data)
    notes = []
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(buf))
        size = rng.choice((1, 1, 2, 3, rng.randint(4, 40)))
        del buf[pos:pos + size]
        notes.append(f"{pos}-{size}")
    return bytes(buf), "delete " + ",".join(notes)


KEY_LINE = re.compile(rb'(?m)^ *"[a-z]+": [^\n]*,\n')


def m_duplicate_key(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Repeat a ``"key": value,`` line of ``data`` itself: JSON parsers would silently keep
    only the last."""
    start = rng.choice([m.start() for m in KEY_LINE.finditer(data)])
    end = data.index(b"\n", start) + 1
    line = data[start:end]
    if rng.random() < 0.5:  # same value, or another one
        line = re.sub(rb": .*,", b": null,", line)
    return data[:end] + line + data[end:], f"repeat line {data[start:end].strip()!r} as {line.strip()!r}"


def _random_text(rng: random.Random, size: int = 0) -> str:
    alphabet = "abcxyz_019 .-/\\\"'\t\n\u00e9\u00df\u4e2d\U0001f600\u202e\u0000{}[]:,"
    return "".join(rng.choice(alphabet) for _ in range(size or rng.randint(0, 12)))


def _value_of_other_type(current: Any, rng: random.Random) -> Any:
    pool = [
        None, True, False, 0, 1, -1, 7, -(2 ** 63), 2 ** 64, 0.0, 0.5, -3.25, 1e-300,
        "", "x", "relu", "keras.layers.Dense", "input_1.output", _random_text(rng),
        [], [1, "a", None], [4], [[[]]], [[[1]], [[2, [3]]]],
        {}, {"a": 1}, {"name": "he_normal"}, {"name": "he_normal", "args": {"seed": "x"}},
        {"id": "dense_1", "type": "keras.layers.Dense"}, {"from": 1, "to": []},
    ]
    kind = _json_type(current)
    return rng.choice([v for v in pool if _json_type(v) != kind])


def t_delete_key(doc: Any, rng: random.Random, lit: Literals) -> str:
    paths = [p for p in _walk(doc) if isinstance(_get(doc, p[:-1]), dict)]
    path = rng.choice(paths)
    del _get(doc, path[:-1])[path[-1]]
    return f"delete {_show(path)}"


def t_wrong_type(doc: Any, rng: random.Random, lit: Literals) -> str:
    paths = _walk(doc)
    if rng.random() < 0.5:  # half of the time a parameter value, to exercise the typed checks
        paths = [p for p in paths if len(p) > 3 and p[2] == "params"]
    path = rng.choice(paths)
    value = _value_of_other_type(_get(doc, path), rng)
    _set(doc, path, value)
    return f"{_show(path)} = {json.dumps(value)[:60]}"


def _number_paths(doc: Any) -> list[Path_]:
    return [p for p in _walk(doc)
            if isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)]


def t_huge_number(doc: Any, rng: random.Random, lit: Literals) -> str:
    paths = _number_paths(doc) if rng.random() < 0.6 else _walk(doc)
    path = rng.choice(paths)
    choice = rng.randrange(12)
    value: Any = [
        10 ** 400, -(10 ** 400), 10 ** 4000, -1e308, 1.7976931348623157e308, 2 ** 63, 2 ** 64 + 1,
        lit("1e400"), lit("-1e400"), lit("9" * 5000), lit("-" + "1" * 5000), lit("1e-400"),
    ][choice]
    _set(doc, path, value)
    shown = lit.raw.get(value, value) if isinstance(value, str) else value
    return f"{_show(path)} = {str(shown)[:40]} ({len(str(shown))} chars)"


VERSIONS = (0, -1, VERSION + 1, 999, "1", 1.5, True, None, False, 1.0, 10 ** 400, "v1", [1], {}, -(2 ** 70))


def t_bad_version(doc: Any, rng: random.Random, lit: Literals) -> str:
    if rng.random() < 0.1:
        del doc["version"]
        return "delete version"
    doc["version"] = rng.choice(VERSIONS)
    return f"version = {json.dumps(doc['version'])[:40]}"


FORMATS = ("", "nodeflow", "nodeflow.workflow ", " nodeflow.workflow", "NodeFlow.Workflow",
           "nodeflow.workflows", "nodeflow-workflow", "knime.workflow", "nodeflow.workflow\u0000",
           None, 1, True, ["nodeflow.workflow"], {"name": "nodeflow.workflow"})


def t_bad_format(doc: Any, rng: random.Random, lit: Literals) -> str:
    if rng.random() < 0.1:
        del doc["format"]
        return "delete format"
    doc["format"] = rng.choice(FORMATS)
    return f"format = {json.dumps(doc['format'])}"


def t_duplicate_id(doc: Any, rng: random.Random, lit: Literals) -> str:
    nodes = doc["nodes"]
    if rng.random() < 0.3:
        twin = copy.deepcopy(rng.choice(nodes))
        nodes.insert(rng.randrange(len(nodes) + 1), twin)
        return f"second node with id {twin['id']}"
    i, j = rng.sample(range(len(nodes)), 2)
    nodes[j]["id"] = nodes[i]["id"]
    return f"nodes[{j}].id = {nodes[i]['id']}"


def t_bad_edge(doc: Any, rng: random.Random, lit: Literals) -> str:
    edges = doc["edges"]
    ids = [n["id"] for n in doc["nodes"]]
    choice = rng.randrange(6)
    if choice == 0:  # a new edge from or to a node that does not exist
        edge = rng.choice([{"from": "ghost_1.output", "to": "dense_2.input"},
                           {"from": "input_1.output", "to": "ghost_2.input"},
                           {"from": "ghost_1.output", "to": "ghost_2.input"}])
        edges.insert(rng.randrange(len(edges) + 1), edge)
        return f"add edge {edge}"
    if choice == 1:  # a port that does not exist
        edge = rng.choice(edges)
        key = rng.choice(("from", "to"))
        edge[key] = f"{rng.choice(ids)}.{rng.choice(('nope', 'outputs', 'Input', 'table', 'x'))}"
        return f"edge {key} = {edge[key]}"
    if choice == 2:  # an endpoint that is not "node.port"
        edge = rng.choice(edges)
        key = rng.choice(("from", "to"))
        edge[key] = rng.choice(["dense_1", "dense_1.output.x", ".output", "dense_1.", "", "1x.output",
                                "dense 1.output", "dense_1 .output", 42, None, ["dense_1", "output"],
                                {"node": "dense_1", "port": "output"}])
        return f"edge {key} = {json.dumps(edge[key])}"
    if choice == 3:  # reversed, or onto itself
        edge = rng.choice(edges)
        if rng.random() < 0.5:
            edge["from"], edge["to"] = edge["to"], edge["from"]
            return f"reverse edge {edge}"
        node = edge["from"].split(".")[0]
        edge["to"] = f"{node}.input"
        return f"self edge {edge}"
    if choice == 4:  # a key too many or too few
        edge = rng.choice(edges)
        if rng.random() < 0.5:
            edge[rng.choice(("label", "from ", "To", "via"))] = "dense_1.output"
        else:
            del edge[rng.choice(("from", "to"))]
        return f"edge = {edge}"
    # a node removed while its edges stay
    linked = [i for i, n in enumerate(doc["nodes"])
              if any(n["id"] in (e["from"].split(".")[0], e["to"].split(".")[0]) for e in edges)]
    i = rng.choice(linked)
    removed = doc["nodes"].pop(i)
    return f"remove node {removed['id']} keeping its edges"


NON_FINITE = ("NaN", "Infinity", "-Infinity", "nan", "inf", "-inf", "+Infinity", "NaN1", "Infinityx")


def t_nan_literal(doc: Any, rng: random.Random, lit: Literals) -> str:
    paths = _number_paths(doc) if rng.random() < 0.7 else _walk(doc)
    path = rng.choice(paths)
    raw = rng.choice(NON_FINITE)
    _set(doc, path, lit(raw))
    return f"{_show(path)} = {raw}"


def _param_paths(doc: Any) -> list[Path_]:
    """Existing parameters, and a new one of each node (known name or not)."""
    paths = []
    for i, node in enumerate(doc["nodes"]):
        params = node.get("params")
        if isinstance(params, dict):
            paths += [("nodes", i, "params", name) for name in params]
            paths.append(("nodes", i, "params", "noise_shape" if i % 2 else "zz_unknown"))
    return paths


def t_deep_nesting(doc: Any, rng: random.Random, lit: Literals) -> str:
    path = rng.choice(_param_paths(doc))
    depth = rng.choice((100_000, 100_000, 100_000, 20_000, 2_000, 300, 50))
    opening, closing, inner = rng.choice((("[", "]", ""), ('{"a": ', "}", "1"), ("[1, ", "]", "")))
    _set(doc, path, lit(opening * depth + inner + closing * depth))
    return f"{_show(path)} = {opening!r} * {depth}"


def t_long_string(doc: Any, rng: random.Random, lit: Literals) -> str:
    size = rng.choice((10_000, 100_000, 1_000_000))
    if rng.random() < 0.5:
        text = rng.choice("aZ_9 .\u00e9\U0001f600\\\"\n") * size
    else:
        text = _random_text(rng, size)
    strings = [p for p in _walk(doc) if isinstance(_get(doc, p), str)]
    if rng.random() < 0.75:
        path = rng.choice(strings)
        _set(doc, path, text)
        return f"{_show(path)} = {text[:10]!r}... ({size} chars)"
    # a long key instead
    parent_path = rng.choice([p[:-1] for p in _walk(doc) if isinstance(_get(doc, p[:-1]), dict)])
    _get(doc, parent_path)[text] = 1
    return f"{_show(parent_path)} gets a key of {size} chars"


def t_long_id(doc: Any, rng: random.Random, lit: Literals) -> str:
    """A valid identifier beyond the id length limit, its edges renamed with it."""
    node = rng.choice(doc["nodes"])
    old, new = node["id"], "n" * rng.choice((101, 255, 300, 5_000, 100_000))
    node["id"] = new
    for edge in doc.get("edges", []):
        for key in ("from", "to"):
            if edge[key].split(".")[0] == old:
                edge[key] = new + "." + edge[key].split(".", 1)[1]
    return f"id {old} becomes {len(new)} characters long"


def t_deep_value(doc: Any, rng: random.Random, lit: Literals) -> str:
    """Parameter values nested deeper than validation allows but shallow enough to parse."""
    path = rng.choice(_param_paths(doc))
    depth = rng.choice((33, 100, 490, 990))
    opening, closing = rng.choice((("[", "]"), ('{"a": ', "}")))
    _set(doc, path, lit(opening * depth + "1" + closing * depth))  # raw: json.dumps would recurse
    return f"{_show(path)} nested {depth} levels"


def t_unknown_key(doc: Any, rng: random.Random, lit: Literals) -> str:
    dicts = [()] + [p for p in _walk(doc) if isinstance(_get(doc, p), dict)]
    path = rng.choice(dicts)
    key = rng.choice(("extra", "Version", "nodes ", "id2", "", "\u00fcber", "__proto__", "params_",
                      "parameters", "seed_", "unit"))
    _get(doc, path)[key] = _value_of_other_type(object(), rng)
    return f"{_show(path)} gets key {key!r}"


def t_wrong_root(doc: Any, rng: random.Random, lit: Literals) -> str:
    raise AssertionError("handled in make_variant")  # pragma: no cover


ROOTS = ("[]", "null", "0", "1", "true", '"nodeflow.workflow"', "{}", '{"format": "nodeflow.workflow"}',
         '{"format": "nodeflow.workflow", "version": 1}', " ", "", "\ufeff{}", "[{}]", "{}{}", "{} x")


def t_lone_surrogate(doc: Any, rng: random.Random, lit: Literals) -> str:
    """A ``\\udXXX`` escape in a string or key: valid JSON, not encodable as UTF-8."""
    escape = rng.choice(("\\ud800", "\\udfff", "\\udc80", "\\ud83d", "\\ude00x"))
    marker = lit(escape)
    strings = [p for p in _walk(doc) if isinstance(_get(doc, p), str)]
    if rng.random() < 0.7:
        path = rng.choice(strings)
        old = _get(doc, path)
        cut = rng.randint(0, len(old))
        _set(doc, path, old[:cut] + marker + old[cut:])
        return f"{_show(path)} gets {escape}"
    parent_path = rng.choice([()] + [p for p in _walk(doc) if isinstance(_get(doc, p), dict)])
    _get(doc, parent_path)["k" + marker] = 1
    return f"{_show(parent_path)} gets key k{escape}"


COMBINABLE = (t_delete_key, t_wrong_type, t_huge_number, t_bad_edge, t_unknown_key, t_duplicate_id)


def t_combo(doc: Any, rng: random.Random, lit: Literals) -> str:
    notes = []
    for _ in range(rng.randint(2, 4)):
        mutate = rng.choice(COMBINABLE)
        try:
            notes.append(mutate(doc, rng, lit))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            notes.append(f"({mutate.__name__} not applicable)")  # an earlier step broke the shape
    return "; ".join(notes)


TEXT_KINDS = {
    "truncate": m_truncate,
    "byte_flip": m_byte_flip,
    "byte_insert": m_byte_insert,
    "byte_delete": m_byte_delete,
    "duplicate_key": m_duplicate_key,
}
TREE_KINDS = {
    "delete_key": t_delete_key,
    "wrong_type": t_wrong_type,
    "huge_number": t_huge_number,
    "bad_version": t_bad_version,
    "bad_format": t_bad_format,
    "duplicate_id": t_duplicate_id,
    "bad_edge": t_bad_edge,
    "nan_literal": t_nan_literal,
    "deep_nesting": t_deep_nesting,
    "long_string": t_long_string,
    "unknown_key": t_unknown_key,
    "wrong_root": t_wrong_root,
    "lone_surrogate": t_lone_surrogate,
    "combo": t_combo,
    "long_id": t_long_id,
    "deep_value": t_deep_value,
}
KINDS = tuple(TEXT_KINDS) + tuple(TREE_KINDS)

# kinds that by design can never load, and kinds that must always be reported somehow
ALWAYS_REJECTED = {"truncate", "duplicate_key", "bad_version", "bad_format", "duplicate_id", "nan_literal",
                   "wrong_root", "lone_surrogate"}
ALWAYS_REPORTED = ALWAYS_REJECTED | {"bad_edge", "unknown_key", "long_id", "deep_value"}


@dataclass(frozen=True)
class Variant:
    index: int
    kind: str
    data: bytes
    note: str

    def __str__(self) -> str:
        return f"variant {self.index} (random.Random({SEED} + {self.index}), {self.kind}: {self.note[:200]})"


@functools.lru_cache(maxsize=None)
def make_variant(index: int) -> Variant:
    return mutate(BASE_BYTES, index)


def mutate(base: bytes, index: int) -> Variant:
    """Variant ``index`` of the workflow file ``base`` (made by ``random.Random(SEED + index)``)."""
    rng = random.Random(SEED + index)
    kind = KINDS[index % len(KINDS)]
    if kind in TEXT_KINDS:
        data, note = TEXT_KINDS[kind](base, rng)
    elif kind == "wrong_root":
        raw = rng.choice(ROOTS)
        data, note = raw.encode("utf-8"), f"document = {raw!r}"
    else:
        doc = json.loads(base)
        lit = Literals()
        note = TREE_KINDS[kind](doc, rng, lit)
        data = lit.render(doc)
    return Variant(index, kind, data, note)


@functools.lru_cache(maxsize=None)
def outcome(index: int) -> str:
    variant = make_variant(index)
    try:
        return examine(variant.data)
    except Exception as exc:
        raise AssertionError(f"{variant} did not end in a clean report: "
                             f"{type(exc).__name__}: {str(exc)[:300]}") from exc


# --------------------------------------------------------------------------- 1. seeded variants
def test_mutator_is_deterministic_and_corrupts():
    assert make_variant.__wrapped__(7) == make_variant(7)
    assert {make_variant(i).kind for i in range(len(KINDS))} == set(KINDS)
    assert all(make_variant(i).data != BASE_BYTES for i in range(0, N_VARIANTS, 7))
    assert examine(BASE_BYTES) == ACCEPTED  # the unmutated file is valid


@pytest.mark.parametrize("start", range(0, N_VARIANTS, CHUNK),
                         ids=lambda s: f"variants_{s:04d}-{s + CHUNK - 1:04d}")
def test_corrupted_variants_end_in_clean_report(start):
    failures = []
    for index in range(start, start + CHUNK):
        try:
            outcome(index)
        except AssertionError as exc:
            failures.append(exc)
    if failures:  # all failing variants of the chunk, with the first one's traceback
        raise AssertionError(f"{len(failures)} of {CHUNK} variants failed:\n"
                             + "\n".join(str(exc) for exc in failures)) from failures[0].__cause__


def test_most_variants_are_reported():
    """The fuzzing is not vacuous: corruptions are seen, and the certain ones always."""
    results = {i: outcome(i) for i in range(N_VARIANTS)}
    counts = Counter(results.values())
    reported = counts[REJECTED] + counts[PROBLEMS]
    assert reported >= 0.8 * N_VARIANTS, counts
    assert counts[REJECTED] >= 0.3 * N_VARIANTS and counts[PROBLEMS] >= 0.1 * N_VARIANTS, counts
    for i, result in results.items():
        variant = make_variant(i)
        if variant.kind in ALWAYS_REJECTED:
            assert result == REJECTED, f"{variant}: expected loads() to reject it, got {result}"
        if variant.kind in ALWAYS_REPORTED:
            assert result != ACCEPTED, f"{variant}: expected a problem, got a valid workflow"


EXAMPLES = sorted(WORKFLOWS.glob("*.nflow"))
PER_EXAMPLE = 2 * len(KINDS)  # every kind twice per example file: a few seconds in all


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_variants_of_every_example_end_in_clean_report(example):
    base = example.read_bytes()
    assert examine(base) == ACCEPTED  # the example itself is valid
    failures = []
    for index in range(PER_EXAMPLE):
        variant = mutate(base, index)
        try:
            result = examine(variant.data)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{example.name} {variant}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        if variant.kind in ALWAYS_REPORTED and result == ACCEPTED:
            failures.append(f"{example.name} {variant}: expected a problem, got a valid workflow")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- 2. hypothesis
json_scalars = (st.none() | st.booleans() | st.integers()
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                      max_size=4),
    max_leaves=20,
)
NEAR_MISSES = st.sampled_from([
    0, 1, -1, 3, 16, 0.5, 1.0, 0.999, 2 ** 31, "", " ", "\x00", "relu", "softmax", "he_normal",
    "glorot_uniform", "utf-8", ",", "../resources/data/iris.csv", "/abs/path.csv", ".", [4],
    [None], [4, None], [0], [], ["NA", "NA"], {"name": "he_normal", "args": {"seed": 1}},
    {"name": "he_normal", "args": {"seed": -1}}, {"name": "random_normal", "args": {"stddev": 0.1}},
    {"name": "he_normal", "args": {"nope": 1}}, {"name": "nope"}, "dense_1.output", "dense_1.input",
    "keras.layers.Dense", "data.CsvReader", "dense_1", [0.0, 0.0], [1e9, 0],
])
any_value = json_values | NEAR_MISSES

PARAM_NAMES = ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
               "kernel_regularizer", "kernel_constraint", "lora_rank", "lora_alpha", "rate", "seed",
               "noise_shape", "shape", "batch_size", "dtype", "sparse", "path", "delimiter",
               "has_header", "encoding", "skip_rows", "missing_values", "zz_unknown")
SLOTS: list[Path_] = (
    [(key,) for key in ("format", "version", "description", "nodes", "edges", "extra")]
    + [("nodes", i, key) for i in range(len(BASE_DOC["nodes"]))
       for key in ("id", "type", "label", "annotation", "position", "params")]
    + [("nodes", i, "params", name) for i in range(len(BASE_DOC["nodes"])) for name in PARAM_NAMES]
    + [("nodes", 2, "params", "kernel_initializer", "args", "seed"),
       ("nodes", 2, "params", "kernel_initializer", "args", "stddev"),
       ("nodes", 2, "params", "kernel_initializer", "name")]
    + [("edges", j) for j in range(len(BASE_DOC["edges"]))]
    + [("edges", j, key) for j in range(len(BASE_DOC["edges"])) for key in ("from", "to")]
)


def _render(doc: Any) -> bytes:
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(SLOTS), any_value), min_size=1, max_size=3))
def test_arbitrary_values_in_fields_end_in_clean_report(changes):
    doc = copy.deepcopy(BASE_DOC)
    for path, value in changes:
        try:
            parent = _get(doc, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced the container
        if isinstance(parent, dict) or (isinstance(parent, list) and isinstance(path[-1], int)
                                        and path[-1] < len(parent)):
            parent[path[-1]] = value
    examine(_render(doc))


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {"format": st.just("nodeflow.workflow"), "version": st.just(1)},
        optional={
            "description": any_value,
            "nodes": st.lists(
                st.dictionaries(st.sampled_from(("id", "type", "label", "annotation", "position",
                                                 "params", "extra")), any_value)
                | st.fixed_dictionaries(
                    {"id": st.sampled_from(("input_1", "dense_1", "dense_2", "x")),
                     "type": st.sampled_from(("keras.layers.Input", "keras.layers.Dense",
                                              "keras.layers.Dropout", "data.CsvReader", "x.Y"))},
                    optional={"params": st.dictionaries(st.sampled_from(PARAM_NAMES), any_value),
                              "position": any_value}),
                max_size=4),
            "edges": st.lists(
                st.fixed_dictionaries({"from": any_value, "to": any_value})
                | st.fixed_dictionaries({
                    "from": st.sampled_from(("input_1.output", "dense_1.output", "dense_2.output",
                                             "x.output", "input_1.input")),
                    "to": st.sampled_from(("dense_1.input", "dense_2.input", "x.input",
                                           "input_1.output"))}),
                max_size=4),
            "extra": any_value,
        },
    )
)
def test_arbitrary_documents_end_in_clean_report(doc):
    examine(_render(doc))


# --------------------------------------------------------------------------- 3. the CLI
def test_cli_validate_reports_variants_without_traceback(tmp_path):
    sample = sorted(random.Random(SEED).sample(range(N_VARIANTS), 30))
    files: list[Path] = []
    expected: dict[str, str] = {}
    for i in sample:
        path = tmp_path / f"variant_{i:04d}.nflow"
        path.write_bytes(make_variant(i).data)
        files.append(path)
        try:
            expected[str(path)] = PROBLEMS if validate(load(path)) else ACCEPTED
        except WorkflowFileError:
            expected[str(path)] = REJECTED
    assert REJECTED in expected.values() and PROBLEMS in expected.values()

    result = subprocess.run([sys.executable, "-m", "nodeflow", "validate", *map(str, files)],
                            capture_output=True, text=True, errors="replace", cwd=ROOT, timeout=120)

    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == (0 if set(expected.values()) == {ACCEPTED} else 3), result.stderr
    lines = result.stdout.splitlines()
    assert result.stdout.startswith(str(files[0]))
    for path, kind in expected.items():
        own = [line for line in lines if line.startswith(path + ": ")]
        assert own, f"no output for {path} ({kind})"
        if kind == ACCEPTED:
            assert own[-1].startswith(path + ": valid (")
        else:
            assert not any(line.startswith(path + ": valid (") for line in own), own


# --------------------------------------------------------------------------- lone surrogates
# JSON allows "\ud800" (half of a UTF-16 pair, not a character).  Such a string
# cannot be written as UTF-8: when loads() accepted it, `nodeflow validate` died
# with a UnicodeEncodeError traceback printing the problem, and save() died
# encoding the file.  Now loads() rejects the file.
SURROGATE_TYPE = BASE_BYTES.replace(b'"keras.layers.Dense"', b'"keras.layers.Dense\\ud800"', 1)
SURROGATE_PATH = BASE_BYTES.replace(b'"../resources/data/iris.csv"', b'"\\ud800.csv"', 1)
SURROGATE_KEY = BASE_BYTES.replace(b'"version"', b'"v\\udfff": 1,\n  "version"', 1)


@pytest.mark.parametrize("data", [SURROGATE_TYPE, SURROGATE_PATH, SURROGATE_KEY],
                         ids=["node_type", "file_param", "top_level_key"])
def test_lone_surrogate_escape_is_rejected(data):
    assert examine(data) == REJECTED


def test_cli_lone_surrogate_without_traceback(tmp_path):
    path = tmp_path / "surrogate.nflow"
    path.write_bytes(SURROGATE_TYPE)
    result = subprocess.run([sys.executable, "-m", "nodeflow", "validate", str(path)],
                            capture_output=True, text=True, errors="replace", cwd=ROOT, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 3 and result.stdout.startswith(f"{path}: "), result.stdout
