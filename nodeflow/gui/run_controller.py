"""Runs the open workflow in a child ``nodeflow run`` process and reads its events.

The editor never trains in its own process (DESIGN.md, "Running"): a crash, an
out-of-memory kill or a hung TensorFlow op in training cannot take the editor and
its unsaved work down.  The child is the same runtime as the command line, given a
snapshot of the workflow as it is in the editor (saved or not) and ``--events -``:
every line it writes to standard output is one JSON event, every line on standard
error is log text.

Requests go to the child as files in ``<run dir>/control/`` (``stop-learning``,
``cancel``), which the runtime polls after every batch; that works the same on
every platform.  A cancel that the child does not honour within
``CANCEL_GRACE_MS`` (or that comes before the runtime has started) kills it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from nodeflow.core.fileformat import dumps
from nodeflow.core.workflow import Workflow

CANCEL_GRACE_MS = 5000
SNAPSHOT = "workflow.nflow"  # inside <run dir>/control/

# nodeflow run's exit codes (cli.py) -> what the run's outcome was
EXIT_STATUS = {0: "executed", 3: "invalid", 4: "failed", 130: "cancelled"}


class RunController(QObject):
    """One run at a time; ``finished(status, message)`` always follows ``started``.

    ``status`` is executed, failed, cancelled, invalid (the child refused the
    workflow) or crashed (the child died without finishing)."""

    started = Signal()
    event = Signal(dict)  # a runtime event (node_status, device, batch, epoch, log, ...)
    output = Signal(str)  # a line the child wrote to standard error
    finished = Signal(str, str)  # status, message for the user

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.process: QProcess | None = None
        self.run_dir: Path | None = None
        self.node_states: dict[str, str] = {}  # node id -> last status the child reported
        self._stdout = b""
        self._stderr = b""
        self._stderr_tail: list[str] = []
        self._runtime_started = False
        self._cancelling = False
        self._killed_by_us = False
        self._cancel_timer = QTimer(self, singleShot=True, interval=CANCEL_GRACE_MS)
        self._cancel_timer.timeout.connect(self._force_stop)

    @property
    def running(self) -> bool:
        return self.process is not None

    @property
    def control_dir(self) -> Path:
        assert self.run_dir is not None
        return self.run_dir / "control"

    def command(self, snapshot: Path, targets: list[str] | None, device: str, base_dir: str | None) -> list[str]:
        args = ["-m", "nodeflow", "run", str(snapshot), "--out", str(self.run_dir), "--events", "-",
                "--quiet", "--device", device]
        if base_dir:
            args += ["--base-dir", base_dir]
        for target in targets or []:
            args += ["--node", target]
        return args

    def start(self, workflow: Workflow, run_dir: Path, targets: list[str] | None = None,
              device: str = "auto") -> None:
        """Run a snapshot of ``workflow`` (the editor may go on editing meanwhile)."""
        if self.running:
            raise RuntimeError("a run is already in progress")
        self.run_dir = Path(run_dir)
        self.control_dir.mkdir(parents=True, exist_ok=True)
        for name in ("stop-learning", "cancel"):
            (self.control_dir / name).unlink(missing_ok=True)
        snapshot = self.control_dir / SNAPSHOT
        snapshot.write_text(dumps(workflow), encoding="utf-8")  # paths as in the editor: see --base-dir
        self.node_states = {}
        self._stdout = self._stderr = b""
        self._stderr_tail = []
        self._runtime_started = self._cancelling = self._killed_by_us = False
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process = process
        process.start(sys.executable, self.command(snapshot, targets, device, workflow.base_dir))
        self.started.emit()

    # -- requests ---------------------------------------------------------------------
    def stop_learning(self) -> None:
        """Training ends after the current batch; the model so far is kept and passed on."""
        if self.running:
            (self.control_dir / "stop-learning").touch()

    def cancel(self) -> None:
        """Stop the whole run within about a second; nodes not finished are not kept."""
        if not self.running or self._cancelling:
            return
        self._cancelling = True
        if not self._runtime_started:  # still importing: nothing to keep, nothing to wait for
            self._force_stop()
            return
        (self.control_dir / "cancel").touch()
        self._cancel_timer.start()

    def kill(self) -> None:
        """Kill the child at once (as the system would on out-of-memory)."""
        if self.process is not None:
            self.process.kill()

    def _force_stop(self) -> None:
        if self.process is not None:
            self._killed_by_us = True
            self.process.kill()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the child ends (for closing the editor)."""
        return self.process is None or self.process.waitForFinished(msecs)

    # -- reading the child ----------------------------------------------------------------
    def _read_stdout(self) -> None:
        if self.process is None:
            return
        self._stdout += bytes(self.process.readAllStandardOutput())
        *lines, self._stdout = self._stdout.split(b"\n")
        for line in lines:
            self._handle_line(line.decode("utf-8", "replace").strip())

    def _handle_line(self, text: str) -> None:
        if not text:
            return
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if not isinstance(event, dict) or "event" not in event:
            self.output.emit(text)  # a library printed to standard output
            return
        if event["event"] == "run_started":
            self._runtime_started = True
        elif event["event"] == "node_status" and "node" in event:
            self.node_states[event["node"]] = event.get("status", "")
        self.event.emit(event)

    def _read_stderr(self) -> None:
        if self.process is None:
            return
        self._stderr += bytes(self.process.readAllStandardError())
        *lines, self._stderr = self._stderr.split(b"\n")
        for line in lines:
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                self._stderr_tail = (self._stderr_tail + [text])[-20:]
                self.output.emit(text)

    def _error(self, error) -> None:
        if error == QProcess.FailedToStart and self.process is not None:
            self._stderr_tail.append(f"could not start {sys.executable}: {self.process.errorString()}")
            self._done("crashed", f"The run could not start: {self.process.errorString()}")

    def _finished(self, exit_code: int, exit_status) -> None:
        self._read_stdout()
        self._read_stderr()
        for rest in (self._stdout, self._stderr):
            if rest.strip():
                self._handle_line(rest.decode("utf-8", "replace").strip())
        self._stdout = self._stderr = b""
        if self._killed_by_us:
            self._done("cancelled", "Run cancelled.")
        elif exit_status == QProcess.CrashExit or exit_code not in EXIT_STATUS:
            how = "was killed or crashed" if exit_status == QProcess.CrashExit else f"exited with code {exit_code}"
            last = f" Its last words: {self._stderr_tail[-1]}" if self._stderr_tail else ""
            self._done("crashed", f"The run process {how} before it finished (out of memory, or killed "
                                  f"from outside?). Outputs of nodes that had finished are kept.{last}")
        else:
            status = EXIT_STATUS[exit_code]
            failed = [n for n, s in self.node_states.items() if s == "failed"]
            message = {
                "executed": "Run finished: every node executed.",
                "failed": f"Run failed: {', '.join(failed) or 'a node'} failed (see the log).",
                "cancelled": "Run cancelled.",
                "invalid": "The workflow cannot run: " + ("; ".join(self._stderr_tail[-3:]) or "invalid"),
            }[status]
            self._done(status, message)

    def _done(self, status: str, message: str) -> None:
        if self.process is None:
            return
        self._cancel_timer.stop()
        process, self.process = self.process, None
        process.deleteLater()
        self.finished.emit(status, message)
