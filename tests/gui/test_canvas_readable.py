"""The canvas is readable at the zoom an example opens with: titles big enough, an icon
per category, and a status light under each node that follows the node's state."""

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF

from nodeflow.core.states import NodeState
from nodeflow.gui.status_light import LAMPS, LOOKS
from tests.conftest import WORKFLOWS
from tests.gui.test_main_window import drop_from_repository

MIN_TITLE_PIXELS = 9.0


def title_pixels(window, node_id) -> float:
    """The on-screen height of a node's title line at the current zoom."""
    text = window.canvas.views[node_id].view.text_item
    line = QRectF(0, 0, 1, QFontMetricsF(text.font()).height())
    return window.canvas.viewer().mapFromScene(text.mapRectToScene(line)).boundingRect().height()


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.nflow")), ids=lambda p: p.name)
def test_every_example_opens_with_readable_titles_and_category_icons(window, qtbot, path):
    assert window.open_file(path)  # opening fits the view
    window.canvas.viewer().viewport().grab()  # paint once: NodeGraphQt hides texts of tiny nodes then
    for node_id, view in window.canvas.views.items():
        assert title_pixels(window, node_id) >= MIN_TITLE_PIXELS, node_id
        assert view.view.text_item.isVisible(), node_id
        spec = window.document.workflow.spec(node_id)
        assert f"icons/{spec.family}" in view.icon().replace("\\", "/"), node_id
    # pressing F again (Fit) keeps the zoom readable too
    window.canvas.fit()
    assert min(title_pixels(window, n) for n in window.canvas.views) >= MIN_TITLE_PIXELS


def test_layers_data_and_learners_get_different_icons(window):
    for type_id, x in (("keras.layers.Dense", 0), ("keras.layers.Conv2D", 250), ("data.SampleDataSet", 500),
                       ("learn.NetworkLearner", 750)):
        drop_from_repository(window, type_id, (x, 0))
    icons = [v.icon() for v in window.canvas.views.values()]
    assert len(set(icons)) == 4, icons


def test_the_status_light_follows_the_node_state(window, qtbot):
    drop_from_repository(window, "keras.layers.Dense", (0, 0))
    window.canvas.fit()
    viewer = window.canvas.viewer()
    light = window.canvas.views["dense_1"].view.light
    for state in NodeState:
        window.canvas.set_state("dense_1", state, "why")
        assert window.canvas.state("dense_1") == state
        expected = LAMPS[LOOKS[state].lamp]
        assert light.color == expected
        # what is on screen: the lit lamp's centre has the lamp's colour
        image = viewer.viewport().grab().toImage()
        pixel = image.pixelColor(viewer.mapFromScene(light.lit_center()))
        assert max(abs(pixel.red() - expected.red()), abs(pixel.green() - expected.green()),
                   abs(pixel.blue() - expected.blue())) < 40, (state, pixel.name(), expected.name())
        assert window.canvas.views["dense_1"].view.toolTip() == f"dense_1: {state.value}\nwhy"
    # queued, running and failed are told apart from the plain lights by a badge
    assert len({(look.lamp, look.badge) for look in LOOKS.values()}) == len(NodeState)


def test_the_view_menu_shows_a_legend_of_every_state(window, qtbot):
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    action = next(a for a in view_menu.actions() if a.text() == "Status &Legend")
    action.trigger()
    from nodeflow.gui.legend import StatusLegend

    legend = window.findChild(StatusLegend)
    qtbot.waitUntil(legend.isVisible, timeout=5000)
    assert list(legend.rows) == list(NodeState)
    for state, (light, name, text) in legend.rows.items():
        assert not light.pixmap().isNull()
        assert text.text() == state.help
    action.trigger()  # a second time: the same window, raised
    assert len(window.findChildren(StatusLegend)) == 1


def on_screen_width(window, node_id) -> float:
    viewer = window.canvas.viewer()
    return viewer.mapFromScene(window.canvas.views[node_id].view.sceneBoundingRect()).boundingRect().width()


def test_titles_stay_when_the_learning_monitor_takes_room_and_all_go_together_far_out(window, qtbot):
    """When training starts the Learning Monitor opens under the canvas, and the view zooms
    out to keep the same part of the workflow in view.  Titles are still readable there, so
    every node keeps its title and ports (NodeGraphQt's own rule blanked nodes under 70 px
    wide: the convolutions lost their titles while the nodes beside them kept theirs).
    Zoomed out so far that no title could be read, all nodes become plain boxes together."""
    assert window.open_file(WORKFLOWS / "digits_cnn.nflow")
    viewer = window.canvas.viewer()
    height = viewer.viewport().height()
    window._show_monitor_dock()  # what the first training event does
    qtbot.waitUntil(lambda: viewer.viewport().height() < height * 0.8, timeout=10000)
    viewer.viewport().grab()  # paint: NodeGraphQt decides what a node shows while painting it
    nodes = list(window.canvas.views)
    assert min(on_screen_width(window, n) for n in nodes) < 70  # the case that used to blank nodes
    for node_id in nodes:
        assert title_pixels(window, node_id) >= 6, node_id
        assert window.canvas.views[node_id].view.text_item.isVisible(), node_id
    range_ = viewer._scene_range  # NodeGraphQt's pan/zoom state, as the canvas's fit sets it
    viewer._scene_range = range_.adjusted(-4 * range_.width(), -4 * range_.height(),
                                          4 * range_.width(), 4 * range_.height())
    viewer._update_scene()
    viewer.viewport().grab()
    assert not any(window.canvas.views[n].view.text_item.isVisible() for n in nodes)
