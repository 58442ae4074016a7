"""The editor with a large workflow: opening it, and re-rendering after a parameter edit.

Targets (issue #5), on the 2-core development machine, offscreen Qt:
- opening a 500-node workflow shows it in under 2 s;
- a parameter edit re-renders in under 100 ms (the GUI thread's part: model, undo,
  validation, node states; live shapes follow later from their worker thread).

    python bench/editor_time.py [--nodes 500] [--edits 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from nodeflow.gui.main_window import MainWindow

    path = big_workflow(args.nodes)
    window = MainWindow(settings=QSettings(str(path.with_suffix(".ini")), QSettings.IniFormat))
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    start = time.perf_counter()
    window.open_file(path, confirmed=True)
    app.processEvents()
    opened = time.perf_counter() - start
    # live shapes: the first result needs TensorFlow in the worker thread; wait for it
    start = time.perf_counter()
    while window.last_report is None and time.perf_counter() - start < 120:
        app.processEvents()
        time.sleep(0.01)
    first_shapes = time.perf_counter() - start
    dense = [n for n, node in window.document.workflow.nodes.items() if node.type == "keras.layers.Dense"]
    times = []
    for i in range(args.edits):
        start = time.perf_counter()
        window.document.set_param(dense[i * 7 % len(dense)], "units", 16 + i)
        app.processEvents()
        times.append(time.perf_counter() - start)
        time.sleep(0.3)  # let the debounced shape request run, as between a person's edits
        app.processEvents()
    print(f"{args.nodes}-node workflow: opened and shown in {opened:.2f} s; first live shapes after "
          f"{first_shapes:.1f} s (TensorFlow loads in the worker); parameter edit re-rendered in median "
          f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {args.edits} edits")
    window.document.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
