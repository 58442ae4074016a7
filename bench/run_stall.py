"""Does the editor stay responsive while a workflow trains? A timer probe on the Qt event loop.

Target (issue #6): during a training run started from the editor, the Qt event loop
never stalls longer than 100 ms.  A QTimer fires every ``--tick`` ms in the GUI thread
and records the gap since its previous firing; a stall is the gap minus the tick.
The probe runs from the moment Execute All is pressed until the run has finished and
the editor has refreshed its node states, so it covers starting the child process,
reading its event stream, the Learning Monitor's redraws, the log pane and the states.

The example's live shapes are computed before the probe starts (TensorFlow's import in
the shape worker holds the GIL for a while; that happens once when a workflow opens,
not during a run, and is reported separately as "open").

    python bench/run_stall.py [--workflow digits_cnn] [--epochs 30] [--tick 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


class Probe:
    """Records the gaps between firings of a fast timer in the GUI thread."""

    def __init__(self, tick_ms: int):
        from PySide6.QtCore import QTimer

        self.tick = tick_ms / 1000
        self.gaps: list[float] = []
        self.last = time.perf_counter()
        self.timer = QTimer(interval=tick_ms)
        self.timer.timeout.connect(self._fire)

    def _fire(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        self.last = now

    def start(self) -> None:
        self.gaps.clear()
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return [max(g - self.tick, 0.0) * 1000 for g in self.gaps]


def spin_until(app, condition, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)


def report(name: str, stalls: list[float]) -> None:
    stalls = sorted(stalls)
    p99 = stalls[int(len(stalls) * 0.99) - 1] if stalls else 0.0
    over = sum(1 for s in stalls if s > 100)
    print(f"{name:>6}: {len(stalls)} ticks, worst stall {stalls[-1]:.1f} ms, p99 {p99:.1f} ms, "
          f"median {statistics.median(stalls):.1f} ms, stalls over 100 ms: {over}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflow", default="digits_cnn")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--tick", type=int, default=5, help="probe interval in ms")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from nodeflow.gui.main_window import MainWindow

    folder = Path(tempfile.mkdtemp(prefix="nodeflow-stall-"))
    path = folder / f"{args.workflow}.nflow"
    shutil.copy(ROOT / "workflows" / path.name, path)
    window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.IniFormat))
    window.resize(1500, 950)
    window.show()
    probe = Probe(args.tick)
    probe.start()
    window.open_file(path, confirmed=True)
    spin_until(app, lambda: window.last_report is not None, 120)
    report("open", probe.stop())

    learner = next(n for n in window.document.workflow.nodes
                   if any(p.view == "history" for p in window.document.workflow.spec(n).outputs))
    window.document.set_param(learner, "epochs", args.epochs)
    probe.start()
    started = time.perf_counter()
    window.execute_all()
    spin_until(app, lambda: not window.runner.running, 900)
    spin_until(app, lambda: False, 0.5)  # the states refresh and last redraws after the run
    seconds = time.perf_counter() - started
    stalls = probe.stop()
    record = window.monitor.record(learner)
    print(f"{args.workflow}: {len(record.progress.epoch_seconds)} epochs of {args.epochs}, run {seconds:.1f} s "
          f"(child start-up included), {sum(len(v) for v in record.curves.batches.values())} batch points")
    report("run", stalls)
    window.document.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
