"""Port views: what a user sees when opening a node's output after a run (paged tables
with image thumbnails, a model's layers, learning curves, a confusion heat map, a
normalizer's parameters), and the reason given when there is nothing to show."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

from nodeflow.core.workflow import Workflow
from nodeflow.gui.port_views import (
    PAGE_ROWS,
    THUMB_HEIGHT,
    ConfusionMatrixView,
    HistoryView,
    ModelView,
    NormalizerView,
    PortViewError,
    TableView,
    format_number,
    open_port_view,
)
from nodeflow.runtime.storage import SUMMARY_SUFFIX, output_path, save_value
from nodeflow.runtime.table import Table
from nodeflow.runtime.values import Normalizer


SUMMARY = {
    "name": "iris_net",
    "inputs": [[None, 4]],
    "outputs": [[None, 3]],
    "layers": [
        {"name": "features", "class": "InputLayer", "output_shape": [None, 4], "params": 0,
         "trainable": True},
        {"name": "hidden", "class": "Dense", "output_shape": [None, 2], "params": 10, "trainable": True},
        {"name": "norm", "class": "BatchNormalization", "output_shape": [None, 2], "params": 8,
         "trainable": False},
        {"name": "species", "class": "Dense", "output_shape": None, "params": 9, "trainable": True},
    ],
    "params": 27,
    "trainable_params": 21,
    "non_trainable_params": 6,
}


@pytest.fixture
def workflow() -> Workflow:
    return Workflow()


def node_folder(run_dir: Path, node_id: str) -> Path:
    return run_dir / "nodes" / node_id


def open_view(qtbot, workflow, run_dir, node_id, port):
    """The shown dialog; hold on to it: without a parent it owns (and deletes) its view."""
    dialog = open_port_view(None, workflow, run_dir, node_id, port)
    qtbot.addWidget(dialog)
    return dialog


def header(model, column: int) -> str:
    return model.headerData(column, Qt.Horizontal, Qt.DisplayRole)


def digits_table(rows: int) -> Table:
    rng = np.random.default_rng(0)
    return Table({
        "pixels": rng.integers(0, 17, size=(rows, 8, 8)).astype(np.float32),
        "label": np.arange(rows, dtype=np.int64) % 10,
        "name": np.asarray([f"digit {i % 10}" for i in range(rows)]),
        "score": np.linspace(0, 1, rows),
        "embedding": np.tile(np.arange(64, dtype=np.float64) / 10, (rows, 1)),
    })


# ---------------------------------------------------------------------------- tables
def test_table_view_pages_through_rows_100_at_a_time(qtbot, workflow, tmp_path):
    node = workflow.add_node("data.SampleDataSet", label="Digits").id
    save_value("table", digits_table(250), node_folder(tmp_path, node), "table")
    dialog = open_view(qtbot, workflow, tmp_path, node, "table")
    view = dialog.view
    assert isinstance(view, TableView) and dialog.isVisible() and not dialog.isModal()
    assert dialog.windowTitle() == f"{node}: table — Digits"
    assert dialog.testAttribute(Qt.WA_DeleteOnClose)
    assert "table" in dialog.header.text() and "Sample Data Set" in dialog.header.text()
    model = view.model()
    assert (view.page, view.page_count) == (0, 3)
    assert model.rowCount() == PAGE_ROWS
    rows = [model.headerData(r, Qt.Vertical, Qt.DisplayRole) for r in range(model.rowCount())]
    assert rows[0] == "0" and rows[-1] == "99"  # the table's own 0-based row index
    assert view.rows_label.text() == "rows 1–100 of 250"
    assert not view.prev_button.isEnabled()

    view.next_button.click()
    assert view.page == 1 and view.page_spin.value() == 2
    assert model.headerData(0, Qt.Vertical, Qt.DisplayRole) == "100"
    assert view.rows_label.text() == "rows 101–200 of 250"
    name_column = view.table.column_names.index("name")
    assert model.index(0, name_column).data() == "digit 0"

    view.page_spin.setValue(3)
    assert view.page == 2 and model.rowCount() == 50
    assert view.rows_label.text() == "rows 201–250 of 250"
    assert not view.next_button.isEnabled()
    view.prev_button.click()
    assert view.page == 1
    view.set_page(99)  # clamped to the last page
    assert view.page == 2


def test_table_headers_show_name_and_type_and_cells_their_values(qtbot, workflow, tmp_path):
    node = workflow.add_node("data.SampleDataSet").id
    table = digits_table(12)
    save_value("table", table, node_folder(tmp_path, node), "table")
    dialog = open_view(qtbot, workflow, tmp_path, node, "table")
    view = dialog.view
    model = view.model()
    assert [header(model, c) for c in range(model.columnCount())] == [
        "pixels\nfloat32 8×8", "label\nint64", "name\ntext", "score\nfloat64", "embedding\nfloat64 64",
    ]
    # the image column: a thumbnail THUMB_HEIGHT pixels high, rows tall enough for it
    pixmap = model.index(3, 0).data(Qt.DecorationRole)
    assert isinstance(pixmap, QPixmap) and not pixmap.isNull()
    assert (pixmap.width(), pixmap.height()) == (THUMB_HEIGHT, THUMB_HEIGHT)
    assert not model.index(3, 0).data(Qt.DisplayRole)
    assert "8×8 float32" in model.index(3, 0).data(Qt.ToolTipRole)
    assert view.view.rowHeight(0) >= THUMB_HEIGHT
    # numbers, text and a long per-row array
    assert model.index(3, 1).data() == "3"
    assert model.index(3, 2).data() == "digit 3"
    assert model.index(11, 3).data() == "1"
    assert model.index(1, 3).data() == "0.09091"
    assert model.index(1, 3).data(Qt.ToolTipRole) == repr(1 / 11)  # the exact value
    assert model.index(0, 4).data() == "[0, 0.1, 0.2, …] (64)"
    assert "6.3" in model.index(0, 4).data(Qt.ToolTipRole)  # the full value of a short array
    assert model.index(0, 1).data(Qt.DecorationRole) is None


def test_thumbnail_pixels_follow_the_image(qtbot, workflow, tmp_path):
    """Min-max scaled per image: the brightest pixel is white, the darkest black."""
    image = np.zeros((1, 8, 8), dtype=np.float64)
    image[0, 0, 0] = 5.0
    rgb = np.zeros((1, 6, 12, 3), dtype=np.uint8)
    rgb[0, :, :, 0] = 200
    rgb[0, 0, 0] = 0
    node = workflow.add_node("data.SampleDataSet").id
    save_value("table", Table({"gray": image, "rgb": rgb}), node_folder(tmp_path, node), "table")
    dialog = open_view(qtbot, workflow, tmp_path, node, "table")
    model = dialog.view.model()
    gray = model.index(0, 0).data(Qt.DecorationRole).toImage()
    assert gray.pixelColor(0, 0).value() == 255 and gray.pixelColor(47, 47).value() == 0
    colour = model.index(0, 1).data(Qt.DecorationRole).toImage()
    assert (colour.width(), colour.height()) == (96, THUMB_HEIGHT)  # aspect kept
    assert colour.pixelColor(95, 47).red() == 255 and colour.pixelColor(95, 47).green() == 0


def test_an_empty_table_says_so(qtbot, workflow, tmp_path):
    node = workflow.add_node("data.SampleDataSet").id
    save_value("table", Table({}), node_folder(tmp_path, node), "table")
    dialog = open_view(qtbot, workflow, tmp_path, node, "table")
    view = dialog.view
    assert view.empty_label.text() == "empty table (0 columns)"
    assert view.empty_label.isVisible() and not view.view.isVisible()
    assert view.rows_label.text() == "no rows"


# ---------------------------------------------------------------------------- models
def test_model_view_lists_layers_and_parameter_counts(qtbot, workflow, tmp_path):
    node = workflow.add_node("learn.NetworkLearner").id
    folder = node_folder(tmp_path, node)
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"not opened by the view")
    (folder / f"model{SUMMARY_SUFFIX}").write_text(json.dumps(SUMMARY), encoding="utf-8")
    dialog = open_view(qtbot, workflow, tmp_path, node, "model")
    view = dialog.view
    assert isinstance(view, ModelView)
    table = view.layers
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["Layer", "Type", "Output shape", "Params", "Trainable"]
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert names == ["features", "hidden", "norm", "species"]
    assert [table.item(1, c).text() for c in range(5)] == ["hidden", "Dense", "(None, 2)", "10", "yes"]
    assert table.item(2, 4).text() == "no" and table.item(3, 2).text() == "?"
    assert view.summary_label.text() == ("Total 27 params · 21 trainable · 6 non-trainable · "
                                         "inputs (None, 4) · outputs (None, 3)")


def test_model_params_get_thousands_separators(qtbot):
    summary = dict(SUMMARY, params=1234567, layers=[dict(SUMMARY["layers"][1], params=1234567)])
    view = ModelView(summary)
    qtbot.addWidget(view)
    assert view.layers.item(0, 3).text() == "1,234,567"
    assert view.summary_label.text().startswith("Total 1,234,567 params")


def test_a_model_stored_without_a_summary_asks_to_re_execute(qtbot, workflow, tmp_path):
    node = workflow.add_node("learn.NetworkLearner").id
    folder = node_folder(tmp_path, node)
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"")
    with pytest.raises(PortViewError, match="older version.*re-execute"):
        open_port_view(None, workflow, tmp_path, node, "model")


# ---------------------------------------------------------------------------- history
def test_history_view_plots_one_point_per_epoch(qtbot, workflow, tmp_path):
    node = workflow.add_node("learn.NetworkLearner").id
    loss = [1.0, 0.6, 0.4, 0.3]
    history = Table({"epoch": np.arange(1, 5), "loss": np.array(loss), "accuracy": np.linspace(0.5, 0.9, 4),
                     "val_loss": np.array([1.1, 0.8, 0.7, 0.65]), "val_accuracy": np.linspace(0.4, 0.8, 4)})
    save_value("table", history, node_folder(tmp_path, node), "history")
    dialog = open_view(qtbot, workflow, tmp_path, node, "history")
    view = dialog.view
    assert isinstance(view, HistoryView)
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == ["Curves", "Table"]
    assert view.plots.points("loss") == [(float(e), v) for e, v in zip(range(1, 5), loss)]
    assert [x for x, _ in view.plots.points("val_loss")] == [1.0, 2.0, 3.0, 4.0]
    plot_tabs = [view.plots.tabs.tabText(i) for i in range(view.plots.tabs.count())]
    assert plot_tabs == ["loss", "accuracy"]
    assert not view.plots.show_batches.isVisible()
    assert view.table_view.model().rowCount() == 4


def test_history_without_an_epoch_column_counts_rows(qtbot):
    view = HistoryView(Table({"loss": np.array([0.9, 0.5])}))
    qtbot.addWidget(view)
    assert view.plots.points("loss") == [(1.0, 0.9), (2.0, 0.5)]


# ---------------------------------------------------------------------------- scorer
def save_scorer_outputs(run_dir: Path, node: str) -> None:
    folder = node_folder(run_dir, node)
    matrix = Table({
        "species (true)": np.array(["setosa", "versicolor", "virginica"]),
        "setosa": np.array([50, 0, 0]),
        "versicolor": np.array([0, 45, 3]),
        "virginica": np.array([0, 5, 47]),
    })
    metrics = Table({"metric": np.array(["accuracy", "recall"]), "class": np.array(["", "setosa"]),
                     "value": np.array([142 / 150, 1.0])})
    save_value("table", matrix, folder, "confusion_matrix")
    save_value("table", metrics, folder, "metrics")


def test_confusion_view_draws_a_heat_map_with_accuracy_and_metrics(qtbot, workflow, tmp_path):
    node = workflow.add_node("learn.Scorer").id
    save_scorer_outputs(tmp_path, node)
    dialog = open_view(qtbot, workflow, tmp_path, node, "confusion_matrix")
    view = dialog.view
    assert isinstance(view, ConfusionMatrixView)
    heat = view.heatmap
    assert [heat.verticalHeaderItem(r).text() for r in range(3)] == ["setosa", "versicolor", "virginica"]
    assert [heat.horizontalHeaderItem(c).text() for c in range(3)] == ["setosa", "versicolor", "virginica"]
    assert heat.item(1, 1).text() == "45" and heat.item(1, 2).text() == "5" and heat.item(2, 1).text() == "3"
    diagonal, small = heat.item(2, 2), heat.item(2, 1)
    assert diagonal.background().color().lightness() < small.background().color().lightness()
    assert heat.item(0, 1).background().color().name() == "#ffffff"  # zero counts stay white
    assert diagonal.foreground().color().name() == "#ffffff"  # white text on dark cells
    assert small.foreground().color().name() == "#000000"
    assert diagonal.font().bold() and not small.font().bold()
    assert view.accuracy_label.text() == "Accuracy 0.9467 (142 of 150 rows on the diagonal)"
    metrics = view.metrics_view.model()
    assert [header(metrics, c).split("\n")[0] for c in range(3)] == ["metric", "class", "value"]
    assert metrics.index(0, 0).data() == "accuracy"
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == ["Confusion matrix", "Table"]
    assert view.table_view.model().index(0, 0).data() == "setosa"


def test_confusion_view_without_metrics_still_shows_the_matrix(qtbot, workflow, tmp_path):
    node = workflow.add_node("learn.Scorer").id
    save_scorer_outputs(tmp_path, node)
    output_path(tmp_path, node, "metrics", "table").unlink()
    dialog = open_view(qtbot, workflow, tmp_path, node, "confusion_matrix")
    view = dialog.view
    assert view.metrics_view is None and view.heatmap.rowCount() == 3


def test_a_regression_scorer_has_no_confusion_matrix(qtbot, workflow, tmp_path):
    node = workflow.add_node("learn.Scorer").id
    folder = node_folder(tmp_path, node)
    save_value("table", Table({}), folder, "confusion_matrix")
    save_value("table", Table({"metric": np.array(["mse", "r2"]), "class": np.array(["", ""]),
                               "value": np.array([0.2, 0.9])}), folder, "metrics")
    dialog = open_view(qtbot, workflow, tmp_path, node, "confusion_matrix")
    view = dialog.view
    assert view.heatmap is None
    assert view.message.text() == "no confusion matrix: the scorer ran in regression mode"
    assert view.metrics_view.model().index(1, 0).data() == "r2"


def test_the_metrics_port_is_a_plain_table(qtbot, workflow, tmp_path):
    node = workflow.add_node("learn.Scorer").id
    save_scorer_outputs(tmp_path, node)
    dialog = open_view(qtbot, workflow, tmp_path, node, "metrics")
    view = dialog.view
    assert isinstance(view, TableView) and view.model().index(1, 1).data() == "setosa"


# ---------------------------------------------------------------------------- normalizer
def test_normalizer_view_lists_columns_and_parameters(qtbot, workflow, tmp_path):
    node = workflow.add_node("data.Normalizer").id
    normalizer = Normalizer("z_score", {"sepal_length": {"mean": 5.8, "std": 0.8},
                                        "petal_width": {"mean": 1.2, "std": 0.76}})
    save_value("normalizer", normalizer, node_folder(tmp_path, node), "normalizer")
    dialog = open_view(qtbot, workflow, tmp_path, node, "normalizer")
    view = dialog.view
    assert isinstance(view, NormalizerView)
    assert "z_score" in view.method_label.text()
    table = view.parameters
    assert [table.horizontalHeaderItem(c).text() for c in range(3)] == ["column", "mean", "std"]
    assert [[table.item(r, c).text() for c in range(3)] for r in range(2)] == [
        ["sepal_length", "5.8", "0.8"], ["petal_width", "1.2", "0.76"]]


# ---------------------------------------------------------------------------- nothing to show
def test_a_port_without_a_stored_value_asks_to_execute_first(workflow, tmp_path):
    node = workflow.add_node("learn.Scorer").id
    with pytest.raises(PortViewError, match=f"node {node} has no stored output on port metrics yet: "
                                            "execute it first"):
        open_port_view(None, workflow, tmp_path, node, "metrics")


def test_a_network_port_is_not_stored(workflow, tmp_path):
    node = workflow.add_node("keras.layers.Dense", {"units": 4}).id
    with pytest.raises(PortViewError, match=f"node {node}, port output: .*not stored.*model output"):
        open_port_view(None, workflow, tmp_path, node, "output")


def test_unknown_nodes_and_ports_are_named(workflow, tmp_path):
    node = workflow.add_node("learn.Scorer").id
    with pytest.raises(PortViewError, match="node nope: no such node"):
        open_port_view(None, workflow, tmp_path, "nope", "metrics")
    with pytest.raises(PortViewError, match="no output port bogus; its outputs are: metrics, confusion"):
        open_port_view(None, workflow, tmp_path, node, "bogus")


@pytest.mark.parametrize("stored", ["table.arrow", "table.table.json"])  # rows, or a file-backed recipe
def test_an_unreadable_file_is_reported_not_raised(workflow, tmp_path, stored):
    node = workflow.add_node("data.SampleDataSet").id
    folder = node_folder(tmp_path, node)
    folder.mkdir(parents=True)
    (folder / stored).write_bytes(b"garbage")
    with pytest.raises(PortViewError, match="cannot read the stored output on port table"):
        open_port_view(None, workflow, tmp_path, node, "table")


@pytest.mark.parametrize("value, text", [
    (0.0, "0"), (1.0, "1"), (-2.5, "-2.5"), (np.float32(0.1), "0.1"),
    (0.98765432, "0.9877"), (0.034567, "0.03457"), (0.00012345, "0.0001234"),  # 4 significant digits
    (12345.678, "12346"), (999999.4, "999999"),  # integer digits are kept
    (4.29679e-17, "4.3e-17"), (-1e-9, "-1e-09"), (1e6, "1e+06"), (1.5e8, "1.5e+08"),  # scientific outside
    (np.int64(7), "7"), (True, "true"), (b"a", "a"),
])
def test_numbers_read_at_a_glance(value, text):
    assert format_number(value) == text


def test_a_probability_table_shows_tiny_values_as_tiny_not_as_long_noise(qtbot, workflow, tmp_path):
    node = workflow.add_node("data.SampleDataSet").id
    table = Table({"p": np.array([0.999999, 0.25]), "q": np.array([4.29679e-17, 0.5])})
    save_value("table", table, node_folder(tmp_path, node), "table")
    dialog = open_view(qtbot, workflow, tmp_path, node, "table")
    model = dialog.view.model()
    assert [model.index(0, c).data() for c in range(2)] == ["1", "4.3e-17"]
    assert [model.index(1, c).data() for c in range(2)] == ["0.25", "0.5"]
    assert model.index(0, 1).data(Qt.ToolTipRole) == "4.29679e-17"
