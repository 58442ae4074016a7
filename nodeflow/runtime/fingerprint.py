"""Node fingerprints: when a stored output may be reused instead of re-running a node.

A node's fingerprint covers its type, its parameters, the modification stamp of
every file or folder it reads, and the fingerprints of its inputs, so editing a
node (or anything upstream of it, or a file it reads) changes it.  The engine
keys stored outputs by it and the editor compares it with what a run left behind
to tell "executed" from "configured"; both call :func:`node_keys`, so the two
can never disagree.  Standard library only: computing fingerprints needs neither
NumPy nor TensorFlow nor Qt.
"""

from __future__ import annotations

import hashlib
import json
import os

from nodeflow import __version__
from nodeflow.core.params import FileParam
from nodeflow.core.workflow import Workflow


def node_keys(workflow: Workflow, base_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """Fingerprint of every node of ``workflow``: node id -> 24 hex digits.

    Relative file parameters are resolved against ``base_dir`` when given (e.g. the
    folder a snapshot of an unsaved workflow is run from), else against the
    workflow's own ``base_dir``.  Nodes on a cycle, or downstream of one, have no
    fingerprint (such a workflow cannot run) and are left out.
    """
    base = os.fspath(base_dir) if base_dir is not None else workflow.base_dir
    keys: dict[str, str] = {}
    on_cycle: set[str] = set()
    for start in workflow.nodes:
        if start in keys or start in on_cycle:
            continue
        # depth first, iteratively: a node's key needs its sources' keys first
        path: list[str] = []
        stack: list[tuple[str, bool]] = [(start, False)]
        while stack:
            node_id, sources_done = stack.pop()
            sources = [e.source for e in workflow.incoming(node_id) if e.source in workflow.nodes]
            if sources_done:
                path.remove(node_id)
                if node_id in on_cycle or any(s in on_cycle for s in sources):
                    on_cycle.add(node_id)  # downstream of a cycle: cannot run either
                else:
                    keys[node_id] = _key(workflow, node_id, keys, base)
                continue
            if node_id in keys or node_id in on_cycle:
                continue
            if node_id in path:  # reached again while its own sources are pending: a cycle
                on_cycle.update(path[path.index(node_id):])
                continue
            path.append(node_id)
            stack.append((node_id, True))
            stack.extend((s, False) for s in sources if s not in keys)
    return keys


def _key(workflow: Workflow, node_id: str, keys: dict[str, str], base_dir: str | None) -> str:
    node = workflow.nodes[node_id]
    spec = workflow.spec(node_id)
    params = dict(node.params)
    files = []
    if spec is not None:
        for name, value in sorted(spec.resolve(node.params).items()):
            param = spec.param(name)
            if isinstance(param, FileParam) and isinstance(value, str):
                path = _resolve(value, base_dir)
                if name in params:  # the file it names, however the path is spelled
                    params[name] = path
                if param.mode != "save":
                    files.append([path, *stamp(path)])
    inputs = [[e.target_port, e.source_port, keys.get(e.source, f"missing {e.source}")]
              for e in workflow.incoming(node_id)]
    text = json.dumps([__version__, node.type, params, files, inputs], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _resolve(value: str, base_dir: str | None) -> str:
    """As ``Workflow.resolve_path``, against an explicit base folder."""
    if os.path.isabs(value) or base_dir is None:
        return value
    return os.path.normpath(os.path.join(base_dir, value))


def stamp(path: str) -> list:
    """Modification time and size of a file, or the newest time and file count below a folder."""
    try:
        stat = os.stat(path)
    except OSError:
        return [None, None]
    if not os.path.isdir(path):
        return [stat.st_mtime_ns, stat.st_size]
    newest, count = stat.st_mtime_ns, 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            count += 1
            try:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime_ns)
            except OSError:
                pass
    return [newest, count]
