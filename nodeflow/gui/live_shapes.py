"""Live shapes: shape inference for the open workflow, off the GUI thread.

After every edit the editor asks for new shapes; requests are debounced and run one
at a time in a worker thread that keeps a ShapeInference (and its cache) for the
document, so editing never waits for TensorFlow.  Results carry the revision they
were computed for; a result for an older revision is dropped.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot


class _Worker(QObject):
    done = Signal(int, object)  # revision, ShapeReport (or an Exception)

    def __init__(self):
        super().__init__()
        self._inference = None

    @Slot(int, object)
    def compute(self, revision: int, workflow) -> None:
        try:
            if self._inference is None:
                from nodeflow.keras.shapes import ShapeInference

                self._inference = ShapeInference()
            report = self._inference.infer(workflow)
        except Exception as exc:  # never let the thread die: report and go on
            report = exc
        self.done.emit(revision, report)


class LiveShapes(QObject):
    """Emits ``updated(report)`` with the shapes of the latest workflow revision."""

    updated = Signal(object)
    _request = Signal(int, object)

    def __init__(self, parent: QObject | None = None, delay_ms: int = 150):
        super().__init__(parent)
        self.revision = 0
        self._pending = None
        self._busy = False
        self._thread = QThread(self)
        self._thread.setObjectName("nodeflow-live-shapes")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.compute)
        self._worker.done.connect(self._finished)
        self._thread.start()
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._send)

    def request(self, workflow) -> None:
        """Schedule inference of (a copy of) this workflow."""
        self.revision += 1
        self._pending = (self.revision, workflow.copy())
        self._timer.start()

    def _send(self) -> None:
        if self._busy or self._pending is None:
            return
        self._busy = True
        revision, workflow = self._pending
        self._pending = None
        self._request.emit(revision, workflow)

    @Slot(int, object)
    def _finished(self, revision: int, report) -> None:
        self._busy = False
        if revision == self.revision:
            self.updated.emit(report)
        if self._pending is not None:
            self._send()

    def stop(self) -> None:
        self._thread.quit()
        self._thread.wait(10_000)
