"""Files and folders a workflow reads or writes outside its own folder.

A workflow file from someone else may point a writer (``if_exists: overwrite``) at
``../../victim/precious.txt`` or a reader at ``/etc/passwd``.  Such paths are allowed
(data often lives elsewhere), but they are shown before a run of a workflow that is not
yet trusted on this machine (see :mod:`nodeflow.core.trust`): the editor asks, ``nodeflow
run`` refuses without ``--allow-outside``, ``nodeflow validate`` lists them.

Every path a node's file parameters name is resolved as the node will use it (relative
paths against the workflow's folder), with ``..`` and symbolic links resolved, so a link
inside the folder that leads out of it counts as outside.  Whether the node reads or
writes the path comes from its spec (:attr:`nodeflow.core.params.FileParam.access`).
Reading NodeFlow's own bundled ``resources/`` (sample data, the examples' base models)
is not listed: those files ship with NodeFlow itself; writing there is.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from .params import FileParam
from .workflow import Workflow, resolve_against

BUNDLED = os.path.realpath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "resources"))


@dataclass(frozen=True, order=True)
class OutsidePath:
    """One file parameter whose path resolves outside the workflow's folder."""

    node: str
    param: str
    access: str  # "reads" | "writes"
    path: str  # absolute, links and ".." resolved

    def __str__(self) -> str:
        return f"node {self.node}: {self.param}: {self.access} {self.path}"


def resolve(folder: str | os.PathLike | None, value: str) -> str:
    """``value`` as the absolute path a node touches: joined to ``folder`` (the current
    directory when None) and normalized as the runtime does
    (:meth:`nodeflow.core.workflow.Workflow.resolve_path`: ``..`` is removed from the text
    first), then with symbolic links resolved, as the system follows them on opening."""
    return os.path.realpath(os.path.abspath(resolve_against(folder and os.fspath(folder), value)))


def is_outside(folder: str | os.PathLike, resolved: str) -> bool:
    """Whether the resolved path lies outside ``folder`` (itself resolved first)."""
    root = os.path.realpath(folder)
    try:
        return os.path.commonpath([root, resolved]) != root
    except ValueError:  # another drive on Windows
        return True


def is_listed(folder: str | os.PathLike, access: str, resolved: str) -> bool:
    """Whether a node that ``access``-es (reads / writes) the resolved path must be listed:
    it lies outside ``folder`` and is not a read of NodeFlow's bundled resources."""
    return is_outside(folder, resolved) and (access == "writes" or is_outside(BUNDLED, resolved))


def outside_paths(workflow: Workflow, nodes: Iterable[str] | None = None) -> list[OutsidePath]:
    """Every path the workflow's nodes (those in ``nodes``; all when None) read or write
    outside the workflow's folder, in node order.

    A workflow without a folder (never saved) has no outside: it was made here.  Values a
    parameter does not accept are skipped (validation refuses them before any run)."""
    if workflow.base_dir is None:
        return []
    folder = workflow.base_dir
    wanted = None if nodes is None else set(nodes)
    found: list[OutsidePath] = []
    for node in workflow:
        if wanted is not None and node.id not in wanted:
            continue
        spec = workflow.registry.get(node.type)
        for param in spec.params if spec is not None else ():
            if not isinstance(param, FileParam):
                continue
            value = node.params.get(param.name, param.default)
            if not isinstance(value, str) or param.check(value):
                continue
            path = resolve(folder, value)
            if is_listed(folder, param.access, path):
                found.append(OutsidePath(node.id, param.name, param.access, path))
    return found


def report(items: Iterable[OutsidePath]) -> list[str]:
    """The paths as aligned lines ``node  parameter  reads|writes  path`` for a terminal."""
    rows = [(i.node, i.param, i.access, i.path) for i in items]
    if not rows:
        return []
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    return ["  ".join(r[c].ljust(widths[c]) for c in range(3)) + "  " + r[3] for r in rows]
