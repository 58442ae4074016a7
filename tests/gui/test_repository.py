"""The node repository panel: category tree, search, activation and drag payload."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QModelIndex, Qt

from nodeflow.core.registry import Registry, default_registry
from nodeflow.gui import repository
from nodeflow.gui.repository import (
    MIME_TYPE,
    TYPE_ID_ROLE,
    NodeRepository,
    first_sentence,
    mime_data_for,
    type_id_from_mime,
)
from tests.conftest import ROOT


@pytest.fixture
def panel(qtbot):
    widget = NodeRepository()
    qtbot.addWidget(widget)
    widget.resize(320, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def leaf_paths(model) -> dict[str, tuple[str, ...]]:
    """type id -> category path of every leaf of the (source) model."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(parent: QModelIndex, path: tuple[str, ...]):
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            type_id = index.data(TYPE_ID_ROLE)
            if type_id:
                assert type_id not in found, f"{type_id} appears twice"
                found[type_id] = path
            else:
                walk(index, path + (index.data(),))

    walk(QModelIndex(), ())
    return found


def double_click(qtbot, widget, pos) -> None:
    """A real double click: Qt 6's QTest.mouseDClick sends only the MouseButtonDblClick
    event, and item views emit doubleClicked only for the item pressed just before."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def type_in(qtbot, panel: NodeRepository, text: str) -> None:
    panel.search_field.clear()
    qtbot.keyClicks(panel.search_field, text)


def test_tree_holds_every_registry_node_under_its_category_path(panel):
    registry = default_registry()
    paths = leaf_paths(panel.model)
    assert set(paths) == {spec.type_id for spec in registry}
    for spec in registry:
        assert paths[spec.type_id] == tuple(spec.category.split("/")), spec.type_id
    index = panel.index_of("keras.layers.Dense")
    assert index.data() == "Dense"
    assert "keras.layers.Dense" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "fully connected layer" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()


def test_an_empty_search_shows_every_node_collapsed_to_the_top_level(panel):
    assert len(panel.visible_type_ids()) == len(default_registry())
    proxy = panel.proxy_model
    top = [proxy.index(row, 0) for row in range(proxy.rowCount())]
    assert [i.data() for i in top] == ["Data", "IO", "Layers", "Learning", "Operations"]
    assert not any(panel.tree_view.isExpanded(i) for i in top)


def test_typing_conv2d_keeps_the_2d_convolutions_and_hides_dense(qtbot, panel):
    type_in(qtbot, panel, "conv2d")
    visible = panel.visible_type_ids()
    for type_id in ("keras.layers.Conv2D", "keras.layers.Conv2DTranspose",
                    "keras.layers.DepthwiseConv2D", "keras.layers.SeparableConv2D"):
        assert type_id in visible
    assert "keras.layers.Dense" not in visible
    assert "keras.layers.Conv1D" not in visible
    assert not panel.index_of("keras.layers.Dense").isValid()
    # the categories above the matches are open, and the best match is selected
    conv = panel.index_of("keras.layers.Conv2D")
    assert panel.tree_view.isExpanded(conv.parent())
    assert panel.tree_view.isExpanded(conv.parent().parent())
    assert panel.selected_type_id() == "keras.layers.Conv2D"


@pytest.mark.parametrize(
    ("query", "type_id"),
    [
        ("fully connected", "keras.layers.Dense"),  # description and keyword
        ("FULLY Connected", "keras.layers.Dense"),  # case-insensitive
        ("deconvolution", "keras.layers.Conv2DTranspose"),  # keyword
        ("data.CsvReader", "data.CsvReader"),  # type id
    ],
)
def test_search_matches_description_keywords_and_type_id(qtbot, panel, query, type_id):
    type_in(qtbot, panel, query)
    assert type_id in panel.visible_type_ids()


def test_every_word_of_the_query_must_match(qtbot, panel):
    type_in(qtbot, panel, "pooling 3d max")
    visible = panel.visible_type_ids()
    assert "keras.layers.MaxPooling3D" in visible
    assert "keras.layers.MaxPooling2D" not in visible
    assert "keras.layers.AveragePooling3D" not in visible


def test_clearing_the_search_restores_every_node(qtbot, panel):
    type_in(qtbot, panel, "conv2d")
    assert len(panel.visible_type_ids()) < len(default_registry())
    panel.search_field.clear()
    visible = panel.visible_type_ids()
    assert len(visible) == len(default_registry())
    assert set(visible) == {spec.type_id for spec in default_registry()}
    assert panel.selected_type_id() is None


def test_no_match_shows_a_message_and_escape_clears(qtbot, panel):
    type_in(qtbot, panel, "no-such-node-xyz")
    assert panel.visible_type_ids() == []
    assert panel.tree_view.isHidden()
    qtbot.keyClick(panel.search_field, Qt.Key.Key_Escape)
    assert panel.search_field.text() == ""
    assert not panel.tree_view.isHidden()
    assert len(panel.visible_type_ids()) == len(default_registry())


def test_double_click_on_a_leaf_requests_the_node(qtbot, panel):
    assert panel.select_type("keras.layers.Dropout")
    index = panel.index_of("keras.layers.Dropout")
    tree = panel.tree_view
    tree.scrollTo(index)
    center = tree.visualRect(index).center()
    with qtbot.waitSignal(panel.node_requested, timeout=1000) as blocker:
        double_click(qtbot, tree.viewport(), center)
    assert blocker.args == ["keras.layers.Dropout"]


def test_double_click_on_a_category_requests_nothing(qtbot, panel):
    tree = panel.tree_view
    index = panel.proxy_model.index(0, 0)  # "Data"
    with qtbot.assertNotEmitted(panel.node_requested, wait=50):
        double_click(qtbot, tree.viewport(), tree.visualRect(index).center())
    assert tree.isExpanded(index)  # a category opens instead


def test_enter_in_the_tree_requests_the_current_leaf(qtbot, panel):
    assert panel.select_type("data.CsvReader")
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        with qtbot.waitSignal(panel.node_requested, timeout=1000) as blocker:
            qtbot.keyClick(panel.tree_view, key)
        assert blocker.args == ["data.CsvReader"]


def test_enter_in_the_search_field_adds_the_best_match(qtbot, panel):
    type_in(qtbot, panel, "dense")  # many descriptions mention "dense"; the name wins
    with qtbot.waitSignal(panel.node_requested, timeout=1000) as blocker:
        qtbot.keyClick(panel.search_field, Qt.Key.Key_Return)
    assert blocker.args == ["keras.layers.Dense"]


def test_arrow_keys_in_the_search_field_move_through_the_matches(qtbot, panel):
    type_in(qtbot, panel, "conv2d")
    assert panel.selected_type_id() == "keras.layers.Conv2D"
    qtbot.keyClick(panel.search_field, Qt.Key.Key_Down)
    assert panel.selected_type_id() == "keras.layers.Conv2DTranspose"
    with qtbot.waitSignal(panel.node_requested, timeout=1000) as blocker:
        qtbot.keyClick(panel.search_field, Qt.Key.Key_Return)
    assert blocker.args == ["keras.layers.Conv2DTranspose"]


def test_mime_data_of_a_leaf_carries_the_type_id(panel):
    index = panel.index_of("keras.layers.LSTM")
    mime = panel.proxy_model.mimeData([index])
    assert MIME_TYPE in mime.formats()
    assert bytes(mime.data(MIME_TYPE).data()) == b"keras.layers.LSTM"
    assert mime.text() == "keras.layers.LSTM"
    assert type_id_from_mime(mime) == "keras.layers.LSTM"
    assert panel.proxy_model.mimeData([index.parent()]) is None  # a category drags nothing
    assert type_id_from_mime(mime_data_for("data.CsvReader")) == "data.CsvReader"


def test_dragging_a_leaf_starts_a_copy_drag_with_the_type_id(monkeypatch, panel):
    started = []

    class FakeDrag:
        def __init__(self, source):
            self.source = source

        def setMimeData(self, mime):
            self.mime = mime

        def setPixmap(self, pixmap):
            self.pixmap = pixmap

        def exec(self, actions, default):
            started.append((type_id_from_mime(self.mime), self.mime.text(), actions))
            return default

    monkeypatch.setattr(repository, "QDrag", FakeDrag)
    panel.select_type("keras.layers.Embedding")
    panel.tree_view.startDrag(Qt.DropAction.CopyAction)
    assert started == [("keras.layers.Embedding", "keras.layers.Embedding",
                        Qt.DropAction.CopyAction)]


def test_focus_search_selects_the_text(qtbot, panel):
    panel.search_field.setText("lstm")
    panel.tree_view.setFocus()
    panel.focus_search()
    assert panel.search_field.selectedText() == "lstm"


def test_a_given_registry_is_used(qtbot):
    specs = [default_registry()["keras.layers.Dense"], default_registry()["data.CsvReader"]]
    widget = NodeRepository(Registry(specs))
    qtbot.addWidget(widget)
    assert widget.visible_type_ids() == ["data.CsvReader", "keras.layers.Dense"]


def test_first_sentence_skips_abbreviations():
    assert first_sentence("Splits rows, e.g. train and test.  More.") == "Splits rows, e.g. train and test."
    assert first_sentence("No full stop") == "No full stop"


def test_the_module_imports_no_tensorflow():
    code = (
        "import sys; import nodeflow.gui.repository\n"
        "print(','.join(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('tensorflow', 'keras', 'NodeGraphQt'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
