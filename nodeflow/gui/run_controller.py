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

The child is a warm runner (:mod:`nodeflow.run_worker`): a process that has imported
TensorFlow and the node catalogue ahead and waits for the arguments of its
``nodeflow run`` on standard input, so Execute does not wait seconds for imports.
After :meth:`RunController.warm_up`, one such process is kept waiting: started at
once, and again each time a run ends, whatever its outcome (a runner is used for
one run only, see the worker's docstring).  Without warm-up each run starts its own
runner, which is then cold.  Runners are started with ``python -P``, so the current
directory is never on ``sys.path``: a ``nodes/`` or ``nodeflow/`` folder there is
never imported as code.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QProcess, QProcessEnvironment, QTimer, Signal

from nodeflow.core.fileformat import dumps
from nodeflow.core.workflow import Workflow
from nodeflow.runtime.events import Event, NodeStatus, RunOutcome

CANCEL_GRACE_MS = 5000
SNAPSHOT = "workflow.nflow"  # inside <run dir>/control/
RUNNER = ["-P", "-m", "nodeflow.run_worker"]  # -P: the current directory is not on sys.path

# nodeflow run's exit codes (cli.py) -> what the run's outcome was
EXIT_STATUS = {0: RunOutcome.EXECUTED, 3: "invalid", 4: RunOutcome.FAILED, 130: RunOutcome.CANCELLED}


class RunController(QObject):
    """One run at a time; ``finished(status, message)`` always follows ``started``.

    ``status`` is executed, failed, cancelled, invalid (the child refused the
    workflow) or crashed (the child died without finishing)."""

    started = Signal()
    event = Signal(dict)  # a runtime event (node_status, device, batch, epoch, log, ...)
    output = Signal(str)  # a line the child wrote to standard error
    finished = Signal(str, str)  # status, message for the user
    warm = Signal()  # a warm runner has imported everything and waits for a run

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.process: QProcess | None = None  # the run's child
        self.run_dir: Path | None = None
        self.node_states: dict[str, str] = {}  # node id -> last status the child reported
        self.keep_warm = False  # set by warm_up(), cleared by shutdown()
        self._warm: QProcess | None = None  # a runner waiting for its run
        self._warm_device = "auto"  # the device it is (or the next one will be) started for
        self._warm_ready = False
        self._early: list[tuple[str, str]] = []  # what the warm runner wrote before its run
        self._quit_connected = False
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
    def warm_pid(self) -> int | None:
        """The process id of the runner waiting for the next run, once it is ready."""
        if self._warm is None or not self._warm_ready:
            return None
        return self._warm.processId() or None

    @property
    def control_dir(self) -> Path:
        assert self.run_dir is not None
        return self.run_dir / "control"

    def runner_command(self) -> list[str]:
        """Interpreter arguments that start a runner (see :mod:`nodeflow.run_worker`)."""
        return list(RUNNER)

    def command(self, snapshot: Path, targets: list[str] | None, device: str, base_dir: str | None) -> list[str]:
        """The ``nodeflow`` arguments the runner is given."""
        args = ["run", str(snapshot), "--out", str(self.run_dir), "--events", "-", "--quiet", "--device", device,
                "--allow-outside"]  # the editor asked before Execute (outside_dialog)
        if base_dir:  # tracked as the document: its folder's store, its name (its run folder's)
            args += ["--base-dir", base_dir, "--name", self.run_dir.name]
        else:  # untitled: no folder to keep a record in
            args += ["--no-track"]
        for target in targets or []:
            args += ["--node", target]
        return args

    def warm_up(self, device: str = "auto") -> None:
        """Keep a runner warm from now on (for the editor; tests and scripts run cold)."""
        self.keep_warm = True
        app = QCoreApplication.instance()
        if app is not None and not self._quit_connected:
            app.aboutToQuit.connect(self.shutdown)
            atexit.register(self._shutdown_at_exit)  # also when no event loop ran
            self._quit_connected = True
        if self.process is None and self._warm is None:
            self._start_warm(device)

    def shutdown(self) -> None:
        """Stop keeping a runner warm and end the one waiting (the editor closes)."""
        self.keep_warm = False
        self._discard_warm()

    def _shutdown_at_exit(self) -> None:
        with contextlib.suppress(RuntimeError):  # Qt may have deleted this object already
            self.shutdown()

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
        self._stderr_tail = []
        self._runtime_started = self._cancelling = self._killed_by_us = False
        process = self._take_warm(device)
        self._warm_device = device  # the next warm runner serves the same device
        if process is None:
            process = self._spawn(device)
            self._stdout = self._stderr = b""
            self._early = []
        self.process = process
        early, self._early = self._early, []
        for channel, text in early:  # what the runner wrote while it waited belongs to this run
            if channel == "out":
                self._handle_line(text)
            else:
                self._handle_error_line(text)
        request = {"argv": self.command(snapshot, targets, device, workflow.base_dir)}
        process.write(json.dumps(request).encode("utf-8") + b"\n")
        process.closeWriteChannel()
        self.started.emit()

    # -- runner processes -----------------------------------------------------------------
    def _spawn(self, device: str) -> QProcess:
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")
        if device == "cpu":
            environment.insert("CUDA_VISIBLE_DEVICES", "")  # as `nodeflow run --device cpu` does
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(lambda: self._read_stdout(process))
        process.readyReadStandardError.connect(lambda: self._read_stderr(process))
        process.finished.connect(lambda code, status: self._finished(process, code, status))
        process.errorOccurred.connect(lambda error: self._error(process, error))
        process.start(sys.executable, self.runner_command())
        return process

    def _start_warm(self, device: str) -> None:
        self._stdout = self._stderr = b""
        self._early = []
        self._warm_ready = False
        self._warm_device = device
        self._warm = self._spawn(device)

    def _take_warm(self, device: str) -> QProcess | None:
        """The waiting runner, if it suits the device (a CPU-only one sees no GPU)."""
        process = self._warm
        if process is None:
            return None
        if process.state() == QProcess.NotRunning or (device == "cpu") != (self._warm_device == "cpu"):
            self._discard_warm()
            return None
        self._warm = None
        return process

    def _discard_warm(self) -> None:
        process, self._warm = self._warm, None
        if process is not None:
            process.kill()
            process.waitForFinished(2000)
            process.deleteLater()

    def _warm_lost(self, process: QProcess, exit_code: int, exit_status) -> None:
        """The waiting runner ended by itself: say so; start another only if it had been ready."""
        self._warm = None
        process.deleteLater()
        how = "was killed" if exit_status == QProcess.CrashExit else f"exited with code {exit_code}"
        last = [text for channel, text in self._early if channel == "err"][-1:]
        self.output.emit(f"The waiting run process {how}." + (f" Its last words: {last[0]}" if last else ""))
        if self.keep_warm and self._warm_ready:
            self._start_warm(self._warm_device)
        else:  # it would only fail again: the next run starts its own and reports why
            self.keep_warm = False

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
        if not self._runtime_started:  # not started yet: nothing to keep, nothing to wait for
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
    def _read_stdout(self, process: QProcess) -> None:
        if process is not self.process and process is not self._warm:
            return
        self._stdout += bytes(process.readAllStandardOutput())
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
        if isinstance(event, dict) and "worker" in event and "event" not in event:
            self._warm_ready = True  # the runner's own line: imports are done
            if self.process is None:
                self.warm.emit()
            return
        if self.process is None:  # a waiting runner: its words belong to its run
            self._early.append(("out", text))
            return
        if not isinstance(event, dict) or "event" not in event:
            self.output.emit(text)  # a library printed to standard output
            return
        if event["event"] == Event.RUN_STARTED:
            self._runtime_started = True
        elif event["event"] == Event.NODE_STATUS and "node" in event:
            self.node_states[event["node"]] = event.get("status", "")
        self.event.emit(event)

    def _read_stderr(self, process: QProcess) -> None:
        if process is not self.process and process is not self._warm:
            return
        self._stderr += bytes(process.readAllStandardError())
        *lines, self._stderr = self._stderr.split(b"\n")
        for line in lines:
            self._handle_error_line(line.decode("utf-8", "replace").rstrip())

    def _handle_error_line(self, text: str) -> None:
        if not text:
            return
        if self.process is None:
            self._early.append(("err", text))
            return
        self._stderr_tail = (self._stderr_tail + [text])[-20:]
        self.output.emit(text)

    def _error(self, process: QProcess, error) -> None:
        if error != QProcess.FailedToStart:
            return
        if process is self._warm:
            self._warm = None
            self.keep_warm = False
            process.deleteLater()
        elif process is self.process:
            self._stderr_tail.append(f"could not start {sys.executable}: {process.errorString()}")
            self._done("crashed", f"The run could not start: {process.errorString()}")

    def _finished(self, process: QProcess, exit_code: int, exit_status) -> None:
        if process is self._warm:
            self._read_stdout(process)
            self._read_stderr(process)
            self._warm_lost(process, exit_code, exit_status)
            return
        if process is not self.process:
            return  # a runner discarded earlier
        self._read_stdout(process)
        self._read_stderr(process)
        for rest, handle in ((self._stdout, self._handle_line), (self._stderr, self._handle_error_line)):
            if rest.strip():
                handle(rest.decode("utf-8", "replace").strip())
        self._stdout = self._stderr = b""
        if self._killed_by_us:
            self._done(RunOutcome.CANCELLED, "Run cancelled.")
        elif exit_status == QProcess.CrashExit or exit_code not in EXIT_STATUS:
            how = "was killed or crashed" if exit_status == QProcess.CrashExit else f"exited with code {exit_code}"
            last = f" Its last words: {self._stderr_tail[-1]}" if self._stderr_tail else ""
            self._done("crashed", f"The run process {how} before it finished (out of memory, or killed "
                                  f"from outside?). Outputs of nodes that had finished are kept.{last}")
        else:
            status = EXIT_STATUS[exit_code]
            failed = [n for n, s in self.node_states.items() if s == NodeStatus.FAILED]
            message = {
                RunOutcome.EXECUTED: "Run finished: every node executed.",
                RunOutcome.FAILED: f"Run failed: {', '.join(failed) or 'a node'} failed (see the log).",
                RunOutcome.CANCELLED: "Run cancelled.",
                "invalid": "The workflow cannot run: " + ("; ".join(self._stderr_tail[-3:]) or "invalid"),
            }[status]
            self._done(status, message)

    def _done(self, status: str, message: str) -> None:
        if self.process is None:
            return
        self._cancel_timer.stop()
        process, self.process = self.process, None
        process.deleteLater()
        if self.keep_warm:  # the next run finds a runner ready
            self._start_warm(self._warm_device)
        self.finished.emit(status, message)
