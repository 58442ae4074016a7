"""The Runs view: recorded runs in a sortable table, and their learning curves overlaid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from nodeflow.gui.runs_view import RunsView
from tests.conftest import WORKFLOWS

pytestmark = pytest.mark.keras

TRACKING_ENV = ("NODEFLOW_NO_TRACK", "NODEFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI", "NODEFLOW_RUN_TAGS")


def _tracked_env():
    return {k: v for k, v in os.environ.items() if k not in TRACKING_ENV}


def _small_iris(folder: Path) -> Path:
    """The iris example, training 2 epochs (so an editor run is quick)."""
    document = json.loads((WORKFLOWS / "iris_mlp.nflow").read_text())
    for node in document["nodes"]:
        if node["id"] == "learner":
            node["params"]["epochs"] = 2
    path = folder / "iris_mlp.nflow"
    path.write_text(json.dumps(document, indent=2))
    return path


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """Two recorded runs of iris that differ in dense_1.units and learner.epochs."""
    path = _small_iris(tmp_path_factory.mktemp("runs-view"))
    for units, epochs in ((8, 2), (16, 3)):
        result = subprocess.run([sys.executable, "-m", "nodeflow", "run", str(path), "-q", "--set",
                                 f"dense_1.units={units}", "--set", f"learner.epochs={epochs}"],
                                capture_output=True, text=True, timeout=300, env=_tracked_env())
        assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(autouse=True)
def _tracked(monkeypatch):
    for name in TRACKING_ENV:
        monkeypatch.delenv(name, raising=False)


def _click_row(view: RunsView, row: int, modifier=Qt.NoModifier) -> None:
    table = view.table
    rect = table.visualRect(table.model().index(row, 0))
    QTest.mouseClick(table.viewport(), Qt.LeftButton, modifier, rect.center())


def test_two_runs_show_their_differing_params_and_two_curves(qtbot, recorded):
    view = RunsView(lambda: recorded)
    qtbot.addWidget(view)
    view.resize(1200, 500)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=30000):
        view.refresh()
    assert view.table.rowCount() == 2
    headers = view.headers()
    assert "dense_1.units" in headers and "learner.epochs" in headers
    assert "dense_1.activation" not in headers  # the same in both runs: hidden
    assert "scorer.accuracy" in headers and "learner.val_loss" in headers
    units = headers.index("dense_1.units")
    assert [view.table.item(r, units).text() for r in range(2)] == ["16", "8"]  # newest first
    assert view.metric_box.currentText() == "learner.val_loss"

    _click_row(view, 0)
    qtbot.waitUntil(lambda: view.curve_lengths() == [3], timeout=30000)
    _click_row(view, 1, Qt.ControlModifier)
    qtbot.waitUntil(lambda: sorted(view.curve_lengths()) == [2, 3], timeout=30000)

    header = view.table.horizontalHeader()  # a click on the column's header sorts by it, as numbers
    middle = QPoint(header.sectionViewportPosition(units) + header.sectionSize(units) // 2, header.height() // 2)
    QTest.mouseClick(header.viewport(), Qt.LeftButton, Qt.NoModifier, middle)
    column = [view.table.item(r, units).text() for r in range(2)]
    if column != ["8", "16"]:  # the first click sorted descending: the second ascends
        QTest.mouseClick(header.viewport(), Qt.LeftButton, Qt.NoModifier, middle)
    assert [view.table.item(r, units).text() for r in range(2)] == ["8", "16"]

    box = view.only_differing
    QTest.mouseClick(box, Qt.LeftButton, Qt.NoModifier, QPoint(8, box.height() // 2))
    assert not box.isChecked()
    assert "dense_1.activation" in view.headers()
    assert sorted(view.curve_lengths()) == [2, 3] or qtbot.waitUntil(
        lambda: sorted(view.curve_lengths()) == [2, 3], timeout=30000) is None  # selection kept


def test_an_untitled_workflow_says_to_save(qtbot):
    view = RunsView(lambda: None)
    qtbot.addWidget(view)
    view.refresh()
    assert view.table.rowCount() == 0 and "Save the workflow" in view.status.text()


def test_the_editor_records_its_runs_and_the_view_refreshes_when_one_ends(window, qtbot, recorded):
    assert window.open_file(recorded)
    runs_action = next(a for a in window.menuBar().actions() if a.text() == "&View").menu()
    action = next(a for a in runs_action.actions() if a.text() == "&Runs...")
    view = window.runs_dock.widget()
    with qtbot.waitSignal(view.loaded, timeout=30000):
        action.trigger()
    rows = view.table.rowCount()
    assert rows >= 2
    with qtbot.waitSignal(view.loaded, timeout=180000):
        window.execute_all_action.trigger()
    qtbot.waitUntil(lambda: view.table.rowCount() == rows + 1, timeout=30000)
    newest = view.runs[0]
    assert newest.tags["nodeflow.workflow"] == "iris_mlp" and newest.status == "FINISHED"
    assert newest.tags["nodeflow.run_dir"] == str(recorded.parent / "runs" / "iris_mlp")


def test_reading_runs_imports_no_tensorflow(recorded):
    """The editor process never imports TensorFlow: MLflow's client and the view don't either."""
    code = f"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
app = QApplication([])
from nodeflow.gui.runs_view import RunsView
view = RunsView(lambda: {str(recorded)!r})
view.refresh()
import time
deadline = time.monotonic() + 60
while view.table.rowCount() < 2 and time.monotonic() < deadline:
    app.processEvents(); time.sleep(0.02)
view.table.selectAll()
while len(view.curve_lengths()) < 2 and time.monotonic() < deadline:
    app.processEvents(); time.sleep(0.02)
print("rows", view.table.rowCount(), "curves", len(view.curve_lengths()))
print("TF" if any(m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules) else "NO-TF")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env=_tracked_env())
    assert result.returncode == 0, result.stderr
    _, rows, _, curves = result.stdout.split()[:4]  # the editor test may have added a run
    assert int(rows) >= 2 and curves == rows and result.stdout.strip().endswith("NO-TF"), result.stdout
