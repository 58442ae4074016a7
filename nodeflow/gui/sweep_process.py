"""A sweep running in the background: the ``nodeflow sweep`` child process and its files.

The editor never runs a sweep itself: it starts the same ``nodeflow sweep`` command a
terminal would (``python -P -m nodeflow sweep ...``) as a child process and follows the
files the sweep writes into its study folder, ``<workflow dir>/runs/<stem>.sweeps/<study>/``:
``trials.csv`` (rewritten atomically whenever a trial starts or ends) and ``best.json``.

Decisions
---------
- The files are the interface, not the child's output: they are what a sweep started in a
  terminal, or one resumed later, leaves too, so the Sweep view shows any study the same way.
- Changes are noticed with a QFileSystemWatcher on the study folder and its files (an
  atomic rewrite replaces the file, so the file is watched again after each change), and a
  slow timer besides (a watcher can miss changes on network file systems, and the folder
  may not exist yet when the sweep starts).  Reading is one small CSV: the UI never waits.
- Stop sends SIGINT, as Ctrl-C in a terminal: the sweep ends its trials cleanly and exits
  130; the same command resumes the study.  A sweep still running when the editor quits is
  stopped the same way (it is resumable), and killed only if it does not end in time.
- :func:`build_command` is looked up when a sweep starts, so tests (and other front ends)
  can point the editor at another program.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QFileSystemWatcher, QObject, QProcess, QTimer, Signal

from .sweep_setup import SweepSetup

POLL_MS = 2000  # the slow timer; the watcher is usually faster
QUIT_GRACE_MS = 10000  # how long quitting the editor waits for a stopped sweep

EXIT_INTERRUPTED = 130
EXIT_MEANING = {2: "bad sweep parameters", 3: "the workflow could not be loaded or validated"}


def study_dir(workflow_path: Path, study: str = "") -> Path:
    """The folder ``nodeflow sweep`` writes a study's files into."""
    workflow_path = Path(workflow_path)
    return workflow_path.parent / "runs" / f"{workflow_path.stem}.sweeps" / (study or workflow_path.stem)


def build_command(workflow_path: Path, setup: SweepSetup) -> list[str]:
    """The argv of ``nodeflow sweep`` for ``setup`` (``-P``: the current directory is
    never on ``sys.path``, as for every child the editor starts)."""
    argv = [sys.executable, "-P", "-m", "nodeflow", "sweep", str(workflow_path)]
    for item in setup.params:
        argv += ["--param", f"{item.path}={item.space}"]
    argv += ["--metric", setup.metric, "--direction", setup.direction, "--trials", str(setup.trials),
             "--workers", str(setup.workers), "--sampler", setup.sampler]
    if setup.prune:
        argv.append("--prune")
    if setup.study:
        argv += ["--study", setup.study]
    return argv


def read_trials(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a trials.csv ([] and [] when it does not exist (yet))."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except (OSError, csv.Error, UnicodeDecodeError):
        return [], []


def read_best(path: Path) -> dict | None:
    try:
        best = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return best if isinstance(best, dict) else None


class StudyFiles(QObject):
    """Follows a study folder: ``changed`` whenever trials.csv or best.json changed."""

    changed = Signal()

    def __init__(self, folder: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.folder = Path(folder)
        self.header: list[str] = []
        self.trials: list[dict[str, str]] = []
        self.best: dict | None = None
        self._stamps: tuple = ()
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._soon)
        self._watcher.fileChanged.connect(self._soon)
        self._debounce = QTimer(self, singleShot=True, interval=50)
        self._debounce.timeout.connect(self.reload)
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self.reload)

    def follow(self, on: bool = True) -> None:
        """Watch for changes (True) or stop watching (False, after one last read)."""
        if on:
            self._poll.start()
        else:
            self._poll.stop()
        self.reload()

    def _soon(self, *_args) -> None:
        self._debounce.start()

    def _stamp(self, path: Path):
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def reload(self) -> None:
        trials_path, best_path = self.folder / "trials.csv", self.folder / "best.json"
        watched = set(self._watcher.files()) | set(self._watcher.directories())
        for path in (self.folder, trials_path, best_path):
            if str(path) not in watched and path.exists():
                self._watcher.addPath(str(path))  # again after each atomic rewrite
        stamps = (self._stamp(trials_path), self._stamp(best_path))
        if stamps == self._stamps:
            return
        self._stamps = stamps
        self.header, self.trials = read_trials(trials_path)
        self.best = read_best(best_path)
        self.changed.emit()


class SweepProcess(QObject):
    """One ``nodeflow sweep`` child.  ``finished(status, message)`` follows ``start``:
    status is finished (exit 0), stopped (interrupted: resumable), or failed."""

    started = Signal()
    finished = Signal(str, str)

    def __init__(self, workflow_path: Path, setup: SweepSetup, parent: QObject | None = None,
                 command=None):
        super().__init__(parent)
        self.workflow_path = Path(workflow_path)
        self.argv = (command or build_command)(self.workflow_path, setup)
        self.trials_wanted = setup.trials
        self.folder = study_dir(self.workflow_path, setup.study)
        self.files = StudyFiles(self.folder, self)
        self.status = ""  # "" before start, then running, finished, stopped or failed
        self.message = ""
        self.stderr_lines: list[str] = []
        self._stderr = b""
        self._stop_asked = False
        self.process = QProcess(self)
        self.process.setWorkingDirectory(str(self.workflow_path.parent))
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.readyReadStandardOutput.connect(lambda: self.process.readAllStandardOutput())
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.NotRunning

    def start(self) -> None:
        self.status = "running"
        self.files.follow(True)
        self.process.start(self.argv[0], self.argv[1:])
        self.started.emit()

    def stop(self) -> None:
        """Ctrl-C for the sweep: it ends cleanly and stays resumable."""
        pid = self.process.processId()
        if self.running and pid:
            self._stop_asked = True
            os.kill(pid, signal.SIGINT)

    def shutdown(self, msecs: int = QUIT_GRACE_MS) -> None:
        """Stop and wait (the editor quits); kill only a sweep that does not end in time."""
        if not self.running:
            return
        self.stop()
        if not self.process.waitForFinished(msecs):
            self.process.kill()
            self.process.waitForFinished(msecs)

    def _read_stderr(self) -> None:
        self._stderr += bytes(self.process.readAllStandardError())
        *lines, self._stderr = self._stderr.split(b"\n")
        self.stderr_lines = (self.stderr_lines + [x.decode("utf-8", "replace").rstrip() for x in lines if x.strip()])[-50:]

    def _error(self, error) -> None:
        if error == QProcess.FailedToStart:
            self._done("failed", f"The sweep could not start: {self.process.errorString()}")

    def _finished(self, code: int, exit_status) -> None:
        self._read_stderr()
        if self._stderr.strip():
            self.stderr_lines.append(self._stderr.decode("utf-8", "replace").strip())
            self._stderr = b""
        if exit_status == QProcess.NormalExit and code == 0:
            self._done("finished", "")
        elif code == EXIT_INTERRUPTED or (self._stop_asked and exit_status == QProcess.CrashExit):
            self._done("stopped", "Stopped; the same sweep started again resumes it.")
        else:
            how = f"exited with code {code}" if exit_status == QProcess.NormalExit else "was killed"
            reason = EXIT_MEANING.get(code)
            last = "\n".join(self.stderr_lines[-5:])
            self._done("failed", f"The sweep {how}" + (f" ({reason})" if reason else "") + (f":\n{last}" if last else "."))

    def _done(self, status: str, message: str) -> None:
        if self.status not in ("", "running"):
            return
        self.status, self.message = status, message
        self.files.follow(False)
        self.finished.emit(status, message)
