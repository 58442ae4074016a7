"""Which workflows the user allowed to read and write outside their folder, on this machine.

The store is ``nodeflow/trusted.json`` in the user's configuration folder
(``$XDG_CONFIG_HOME``, else ``%APPDATA%`` on Windows, else ``~/.config``).  It maps a
workflow file's absolute path (links resolved) to the outside paths the user accepted
for it (:func:`nodeflow.core.outside.outside_paths`, as node, parameter, reads/writes
and path).  Trust covers exactly those: when an edit or a new version of the file reads
or writes anything else, the user is asked again (and what they accept then is added).
Running part of a workflow needs only its own paths accepted.  A workflow that stays
inside its folder needs no trust.

A damaged or unreadable store trusts nothing (the user is asked again); it is never
a reason to fail a run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from .atomic_write import write_bytes
from .outside import OutsidePath

VERSION = 1


def store_path() -> Path:
    """The trust store's file (it need not exist)."""
    base = os.environ.get("XDG_CONFIG_HOME") or (os.environ.get("APPDATA") if os.name == "nt" else None)
    return Path(base or Path.home() / ".config") / "nodeflow" / "trusted.json"


def _key(workflow_file: str | os.PathLike) -> str:
    return os.path.realpath(workflow_file)


def _entries(items: Iterable[OutsidePath]) -> list[list[str]]:
    return sorted([i.node, i.param, i.access, i.path] for i in items)


def _read() -> dict[str, list]:
    try:
        doc = json.loads(store_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    workflows = doc.get("workflows") if isinstance(doc, dict) else None
    return workflows if isinstance(workflows, dict) else {}


def is_trusted(workflow_file: str | os.PathLike | None, items: Iterable[OutsidePath]) -> bool:
    """Whether running the workflow with these outside paths needs no question: there are
    none, or the user accepted each of them for this file."""
    entries = _entries(items)
    if not entries:
        return True
    if workflow_file is None:
        return False
    accepted = _read().get(_key(workflow_file))
    return isinstance(accepted, list) and all(entry in accepted for entry in entries)


def trust(workflow_file: str | os.PathLike, items: Iterable[OutsidePath]) -> None:
    """Record that the user accepted these outside paths for this workflow file (besides
    those accepted before)."""
    workflows = _read()
    before = workflows.get(_key(workflow_file))
    before = [tuple(e) for e in before if isinstance(e, list) and len(e) == 4
              and all(isinstance(x, str) for x in e)] if isinstance(before, list) else []
    workflows[_key(workflow_file)] = [list(e) for e in sorted({*before, *map(tuple, _entries(items))})]
    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": VERSION, "workflows": workflows}, indent=2, sort_keys=True)
    write_bytes(path, (text + "\n").encode("utf-8"))
