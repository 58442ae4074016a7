"""Node fingerprints: when a stored output may be reused instead of re-running a node.

A node's fingerprint covers its type, its parameters, the modification stamp of
every file or folder it reads, and the fingerprints of its inputs, so editing a
node (or anything upstream of it, or a file it reads) changes it.  The engine
keys stored outputs by it and the editor compares it with what a run left behind
to tell "executed" from "configured"; both call :func:`node_keys`, so the two
can never disagree.  Standard library only: computing fingerprints needs neither
NumPy nor TensorFlow nor Qt.

A file's stamp (:func:`stamp`) is its modification time, its size and, for a regular
file of up to ``HASH_LIMIT`` bytes (64 MiB), a SHA-256 of its content, so a file
rewritten in place with the same size and time is noticed.  A larger file (or a
special one) is not read: its stamp adds the inode number and the status-change time
(``st_ctime_ns``, which no program can set back), so replacing or rewriting it is
noticed on every file system that keeps them.  Hashes are computed once per process
for a file whose path, size, times and inode are unchanged (the editor's status
lights fingerprint often).  A folder (an image folder of 200,000 files) is never
hashed: its stamp is the newest modification time below it and the file count.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat as stat_module

from nodeflow import __version__
from nodeflow.core.params import FileParam
from nodeflow.core.workflow import Workflow, resolve_against


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
                path = resolve_against(base_dir, value)
                if name in params:  # the file it names, however the path is spelled
                    params[name] = path
                if param.mode != "save":
                    files.append([path, *stamp(path)])
    inputs = [[e.target_port, e.source_port, keys.get(e.source, f"missing {e.source}")]
              for e in workflow.incoming(node_id)]
    text = json.dumps([__version__, node.type, params, files, inputs], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


HASH_LIMIT = 64 * 2**20  # files up to this size are stamped with a hash of their content
_hashes: dict[tuple, str | None] = {}  # (path, size, mtime_ns, ctime_ns, inode) -> sha256


def stamp(path: str) -> list:
    """What tells whether a file or folder changed (see the module docstring):
    ``[mtime_ns, size, "sha256:..."]`` for a file up to ``HASH_LIMIT``,
    ``[mtime_ns, size, ctime_ns, inode]`` for a larger or special file, and the newest
    time and file count below a folder; ``[None, None]`` when it is missing."""
    try:
        stat = os.stat(path)
    except OSError:
        return [None, None]
    if stat_module.S_ISDIR(stat.st_mode):
        return _folder_stamp(path, stat)
    if stat_module.S_ISREG(stat.st_mode) and stat.st_size <= HASH_LIMIT:
        digest = _content_hash(path, stat)
        if digest is not None:
            return [stat.st_mtime_ns, stat.st_size, digest]
    return [stat.st_mtime_ns, stat.st_size, stat.st_ctime_ns, stat.st_ino]


def _content_hash(path: str, stat: os.stat_result) -> str | None:
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    if key not in _hashes:
        try:
            with open(path, "rb") as handle:
                _hashes[key] = "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None
    return _hashes[key]


def _folder_stamp(path: str, stat: os.stat_result) -> list:
    newest, count = stat.st_mtime_ns, 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            count += 1
            try:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime_ns)
            except OSError:
                pass
    return [newest, count]
