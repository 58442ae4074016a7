"""Live shapes: shape inference for the open workflow, in a worker process.

The editor never imports TensorFlow.  One shape worker process
(:mod:`nodeflow.keras.shape_worker`) serves the whole editor session: it is started
when the first document asks for shapes, imports TensorFlow while the window comes
up, and keeps each document's inference cache between edits.  The worker is started
with ``python -P``, so a ``nodeflow/`` or ``nodes/`` folder in the current directory
is never imported as code.

After every edit a document asks for new shapes; requests are debounced, and each
document has at most one request in flight, sent as .nflow text with a revision
number.  An answer for an older revision than the latest request is dropped.  If the
worker dies, the request it was working on is answered with an error (shown in the
status bar) and a new worker is started for what comes next.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import sys

from PySide6.QtCore import QCoreApplication, QObject, QProcess, QTimer, Signal

from nodeflow.core.fileformat import dumps
from nodeflow.keras.report import ShapeReport
from nodeflow.keras.shape_worker import MEMORY_VARIABLE

WORKER = ["-P", "-m", "nodeflow.keras.shape_worker"]  # -P: the current directory is not on sys.path


class ShapeWorkerError(RuntimeError):
    """Shape inference could not give a report (the worker failed or died)."""


class ShapeWorker(QObject):
    """The worker process and its JSON-lines protocol; shared by the session's documents.

    ``answered(client, revision, result)`` carries a :class:`ShapeReport` or a
    :class:`ShapeWorkerError`.  ``ready`` is emitted once the worker has imported
    TensorFlow."""

    answered = Signal(int, int, object)
    ready = Signal()

    _shared: ShapeWorker | None = None

    def __init__(self, parent: QObject | None = None, command: list[str] | None = None):
        super().__init__(parent)
        self.command = command or WORKER
        self.is_ready = False
        self._buffer = b""
        self._in_flight: dict[int, int] = {}  # revision -> client, sent and not answered yet
        self._errors: list[str] = []  # the worker's last lines on standard error
        self._stopping = False
        # one QProcess, started again after a death: no process object outlives its signals
        self.process = QProcess(self)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.readyReadStandardError.connect(self._read_errors)
        self.process.finished.connect(self._ended)
        self.process.errorOccurred.connect(self._failed)

    @classmethod
    def shared(cls) -> ShapeWorker:
        """The session's worker, stopped when the application quits."""
        if cls._shared is None:
            cls._shared = cls()
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(cls._shared.stop)
            atexit.register(cls._shared.stop)  # no event loop ran (tests, scripts)
        return cls._shared

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.NotRunning

    @property
    def pid(self) -> int | None:
        return self.process.processId() or None

    def start(self) -> None:
        """Start the worker now (it imports TensorFlow while the editor does other work)."""
        if self.running:
            return
        self._stopping = False
        self.is_ready = False
        self._buffer = b""
        self._errors = []
        self.process.start(sys.executable, self.command)

    def submit(self, client: int, revision: int, text: str, base_dir: str | None) -> None:
        self.start()
        self._in_flight[revision] = client
        self._send({"client": client, "revision": revision, "workflow": text, "base_dir": base_dir})

    def forget(self, client: int) -> None:
        """The client is gone: drop its cache in the worker."""
        for revision in [r for r, c in self._in_flight.items() if c == client]:
            del self._in_flight[revision]
        if self.running:
            self._send({"client": client, "forget": True})

    def stop(self, msecs: int = 2000) -> None:
        """End the worker: end of input (a kill if it is still importing or does not go)."""
        self._in_flight.clear()
        with contextlib.suppress(RuntimeError):  # Qt may have deleted it already at exit
            if not self.running:
                return
            self._stopping = True
            self.process.closeWriteChannel()
            if not self.is_ready or not self.process.waitForFinished(msecs):
                self.process.kill()
                self.process.waitForFinished(msecs)

    def _send(self, message: dict) -> None:
        self.process.write(json.dumps(message).encode("utf-8") + b"\n")

    def _read(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not the protocol (the worker sends library output to stderr)
            if not isinstance(message, dict):
                continue
            if message.get("ready"):
                self.is_ready = True
                self.ready.emit()
                continue
            revision = message.get("revision")
            client = self._in_flight.pop(revision, None)
            if client is None:
                continue  # its client is gone
            if "report" in message:
                try:
                    result = ShapeReport.from_json(message["report"])
                except (KeyError, TypeError, ValueError) as exc:
                    result = ShapeWorkerError(f"unreadable report from the shape worker: {exc}")
            else:
                result = ShapeWorkerError(message.get("error") or "no report")
            self.answered.emit(client, revision, result)

    def _read_errors(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        self._errors = (self._errors + [s for s in text.splitlines() if s.strip()])[-5:]

    def _failed(self, error) -> None:
        if error == QProcess.FailedToStart:
            self._lost(f"the shape worker could not start: {self.process.errorString()}")

    def _ended(self, code: int, status) -> None:
        self._read()  # answers and last words not read yet
        self._read_errors()
        if self._stopping:
            self._stopping = False
            return
        how = "was killed" if status == QProcess.CrashExit else f"exited with code {code}"
        last = f" ({self._errors[-1]})" if self._errors else ""
        hint = ""
        if status == QProcess.CrashExit:  # what a native allocation failure under its memory cap does
            hint = f"; the network may be too large to infer shapes within {MEMORY_VARIABLE}"
        self._lost(f"the shape worker {how}{last}{hint}")

    def _lost(self, reason: str) -> None:
        """Answer what was in flight with the reason; start afresh only if it had started well."""
        had_started = self.is_ready
        self.is_ready = False
        lost, self._in_flight = self._in_flight, {}
        for revision, client in lost.items():
            self.answered.emit(client, revision, ShapeWorkerError(reason))
        if had_started:  # a worker that never got ready would only fail again
            QTimer.singleShot(0, self.start)


class LiveShapes(QObject):
    """Emits ``updated(report)`` with the shapes of the latest workflow revision.

    ``report`` is a :class:`ShapeReport`, or a :class:`ShapeWorkerError` saying why
    there is none."""

    updated = Signal(object)

    _clients = itertools.count(1)
    _revisions = itertools.count(1)  # unique across documents: answers are matched by revision

    def __init__(self, parent: QObject | None = None, delay_ms: int = 150,
                 worker: ShapeWorker | None = None):
        super().__init__(parent)
        self.worker = worker or ShapeWorker.shared()
        self.client = next(self._clients)
        self.revision = 0  # of the latest request
        self._pending: tuple[int, object] | None = None  # (revision, workflow) not sent yet
        self._busy = False  # a request of this document is in the worker
        self.worker.answered.connect(self._answered)
        self.worker.start()
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._send)

    def request(self, workflow) -> None:
        """Schedule inference of this workflow.  It is written out when the request is
        sent, after the debounce, so a burst of edits costs one serialisation."""
        self.revision = next(self._revisions)
        self._pending = (self.revision, workflow)
        self._timer.start()

    def _send(self) -> None:
        if self._busy or self._pending is None:
            return
        self._busy = True
        revision, workflow = self._pending
        self._pending = None
        self.worker.submit(self.client, revision, dumps(workflow), workflow.base_dir)

    def _answered(self, client: int, revision: int, result) -> None:
        if client != self.client:
            return
        self._busy = False
        if revision == self.revision:
            self.updated.emit(result)
        if self._pending is not None:
            self._send()

    def stop(self) -> None:
        """The document closes: no more answers for it.  (The shared worker stays.)"""
        self._timer.stop()
        self._pending = None
        try:
            self.worker.answered.disconnect(self._answered)
        except (RuntimeError, TypeError):
            pass
        self.worker.forget(self.client)
