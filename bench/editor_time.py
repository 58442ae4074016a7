"""The editor's timings: start-up, live shapes, Execute, and a 500-node workflow.

Targets (issue #10, "Speed the user feels"; 2-core machine, offscreen Qt):
- the main window shows within 2 s of `nodeflow gui` starting;
- once the shape worker is warm, the first shapes of digits_cnn.nflow appear within
  3 s of opening it;
- with the runner warm, Execute reaches its first training batch within 2 s.
Targets (issue #5): a 500-node workflow shows in under 2 s; a parameter edit
re-renders in under 100 ms (the GUI thread's part; shapes follow from the worker).

    python bench/editor_time.py startup [--runs 3]
    python bench/editor_time.py execute [--runs 3]
    python bench/editor_time.py edit [--nodes 500] [--edits 20]

Rounds are interleaved (cold and warm in turn) and medians reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "workflows" / "digits_cnn.nflow"

# Runs `nodeflow gui [FILE]` as a user would, with QApplication.exec replaced by a probe
# that notes when the window is up (run_editor has shown it), then waits for shapes.
LAUNCH = r"""
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication

def shapes(window):
    report = window.last_report
    node = report.nodes.get("conv2d_1") if report is not None else None
    return bool(node and node.outputs)

def probe(*args):
    from nodeflow.gui.main_window import MainWindow
    app = QApplication.instance()
    window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))
    times = {"shown": time.time()}
    def wait(until):
        while not until() and time.time() - times["shown"] < 300:
            app.processEvents()
            time.sleep(0.005)
        return time.time()
    if window.document.path is None:  # started empty: wait for the worker, then open
        times["worker_ready"] = wait(lambda: window.shapes.worker.is_ready)
        times["open"] = time.time()
        window.open_file(sys.argv[-1], confirmed=True)
    times["shapes"] = wait(lambda: shapes(window))
    times["tensorflow_in_editor"] = "tensorflow" in sys.modules
    print("TIMES " + json.dumps(times), flush=True)
    window.document.undo_stack.setClean()
    window.close()
    return 0

QApplication.exec = probe
from nodeflow.cli import main
raise SystemExit(main(sys.argv[1:-1]))
"""


def launch(args: list[str], workflow: Path) -> dict:
    start = time.time()
    result = subprocess.run([sys.executable, "-c", LAUNCH, *args, str(workflow)], capture_output=True,
                            text=True, cwd=tempfile.gettempdir(), timeout=600)
    line = next((s for s in result.stdout.splitlines() if s.startswith("TIMES ")), None)
    if line is None:
        raise SystemExit(f"the editor did not report:\n{result.stdout}\n{result.stderr}")
    times = json.loads(line[6:])
    return {k: (v - start if isinstance(v, float) else v) for k, v in times.items()}


def startup(runs: int) -> None:
    cold_shown, cold_shapes, shown, ready, warm_shapes = [], [], [], [], []
    for _ in range(runs):
        t = launch(["gui", str(DIGITS)], DIGITS)  # opened from the command line: worker cold
        cold_shown.append(t["shown"])
        cold_shapes.append(t["shapes"])
        assert not t["tensorflow_in_editor"]
        t = launch(["gui"], DIGITS)  # started empty; digits_cnn opened once the worker is ready
        shown.append(t["shown"])
        ready.append(t["worker_ready"])
        warm_shapes.append(t["shapes"] - t["open"])
        assert not t["tensorflow_in_editor"]
    med = statistics.median
    print(f"`nodeflow gui`, median of {runs}: window shown after {med(shown):.2f} s "
          f"(with digits_cnn.nflow on the command line: {med(cold_shown):.2f} s); shape worker ready "
          f"after {med(ready):.1f} s; digits_cnn shapes {med(warm_shapes):.2f} s after opening it with the "
          f"worker warm (max {max(warm_shapes):.2f} s); first shapes {med(cold_shapes):.1f} s after launch "
          f"when the file is opened at start-up")


def execute(runs: int) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from nodeflow.gui.main_window import MainWindow

    folder = Path(tempfile.mkdtemp())
    path = folder / DIGITS.name
    shutil.copy(DIGITS, path)
    window = MainWindow(settings=QSettings(str(folder / "settings.ini"), QSettings.IniFormat))
    window.show()
    window.open_file(path, confirmed=True)
    marks: dict[str, float] = {}
    window.runner.event.connect(lambda e: marks.setdefault(e["event"], time.perf_counter()))

    def wait(until, limit=600.0):
        start = time.perf_counter()
        while not until() and time.perf_counter() - start < limit:
            app.processEvents()
            time.sleep(0.005)

    def one_run(epochs: int) -> tuple[float, float]:
        window.document.set_param("learner", "epochs", epochs)  # the learner trains again
        marks.clear()
        start = time.perf_counter()
        window.execute_all_action.trigger()
        wait(lambda: "batch" in marks)
        wait(lambda: not window.runner.running)
        return marks["run_started"] - start, marks["batch"] - start

    one_run(1)  # fills the run folder's cache: the rounds below train, the data nodes are reused
    results = {"cold": [], "warm": []}
    for i in range(runs):
        window.runner.shutdown()  # cold: the run starts its own process
        results["cold"].append(one_run(2 + 2 * i))
        window.runner.warm_up()
        wait(lambda: window.runner.warm_pid is not None)
        results["warm"].append(one_run(3 + 2 * i))
    window.runner.shutdown()
    for kind, times in results.items():
        print(f"Execute with the runner {kind}, median of {runs}: run started after "
              f"{statistics.median(t[0] for t in times):.2f} s, first training batch after "
              f"{statistics.median(t[1] for t in times):.2f} s (max {max(t[1] for t in times):.2f} s)")
    window.document.undo_stack.setClean()
    window.close()
    shutil.rmtree(folder, ignore_errors=True)


def big_workflow(nodes: int) -> Path:
    from nodeflow.core import Workflow, save

    wf = Workflow()
    prev = wf.add_node("keras.layers.Input", {"shape": [32]}, position=(0, 0)).id
    for i in range(1, nodes):
        kind = ("keras.layers.Dense", {"units": 32, "activation": "relu"}) if i % 3 else \
            ("keras.layers.Dropout", {"rate": 0.1})
        node = wf.add_node(kind[0], kind[1], position=((i % 25) * 260.0, (i // 25) * 140.0))
        wf.connect(prev, "output", node.id, "input")
        prev = node.id
    path = Path(tempfile.mkdtemp()) / f"big_{nodes}.nflow"
    save(wf, path)
    return path


def edit(nodes: int, edits: int) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from nodeflow.gui.main_window import MainWindow

    path = big_workflow(nodes)
    window = MainWindow(settings=QSettings(str(path.with_suffix(".ini")), QSettings.IniFormat))
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    start = time.perf_counter()
    window.open_file(path, confirmed=True)
    app.processEvents()
    opened = time.perf_counter() - start
    start = time.perf_counter()  # the first shapes: the worker imports TensorFlow first
    while (window.last_report is None or len(window.last_report.nodes) < nodes) \
            and time.perf_counter() - start < 300:
        app.processEvents()
        time.sleep(0.01)
    first_shapes = time.perf_counter() - start
    dense = [n for n, node in window.document.workflow.nodes.items() if node.type == "keras.layers.Dense"]
    times = []
    for i in range(edits):
        start = time.perf_counter()
        window.document.set_param(dense[i * 7 % len(dense)], "units", 16 + i)
        app.processEvents()
        times.append(time.perf_counter() - start)
        time.sleep(0.3)  # let the debounced shape request go, as between a person's edits
        app.processEvents()
    print(f"{nodes}-node workflow: opened and shown in {opened:.2f} s; first live shapes after "
          f"{first_shapes:.1f} s (from the shape worker); parameter edit re-rendered in median "
          f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {edits} edits")
    window.document.undo_stack.setClean()
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("startup", "execute"):
        sub.add_parser(name).add_argument("--runs", type=int, default=3)
    p = sub.add_parser("edit")
    p.add_argument("--nodes", type=int, default=500)
    p.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    if args.what == "startup":
        startup(args.runs)
    elif args.what == "execute":
        execute(args.runs)
    else:
        edit(args.nodes, args.edits)


if __name__ == "__main__":
    main()
