"""What a writer left on disk: the stamps of the files and folders a node writes.

A node writes what its file parameters of mode ``"save"`` name (the model writers, the
CSV writer).  Such a node is reused like any other when its fingerprint is unchanged,
but only while everything it wrote is still as it left it: the engine records these
stamps after the node ran and compares them before reusing it.  A deleted, replaced or
touched output makes the node run again; an unchanged one is not written a second time,
so a fully cached run loads no model (and imports no TensorFlow) just to rewrite it.
"""

from __future__ import annotations

import os

from nodeflow.core.params import FileParam
from nodeflow.core.workflow import Workflow

from .fingerprint import stamp


def written_stamps(workflow: Workflow, node_id: str) -> dict[str, list]:
    """Absolute path -> stamp (see :func:`.fingerprint.stamp`) of everything ``node_id``
    writes; empty for a node that writes no files."""
    return {path: stamp(path) for path in written_paths(workflow, node_id)}


def written_paths(workflow: Workflow, node_id: str) -> list[str]:
    """Absolute paths of the files and folders ``node_id`` writes (its file parameters of
    mode ``"save"``)."""
    spec = workflow.spec(node_id)
    if spec is None:
        return []
    values = spec.resolve(workflow.nodes[node_id].params)
    paths = []
    for param in spec.params:
        value = values.get(param.name)
        if isinstance(param, FileParam) and param.mode == "save" and isinstance(value, str) and value:
            paths.append(os.path.abspath(os.path.expanduser(workflow.resolve_path(value))))
    return paths


def is_writer_temp(target: str, name: str) -> bool:
    """Whether ``name``, beside ``target``, is a temp file or staging folder a writer of
    ``target`` makes (``.<name>.<random>.tmp``, ``.<stem>.<random>.tmp.keras``)."""
    base = os.path.basename(target)
    stem = os.path.splitext(base)[0]
    return (name.startswith(f".{base}.") and ".tmp" in name) or \
        (name.startswith(f".{stem}.") and name.endswith(".tmp.keras"))
