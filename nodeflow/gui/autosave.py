"""Autosave and recovery of unsaved work.

While the workflow has unsaved changes, the editor writes it every ``INTERVAL_MS``
(30 s) and before each Execute to an autosave file in the user's data folder
(``QStandardPaths.AppDataLocation``/autosave), never over the user's own file.  The
autosave remembers the file the work belongs to, so a restore reopens it as
"modified, belongs to <path>" and Save writes the user's file as usual.

Each editor session owns one autosave file and holds a lock file beside it while it
runs (:class:`QLockFile` notices when the process that held a lock is gone).  An
autosave whose lock nobody holds is the work of a session that crashed or was
killed: the next start offers to restore it.  A clean close removes the session's
files, and so does saving (nothing unsaved is left to recover).  Editors running at
the same time each keep their own.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from nodeflow.core.errors import Problem, WorkflowFileError
from nodeflow.core.fileformat import dumps, loads
from nodeflow.core.workflow import Workflow

from .document import WorkflowDocument

FORMAT = "nodeflow.autosave"
VERSION = 1
INTERVAL_MS = 30_000
SUFFIX = ".autosave"  # <session id>.autosave, with <session id>.lock beside it


def default_folder() -> Path:
    """``<user data folder>/autosave`` (e.g. ~/.local/share/NodeFlow/autosave on Linux)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)) / "autosave"


def _lock_for(file: Path) -> QLockFile:
    lock = QLockFile(str(file.with_suffix(".lock")))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however old it is
    return lock


def write_atomically(path: Path, text: str) -> None:
    """Temporary file beside the target, fsync, rename: a crash mid-write keeps the last autosave."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@dataclass
class Recovered:
    """Work a session that did not close left in an autosave file."""

    file: Path
    workflow: Workflow
    path: Path | None  # the workflow file the work belongs to; None when it was untitled
    saved_at: float  # when it was autosaved (seconds since the epoch)
    lock: QLockFile  # held while the user decides, so no other editor offers it too

    def drop(self) -> None:
        """Remove the autosave (restored or discarded) and its lock."""
        self.file.unlink(missing_ok=True)
        self.lock.unlock()


def read_autosave(file: Path) -> tuple[Workflow, Path | None, float]:
    """The workflow, the file it belongs to and the autosave time (raises WorkflowFileError)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"expected a {FORMAT} file")
        path = Path(document["path"]) if document.get("path") else None
        base_dir = document.get("base_dir")
        return loads(document["workflow"], base_dir=base_dir, source=str(file)), path, \
            float(document.get("saved", 0.0))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WorkflowFileError(Problem(None, None, f"cannot read the autosave: {exc}"), str(file)) from None


def orphans(folder: Path | None = None) -> list[Recovered]:
    """Autosaves of sessions that are gone (crashed or killed), newest first, each locked for
    the caller.  Files that cannot be read are skipped (and left alone)."""
    folder = Path(folder) if folder is not None else default_folder()
    found = []
    for file in folder.glob(f"*{SUFFIX}"):
        lock = _lock_for(file)
        if not lock.tryLock(0):  # its editor still runs
            continue
        try:
            workflow, path, saved_at = read_autosave(file)
        except WorkflowFileError:
            lock.unlock()
            continue
        found.append(Recovered(file, workflow, path, saved_at, lock))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def ask_restore(parent: QWidget | None, recovered: Recovered) -> bool:
    """The question after a crash: Restore (True) or Discard (False)."""
    name = recovered.path.name if recovered.path else "an untitled workflow"
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(recovered.saved_at))
    box = QMessageBox(QMessageBox.Question, "Restore unsaved work?",
                      f"NodeFlow did not close normally. Unsaved changes to {name} were autosaved "
                      f"at {when}.\n\nRestore them? (Discard deletes them.)", parent=parent)
    restore = box.addButton("Restore", QMessageBox.AcceptRole)
    box.addButton(QMessageBox.Discard)
    box.setDefaultButton(restore)
    box.exec()
    return box.clickedButton() is restore


class Autosave(QObject):
    """Keeps this session's unsaved work in its autosave file."""

    failed = Signal(str)  # the autosave could not be written (the reason)

    def __init__(self, document: WorkflowDocument, folder: Path | None = None,
                 interval_ms: int = INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.folder = Path(folder) if folder is not None else default_folder()
        self.file = self.folder / f"{uuid.uuid4().hex}{SUFFIX}"
        self._lock = _lock_for(self.file)
        self._revision = 0  # counts document changes
        self._written: int | None = None  # the revision the autosave file holds
        document.changed.connect(self._changed)
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    def set_interval(self, msecs: int) -> None:
        self.timer.start(msecs)

    def _changed(self) -> None:
        self._revision += 1
        if not self.document.modified:  # saved (or undone back to the file)
            self.discard()

    def save_now(self) -> bool:
        """Write the unsaved work if it changed since the last autosave (True when written);
        with nothing unsaved, remove the autosave instead."""
        if not self.document.modified:
            self.discard()
            return False
        if self._written == self._revision:
            return False
        path = self.document.path
        workflow = self.document.workflow
        content = {"format": FORMAT, "version": VERSION, "saved": round(time.time(), 3),
                   "path": str(path) if path else None, "base_dir": workflow.base_dir,
                   "workflow": dumps(workflow)}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not self._lock.isLocked() and not self._lock.tryLock(0):
                raise OSError(f"cannot lock {self.file.with_suffix('.lock')}")
            write_atomically(self.file, json.dumps(content, indent=1))
        except OSError as exc:
            self.failed.emit(f"Autosave failed: {exc}")
            return False
        self._written = self._revision
        return True

    def discard(self) -> None:
        """Nothing unsaved: no autosave to keep."""
        if self._written is not None:
            self.file.unlink(missing_ok=True)
            self._written = None

    def close(self) -> None:
        """A clean close: remove the autosave and its lock."""
        self.timer.stop()
        self.file.unlink(missing_ok=True)
        self._written = None
        if self._lock.isLocked():
            self._lock.unlock()
