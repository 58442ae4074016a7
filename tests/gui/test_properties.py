"""The properties panel: one editor per parameter kind, only valid values emitted,
problems shown at once, defaults told apart from set values, the node's manual, a section
per parameter group, and a form that fits its dock."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDoubleSpinBox,
    QLabel,
    QSizePolicy,
    QWidget,
)

from nodeflow.core import default_registry
from nodeflow.core.params import NestedChoiceParam, same_value
from nodeflow.gui import properties
from nodeflow.gui.properties import (
    EDITORS,
    UNSET,
    ColumnsEditor,
    JsonEditor,
    PropertiesPanel,
    ShapeEditor,
    editor_for,
    node_manual_html,
)
from tests.gui.test_main_window import drop_from_repository

REGISTRY = default_registry()
DENSE = REGISTRY["keras.layers.Dense"]


@pytest.fixture
def panel(qtbot):
    widget = PropertiesPanel()
    qtbot.addWidget(widget)
    widget.edits = []
    widget.resets = []
    widget.param_edited.connect(lambda node, name, value: widget.edits.append((node, name, value)))
    widget.reset_requested.connect(lambda node, name: widget.resets.append((node, name)))
    return widget


def show(panel, type_id, values=None, node_id="n_1"):
    panel.show_node(node_id, REGISTRY[type_id], dict(values or {}))
    return panel


def type_and_commit(qtbot, line, text):
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key_Return)


# ---------------------------------------------------------------------------- numbers
def test_spin_box_edit_emits_the_new_units(panel):
    panel.show_node("dense_1", DENSE, {"units": 8})
    spin = panel.editor("units").spin
    assert spin.value() == 8 and spin.minimum() == 0 and spin.specialValueText() == "(not set)"
    spin.setValue(16)
    spin.editingFinished.emit()
    assert panel.edits == [("dense_1", "units", 16)]
    spin.editingFinished.emit()  # nothing changed since: nothing more
    assert len(panel.edits) == 1


def test_typed_units_and_arrow_steps_emit(panel, qtbot):
    panel.show_node("dense_1", DENSE, {"units": 8})
    spin = panel.editor("units").spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "32")
    qtbot.keyClick(spin, Qt.Key_Return)
    spin.stepBy(1)
    assert panel.edits == [("dense_1", "units", 32), ("dense_1", "units", 33)]


def test_a_bad_value_from_the_model_is_shown_as_it_is_with_its_reason(panel):
    panel.show_node("dense_1", DENSE, {"units": -3})
    row = panel.row("units")
    assert row.editor.spin.value() == -3
    assert row.problem.text() == "expected an integer >= 1, got -3"
    assert not row.problem.isHidden()
    assert row.editor.rings[0].property("nfInvalid") is True
    assert "got -3" in row.editor.spin.toolTip()
    row.editor.spin.setValue(4)  # fixed by the user: the mark goes at once
    assert row.problem.isHidden() and row.editor.rings[0].property("nfInvalid") is False
    row.editor.spin.editingFinished.emit()
    assert panel.edits == [("dense_1", "units", 4)]


def test_an_unset_required_value_says_so_and_a_none_step_is_not_emitted(panel):
    panel.show_node("dense_1", DENSE, {})
    editor = panel.editor("units")
    assert editor.spin.text() == "(not set)"
    assert panel.row("units").problem.text() == "required: expected an integer >= 1"
    editor.spin.setValue(2)
    editor.spin.stepBy(-1)  # 1
    editor.spin.stepBy(-1)  # (not set): refused
    assert [e[2] for e in panel.edits] == [1]
    assert "expected an integer >= 1, got null" in panel.row("units").problem.text()


def test_optional_int_uses_the_none_step(panel):
    panel.show_node("dense_1", DENSE, {"units": 8})
    spin = panel.editor("lora_rank").spin
    assert spin.text() == "(none)"
    spin.setValue(4)
    spin.editingFinished.emit()
    spin.setValue(spin.minimum())
    spin.editingFinished.emit()
    assert [e[2] for e in panel.edits] == [4, None]


def test_float_open_bound_is_checked_not_clamped(panel):
    show(panel, "keras.layers.Dropout", {"rate": 0.5})
    spin = panel.editor("rate").spin
    assert spin.maximum() == 1.0
    spin.setValue(1.0)
    assert panel.row("rate").problem.text() == "expected a number >= 0.0 and < 1.0, got 1.0"
    spin.editingFinished.emit()
    assert panel.edits == []
    spin.setValue(0.25)
    spin.editingFinished.emit()
    assert panel.edits == [("n_1", "rate", 0.25)]


def test_small_floats_survive_the_box():
    editor = editor_for(FloatParamLike("epsilon", 1e-7))
    editor.set_value(1e-7)
    assert editor._read() == 1e-7 and editor.spin.text() == "0.0000001"
    editor.set_value(0.05)
    assert editor.spin.text() == "0.05"


def FloatParamLike(name, default):  # noqa: N802 - reads as a constructor
    from nodeflow.core.params import FloatParam

    return FloatParam(name=name, default=default, min=0.0, min_open=True)


# ---------------------------------------------------------------------------- text kinds
def test_unparsable_shape_text_shows_the_reason_and_emits_nothing(panel, qtbot):
    show(panel, "keras.layers.Input", {"shape": [4]})
    line = panel.editor("shape").line
    assert line.text() == "4"
    type_and_commit(qtbot, line, "28, x")
    row = panel.row("shape")
    assert row.problem.text() == (
        'expected a list of one or more integers >= 1 (null for any size), got "28, x"')
    assert panel.edits == []
    assert line.text() == "28, x"  # the user's text stays until fixed
    type_and_commit(qtbot, line, "28, 28, 1")
    type_and_commit(qtbot, line, "[null, 4]")
    assert [e[2] for e in panel.edits] == [[28, 28, 1], [None, 4]]
    assert row.problem.isHidden()


def test_shape_text_forms():
    from nodeflow.core.params import ShapeParam

    kernel = ShapeEditor(ShapeParam(name="kernel_size", default=3, allow_int=True))
    assert kernel._parse("3") == 3
    assert kernel._parse("(3, 3)") == [3, 3]
    assert kernel._format([3]) == "[3]" and kernel._format([3, 3]) == "3, 3"
    shape = ShapeEditor(ShapeParam(name="shape", allow_none=True))
    assert shape._parse("28") == [28]
    assert shape._parse("None, 4,") == [None, 4]
    assert shape._parse("[[1, 1], [2, 2]]") == [[1, 1], [2, 2]]


def test_text_list_round_trips_awkward_items(panel, qtbot):
    show(panel, "data.CsvReader", {"path": "iris.csv"})
    editor = panel.editor("missing_values")
    default = REGISTRY["data.CsvReader"].param("missing_values").default
    assert editor.line.text().startswith('["", "NA"')  # an empty item needs JSON
    assert editor._read() == default
    type_and_commit(qtbot, editor.line, "NA, ?")
    assert panel.edits == [("n_1", "missing_values", ["NA", "?"])]


def test_tab_delimiter_is_typed_as_backslash_t(panel, qtbot):
    show(panel, "data.CsvReader", {"path": "iris.csv"})
    type_and_commit(qtbot, panel.editor("delimiter").line, "\\t")
    assert panel.edits == [("n_1", "delimiter", "\t")]
    panel.update_value("delimiter", "\t")
    assert panel.editor("delimiter").line.text() == "\\t"


def test_file_button_uses_the_replaceable_dialog(panel, qtbot, monkeypatch):
    asked = []

    def fake_dialog(parent, param, current):
        asked.append((param.mode, param.filters, current))
        return "/data/iris.csv"

    monkeypatch.setattr(properties, "choose_path", fake_dialog)
    show(panel, "data.CsvReader", {"path": "old.csv"})
    qtbot.mouseClick(panel.editor("path").button, Qt.LeftButton)
    assert asked == [("open", ("CSV files (*.csv *.tsv *.txt)",), "old.csv")]
    assert panel.edits == [("n_1", "path", "/data/iris.csv")]


def test_json_and_numbers_fields(panel, qtbot):
    show(panel, "keras.layers.Normalization")
    type_and_commit(qtbot, panel.editor("mean").line, "0.5, 0.25")
    type_and_commit(qtbot, panel.editor("variance").line, "{")
    assert panel.edits == [("n_1", "mean", [0.5, 0.25])]
    assert panel.row("variance").problem.text().startswith("expected a number or a list of numbers")
    show(panel, "keras.layers.BatchNormalization")
    type_and_commit(qtbot, panel.editor("renorm_clipping").line, '{"rmax": 3')
    assert "expected a JSON object or null" in panel.row("renorm_clipping").problem.text()
    type_and_commit(qtbot, panel.editor("renorm_clipping").line, '{"rmax": 3}')
    assert panel.edits[-1] == ("n_1", "renorm_clipping", {"rmax": 3})


# ---------------------------------------------------------------------------- choices
def test_choosing_relu_emits_relu_and_none_emits_null(panel):
    panel.show_node("dense_1", DENSE, {"units": 8})
    combo = panel.editor("activation").combo
    assert combo.currentText() == "(none)"
    combo.setCurrentIndex(combo.findText("relu"))
    combo.setCurrentIndex(combo.findText("(none)"))
    assert panel.edits == [("dense_1", "activation", "relu"), ("dense_1", "activation", None)]


def test_optional_bool_is_tristate(panel):
    show(panel, "keras.layers.MultiHeadAttention", {"num_heads": 2, "key_dim": 8})
    check = panel.editor("flash_attention").check
    assert check.isTristate() and check.checkState() == Qt.PartiallyChecked
    check.setCheckState(Qt.Checked)
    check.setCheckState(Qt.PartiallyChecked)
    assert [e[2] for e in panel.edits] == [True, None]


def test_nested_initializer_with_an_argument(panel):
    panel.show_node("dense_1", DENSE, {"units": 8})
    editor = panel.editor("kernel_initializer")
    assert editor.combo.currentText() == "glorot_uniform"
    assert list(editor.form.rows) == ["seed"]
    editor.combo.setCurrentIndex(editor.combo.findText("random_normal"))
    assert list(editor.form.rows) == ["mean", "stddev", "seed"]
    stddev = editor.form.rows["stddev"].editor.spin
    assert stddev.value() == 0.05
    stddev.setValue(0.1)
    stddev.editingFinished.emit()
    assert panel.edits == [
        ("dense_1", "kernel_initializer", "random_normal"),
        ("dense_1", "kernel_initializer", {"name": "random_normal", "args": {"stddev": 0.1}}),
    ]
    editor.form.rows["stddev"].reset_button.click()  # the argument's own reset
    assert panel.edits[-1] == ("dense_1", "kernel_initializer", "random_normal")


def test_nested_value_from_the_model_fills_the_sub_form(panel):
    value = {"name": "variance_scaling", "args": {"scale": 2.0, "mode": "fan_out"}}
    panel.show_node("dense_1", DENSE, {"units": 8, "kernel_initializer": value})
    form = panel.editor("kernel_initializer").form
    assert form.rows["scale"].editor.spin.value() == 2.0
    assert form.rows["mode"].editor.combo.currentText() == "fan_out"
    assert form.rows["scale"].explicit and not form.rows["distribution"].explicit
    panel.update_value("kernel_initializer", "zeros")
    assert panel.editor("kernel_initializer").form is None
    assert panel.edits == []


def test_unknown_nested_option_is_shown_with_its_reason(panel):
    panel.show_node("dense_1", DENSE, {"units": 8, "kernel_regularizer": "bogus"})
    editor = panel.editor("kernel_regularizer")
    assert editor.combo.currentText() == '"bogus" (unknown)'
    assert panel.row("kernel_regularizer").problem.text().endswith('got "bogus"')


# ---------------------------------------------------------------------------- columns
def test_picking_known_columns(panel):
    show(panel, "data.ColumnFilter")
    editor = panel.editor("columns")
    assert editor.list.isHidden()
    panel.set_known_columns(["a", "b", "c"])
    assert not editor.list.isHidden()
    items = {editor.list.item(i).text(): editor.list.item(i) for i in range(editor.list.count())}
    assert list(items) == ["a", "b", "c"]
    items["a"].setCheckState(Qt.Checked)
    items["c"].setCheckState(Qt.Checked)
    assert panel.edits[-1] == ("n_1", "columns", ["a", "c"])
    assert editor.line.text() == "a, c"


def test_typed_columns_show_in_the_list_and_missing_ones_are_marked(panel, qtbot):
    panel.set_known_columns(["a", "b"])
    show(panel, "data.ColumnFilter", {"columns": ["zz"]})
    editor = panel.editor("columns")
    texts = [editor.list.item(i).text() for i in range(editor.list.count())]
    assert texts == ["a", "b", "zz (missing)"]
    type_and_commit(qtbot, editor.line, "b")
    assert panel.edits == [("n_1", "columns", ["b"])]
    assert [editor.list.item(i).checkState() == Qt.Checked for i in range(editor.list.count())] \
        == [False, True]


def test_single_column_parameter_swaps_its_pick(panel):
    panel.set_known_columns(["x", "y"])
    show(panel, "data.RowFilter", {"column": ["x"]})
    editor = panel.editor("column")
    editor.list.item(1).setCheckState(Qt.Checked)
    assert panel.edits == [("n_1", "column", ["y"])]
    assert editor.list.item(0).checkState() == Qt.Unchecked


# ---------------------------------------------------------------------------- model side
def test_update_value_refreshes_without_emitting(panel):
    panel.show_node("dense_1", DENSE, {"units": 8, "activation": "relu"})
    panel.update_value("units", 32)
    panel.update_value("activation", UNSET)
    panel.update_value("use_bias", False)
    panel.update_value("no_such_param", 1)
    assert panel.editor("units").spin.value() == 32
    assert panel.editor("activation").combo.currentText() == "(none)"
    assert panel.editor("use_bias").check.isChecked() is False
    assert panel.edits == []
    assert not panel.row("activation").explicit and panel.row("use_bias").explicit


def test_defaults_look_like_defaults_and_reset_asks_for_one(panel):
    panel.show_node("dense_1", DENSE, {"units": 8, "activation": "relu"})
    relu, bias = panel.row("activation"), panel.row("use_bias")
    assert relu.explicit and not relu.reset_button.isHidden()
    assert not bias.explicit and bias.reset_button.isHidden()
    assert bias.editor.inputs[0].property("nfDefault") is True
    assert not relu.editor.inputs[0].property("nfDefault")
    assert panel.row("units").reset_button.isHidden()  # required: no default to go back to
    relu.reset_button.click()
    assert panel.resets == [("dense_1", "activation")]
    assert relu.editor.combo.currentText() == "(none)" and not relu.explicit
    assert panel.edits == []


def test_labels_carry_help_and_mark_required(panel):
    panel.show_node("dense_1", DENSE, {"units": 8})
    assert panel.form.labels["units"].text() == "units *"
    assert panel.form.labels["activation"].text() == "activation"
    assert "Number of output units" in panel.form.labels["units"].toolTip()


def test_an_unconfirmed_edit_goes_to_the_node_it_was_typed_for(panel, qtbot):
    panel.show_node("dense_1", DENSE, {"units": 8})
    spin = panel.editor("units").spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "5")
    panel.show_node("dense_2", DENSE, {"units": 3})
    assert panel.edits == [("dense_1", "units", 5)]
    assert panel.editor("units").spin.value() == 3


def test_same_node_again_keeps_the_users_pending_text(panel, qtbot):
    show(panel, "keras.layers.Input", {"shape": [4]})
    type_and_commit(qtbot, panel.editor("shape").line, "28, x")
    show(panel, "keras.layers.Input", {"shape": [4], "batch_size": 2})
    assert panel.editor("shape").line.text() == "28, x"
    assert panel.editor("batch_size").spin.value() == 2


def test_no_node_and_node_without_parameters(panel):
    panel.show_node(None, None, {})
    assert panel.form is None and panel.editor("units") is None
    assert "Select a node" in panel.scroll.widget().text()


# ---------------------------------------------------------------------------- description
def test_description_tab_shows_the_manual(panel):
    panel.show_node("dense_1", DENSE, {"units": 8})
    assert [panel.tabs.tabText(i) for i in range(panel.tabs.count())] == ["Parameters", "Description"]
    text = " ".join(panel.description.toPlainText().split())
    assert " ".join(DENSE.description.split()) in text
    assert "keras.layers.Dense" in text and "Layers/Core" in text
    assert "Number of output units (neurons)." in text
    assert "random_normal(mean=0.0, stddev=0.05, seed=null)" in text
    assert "<script>" not in node_manual_html(DENSE)


# ---------------------------------------------------------------------------- the table
def test_every_kind_has_an_editor_and_unknown_kinds_get_json():
    from nodeflow.core.params import PARAM_KINDS, Param

    assert set(PARAM_KINDS) <= set(EDITORS)
    assert isinstance(editor_for(REGISTRY["data.ColumnFilter"].param("columns")), ColumnsEditor)

    class OddParam(Param):
        kind = "odd"

        def _accepts(self, value):
            return True

        def _expected(self):
            return "anything"

    assert type(editor_for(OddParam(name="x", default=1))) is JsonEditor


def test_every_catalogue_default_shows_and_reads_back(panel):
    """Each node type's defaults (and every nested option) display without a problem and
    read back unchanged, so merely looking at a node never changes it."""
    seen_options = set()
    for spec in REGISTRY.sorted():
        panel.show_node("n_1", spec, {})
        for param in spec.params:
            editor = panel.editor(param.name)
            if param.required:
                continue
            assert editor.problem == "", (spec.type_id, param.name, editor.problem)
            assert same_value(param.canonical(editor._read()), param.canonical(param.default)), \
                (spec.type_id, param.name)
            if isinstance(param, NestedChoiceParam) and param.options not in seen_options:
                seen_options.add(param.options)
                for option in param.options:
                    if any(a.required for a in option.args):
                        continue
                    editor.set_value(option.name)
                    assert editor._read() == option.name and editor.problem == ""
    assert panel.edits == []


def test_panel_renders_offscreen(panel, tmp_path):
    panel.resize(420, 700)
    panel.show_node("dense_1", DENSE, {"units": 8, "activation": "relu"})
    image = panel.grab()
    assert not image.isNull()
    assert image.save(str(tmp_path / "properties.png"))


def test_scripted_entry_goes_through_the_same_checks(panel):
    panel.show_node("dense_1", DENSE, {"units": 8})
    panel.set_value_for_test("units", 0)
    panel.set_value_for_test("activation", "relu")
    panel.set_value_for_test("kernel_initializer", {"name": "random_normal", "args": {"stddev": 0.1}})
    assert panel.edits == [("dense_1", "activation", "relu"),
                           ("dense_1", "kernel_initializer",
                            {"name": "random_normal", "args": {"stddev": 0.1}})]
    assert panel.row("units").problem.text() == "expected an integer >= 1, got null"
    with pytest.raises(KeyError):
        panel.set_value_for_test("no_such_param", 1)


# ---------------------------------------------------------------------------- groups and fit
LEARNER_SECTIONS = {
    "Data": ["feature_columns", "target_columns", "output_targets", "validation_split"],
    "Loss and optimizer": ["loss", "optimizer", "metrics", "class_weighting", "class_weights"],
    "Training": ["epochs", "batch_size", "shuffle", "cache", "seed", "deterministic"],
    "Callbacks": ["early_stopping", "monitor", "early_stopping_patience", "restore_best_weights",
                  "reduce_lr_on_plateau", "reduce_lr_factor", "reduce_lr_patience",
                  "terminate_on_nan", "checkpoint_each_epoch", "tensorboard_dir"],
    "Device": ["device", "mixed_precision", "xla", "steps_per_execution"],
}


def click(widget, pos=None):
    QTest.mouseClick(widget, Qt.LeftButton, Qt.NoModifier, pos if pos is not None else widget.rect().center())


def open_section(qtbot, form, title):
    """Click a section's title, as a person opens it."""
    button = next(b for b in form.sections.findChildren(QAbstractButton, "qt_toolbox_toolboxbutton")
                  if b.text() == title)
    click(button)
    qtbot.waitUntil(lambda: form.current_section() == title and form.sections.currentWidget().isVisible(),
                    timeout=5000)
    return form.sections.currentWidget()


def visible_rows(form):
    return [name for name, row in form.rows.items() if row.editor.isVisible()]


def test_learner_parameters_are_sections_that_clicks_open(panel, qtbot):
    panel.resize(380, 800)
    panel.show()
    qtbot.waitExposed(panel)
    show(panel, "learn.NetworkLearner")
    form = panel.form
    assert form.section_titles() == list(LEARNER_SECTIONS)
    assert visible_rows(form) == LEARNER_SECTIONS["Data"]  # the first section is open
    for title in ["Training", "Callbacks", "Loss and optimizer", "Device", "Data"]:
        open_section(qtbot, form, title)
        assert visible_rows(form) == LEARNER_SECTIONS[title]
    # a node without groups keeps one plain form
    show(panel, "keras.layers.Dropout", node_id="dropout_1")
    assert panel.form.sections is None and visible_rows(panel.form) == ["rate", "noise_shape", "seed",
                                                                        "trainable", "shares_weights_with"]


def test_a_section_holding_a_problem_says_so_in_its_title(panel, qtbot):
    show(panel, "learn.NetworkLearner", {"feature_columns": ["x"], "epochs": 0})
    sections = panel.form.sections
    marked = [sections.itemText(i) for i in range(sections.count()) if not sections.itemIcon(i).isNull()]
    assert marked == ["Loss and optimizer", "Training"]  # loss is required; epochs 0 < 1
    assert sections.itemToolTip(2) == "epochs: expected an integer >= 1 and <= 1000000, got 0"
    loss_options = len(REGISTRY["learn.NetworkLearner"].param("loss").options)  # listed by the combo box
    assert sections.itemToolTip(1) == f"loss: required: choose one of the {loss_options} options"
    panel.update_value("epochs", 5)
    assert sections.itemIcon(2).isNull() and sections.itemToolTip(2) == ""


def test_the_next_node_of_a_type_opens_on_the_section_last_opened(panel, qtbot):
    panel.show()
    show(panel, "learn.NetworkLearner", node_id="learner_1")
    open_section(qtbot, panel.form, "Callbacks")
    show(panel, "keras.layers.Dense", node_id="dense_1")
    assert panel.form.current_section() == "Options"  # a type of its own: its first section
    show(panel, "learn.NetworkLearner", node_id="learner_2")
    assert panel.form.current_section() == "Callbacks"


def test_the_manual_has_a_heading_per_group():
    text = node_manual_html(REGISTRY["learn.NetworkLearner"])
    headings = [line for line in text.splitlines() if line.startswith("<h3>Parameters")]
    assert headings == [f"<h3>Parameters: {title}</h3><dl>" for title in LEARNER_SECTIONS]


def test_long_problem_words_wrap_inside_the_row(qtbot):
    label = properties.ProblemLabel()
    qtbot.addWidget(label)
    message = 'expected one of "mean_squared_logarithmic_error", "sparse_categorical_crossentropy"'
    label.setText(message)
    assert label.text() == message  # as given; only the shown text has break chances
    one_word = QLabel('"sparse_categorical_crossentropy",')
    one_word.setWordWrap(True)
    qtbot.addWidget(one_word)
    assert label.minimumSizeHint().width() < one_word.minimumSizeHint().width() / 2


def test_number_boxes_ask_for_a_few_digits_not_for_their_range(qtbot):
    """Qt sizes a spin box for its range (1e12 with 10 decimals: ~160 px), which pushed the
    learner's rows apart; the boxes now ask for a few digits and grow with the panel."""
    editor = editor_for(REGISTRY["learn.NetworkLearner"].param("reduce_lr_factor"))
    qtbot.addWidget(editor)
    plain = QDoubleSpinBox()
    plain.setDecimals(editor.spin.decimals())
    plain.setRange(editor.spin.minimum(), editor.spin.maximum())
    qtbot.addWidget(plain)
    digits = editor.spin.fontMetrics().horizontalAdvance("0" * 9)
    assert editor.spin.minimumSizeHint().width() <= digits + 40 < plain.minimumSizeHint().width()
    assert editor.spin.sizePolicy().horizontalPolicy() == QSizePolicy.Preferred  # may shrink to it


def test_a_narrow_panel_puts_labels_above_fields_and_still_fits(panel, qtbot):
    panel.show()
    show(panel, "learn.NetworkLearner")
    form = panel.form
    scroll = open_section(qtbot, form, "Callbacks")
    page = scroll.widget().findChild(properties._FormPage)
    label, field = form.labels["early_stopping_patience"], form.rows["early_stopping_patience"]
    panel.resize(440, 700)
    qtbot.waitUntil(lambda: page.wrapped is False, timeout=5000)
    qtbot.waitUntil(lambda: label.geometry().right() < field.geometry().left(), timeout=5000)  # beside
    assert_inside_viewport(scroll)
    panel.resize(panel.minimumWidth(), 700)
    qtbot.waitUntil(lambda: page.wrapped is True, timeout=5000)
    qtbot.waitUntil(lambda: label.geometry().bottom() < field.geometry().top(), timeout=5000)  # above
    assert_inside_viewport(scroll)


def assert_inside_viewport(scroll):
    """Every visible widget of a scroll area's page lies within its viewport's width."""
    viewport = scroll.viewport()
    assert not scroll.horizontalScrollBar().isVisible()
    for widget in scroll.widget().findChildren(QWidget):
        if widget.isVisible():
            left = widget.mapTo(viewport, QPoint(0, 0)).x()
            right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
            assert 0 <= left and right <= viewport.width(), (
                f"{widget.metaObject().className()} {widget.objectName()!r} spans {left}..{right}, "
                f"the viewport is {viewport.width()} px wide")


# ---------------------------------------------------------------------------- in the main window
def select_by_click(window, qtbot, node_id):
    viewer = window.canvas.viewer()
    point = viewer.mapFromScene(window.canvas.views[node_id].view.sceneBoundingRect().center())
    for kind, buttons in ((QEvent.MouseButtonPress, Qt.LeftButton), (QEvent.MouseButtonRelease, Qt.NoButton)):
        event = QMouseEvent(kind, QPointF(point), viewer.viewport().mapToGlobal(QPointF(point)),
                            Qt.LeftButton, buttons, Qt.NoModifier)
        QApplication.sendEvent(viewer.viewport(), event)
    qtbot.waitUntil(lambda: window.properties.node_id == node_id, timeout=5000)


def test_the_learner_fits_the_panel_at_1600x1000_and_takes_typed_numbers(window, qtbot):
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.width() == 1600 and window.height() == 1000, timeout=5000)
    drop_from_repository(window, "learn.NetworkLearner", (0, 0))
    select_by_click(window, qtbot, "network_learner_1")
    panel = window.properties
    form = panel.form
    assert form.section_titles() == list(LEARNER_SECTIONS)
    for title in LEARNER_SECTIONS:
        scroll = open_section(qtbot, form, title)
        assert_inside_viewport(scroll)
        # and there is room for labels beside their fields (no field asks for more than it needs)
        assert all(not page.wrapped for page in scroll.findChildren(properties._FormPage)), title
    assert not panel.scroll.horizontalScrollBar().isVisible()

    # epochs typed into its spin box with real keys after a click on it
    open_section(qtbot, form, "Training")
    spin = form.rows["epochs"].editor.spin
    window.activateWindow()
    click(spin.lineEdit())
    qtbot.waitUntil(lambda: QApplication.focusWidget() in (spin, spin.lineEdit()), timeout=5000)
    focused = QApplication.focusWidget()
    QTest.keyClick(focused, Qt.Key_A, Qt.ControlModifier)
    QTest.keyClicks(focused, "25")
    QTest.keyClick(focused, Qt.Key_Return)
    assert window.document.workflow.nodes["network_learner_1"].params["epochs"] == 25


@pytest.mark.parametrize("dock_name", ["properties_dock", "repository_dock"])
def test_a_closed_dock_comes_back_from_the_view_menu(window, qtbot, dock_name):
    dock = getattr(window, dock_name)
    assert dock.isVisible()
    click(dock.findChild(QAbstractButton, "qt_dockwidget_closebutton"))
    qtbot.waitUntil(lambda: not dock.isVisible(), timeout=5000)

    bar = window.menuBar()
    view = next(a for a in bar.actions() if a.text() == "&View")
    click(bar, bar.actionGeometry(view).center())
    menu = view.menu()
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    action = dock.toggleViewAction()
    assert action in menu.actions() and not action.isChecked()
    click(menu, menu.actionGeometry(action).center())
    qtbot.waitUntil(dock.isVisible, timeout=5000)
    assert action.isChecked() and not menu.isVisible()


def test_column_lists_keep_their_rows_compact_and_level_with_their_labels(window, qtbot):
    """A column picker's list is as tall as its rows: no gap opens between a label and its
    field, nor under the list before the next parameter, however tall the section."""
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.width() == 1600 and window.height() == 1000, timeout=5000)
    drop_from_repository(window, "learn.NetworkLearner", (0, 0))
    select_by_click(window, qtbot, "network_learner_1")
    form = window.properties.form
    open_section(qtbot, form, "Data")
    window.properties.set_known_columns(["sepal_length", "sepal_width", "species"])
    qtbot.waitUntil(lambda: form.rows["feature_columns"].editor.list.isVisible(), timeout=5000)

    def top(widget):
        return widget.mapTo(window, widget.rect().topLeft()).y()

    def bottom(widget):
        return widget.mapTo(window, widget.rect().bottomLeft()).y()

    editor = form.rows["feature_columns"].editor
    label = form.labels["feature_columns"]
    row = form.rows["feature_columns"]  # required and empty: its problem shows under the list

    def spare():  # height in the row under the list that neither the list nor the problem uses
        problem = row.problem.sizeHint().height() + 2 if row.problem.isVisible() else 0
        return bottom(row) - bottom(editor.list) - problem

    # the layout settles after the list is filled: wait for it, then look
    qtbot.waitUntil(lambda: spare() <= 12, timeout=5000)
    assert abs(top(editor.line) - top(label)) <= 8
    assert top(form.labels["target_columns"]) - bottom(row) <= 16
