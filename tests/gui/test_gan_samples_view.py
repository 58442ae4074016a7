"""The GAN example in the editor, and its samples view that follows training.

The live test starts a real `nodeflow run` child (TensorFlow import included) that trains
the example's GAN, opens the samples view from the node's menu while it trains, and stops
learning from the Run menu: the view shows newer epochs as they come, then the output.
"""

import json
import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from nodeflow.core import validate
from nodeflow.core.states import NodeState
from tests.conftest import WORKFLOWS
from tests.gui.examples import assert_every_node_configured, open_example
from tests.gui.test_canvas_port_views import double_click
from tests.gui.test_main_window import port_point

RUN_TIMEOUT_MS = 180_000


def test_the_example_opens_from_the_examples_menu_with_every_node_configured(window, qtbot):
    workflow = open_example(window, "gan_digits")
    assert "gan" in workflow.nodes and validate(workflow) == []
    assert len(workflow.backdrops) >= 4
    assert_every_node_configured(window, qtbot)


def test_before_any_run_the_samples_port_says_there_is_nothing_yet(window, qtbot, tmp_path):
    path = tmp_path / "gan_digits.nflow"
    shutil.copy(WORKFLOWS / "gan_digits.nflow", path)
    assert window.open_file(path)
    double_click(window.canvas.viewer().viewport(), port_point(window, "gan", "samples", True))
    qtbot.waitUntil(lambda: "no images on port samples yet" in window.statusBar().currentMessage(),
                    timeout=10000)
    assert not window.port_views


@pytest.mark.slow
def test_the_samples_view_follows_training_and_stop_keeps_the_networks(window, qtbot, tmp_path):
    from nodeflow.gui.port_views import ImageGridView

    document = json.loads((WORKFLOWS / "gan_digits.nflow").read_text(encoding="utf-8"))
    gan = next(n for n in document["nodes"] if n["id"] == "gan")
    gan["params"]["epochs"] = 2000  # far more than the test waits for: it ends by Stop Learning
    path = tmp_path / "gan_digits.nflow"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert window.open_file(path)
    window.canvas.select(["gan"])
    window.execute_selected_action.trigger()
    progress_file = window.session.run_dir() / "nodes" / "gan" / "samples.progress.npz"
    qtbot.waitUntil(lambda: window.session.node_state("gan")[0] == NodeState.RUNNING
                    and progress_file.exists(), timeout=RUN_TIMEOUT_MS)

    action = next(a for a in window.node_menu("gan").actions() if a.text() == "View samples (table)")
    assert action.isEnabled()  # while the node runs: the samples view is live
    action.trigger()
    view = window.port_views[-1].view
    assert isinstance(view, ImageGridView)
    qtbot.waitUntil(lambda: view.epoch is not None and view.epoch >= 1, timeout=RUN_TIMEOUT_MS)
    first_epoch, first_image = view.epoch, view.image.copy()
    qtbot.waitUntil(lambda: view.epoch is not None and view.epoch >= first_epoch + 2, timeout=RUN_TIMEOUT_MS)
    assert f"after epoch {view.epoch} of 2000" in view.caption.text()
    assert view.image != first_image  # the generator learned: the same noise makes other images

    window.stop_action.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=RUN_TIMEOUT_MS)
    assert window.session.node_state("gan")[0] == NodeState.EXECUTED
    # the view now shows the node's output: the first 64 of its 500 samples, the table a tab away
    qtbot.waitUntil(lambda: view.epoch is None, timeout=10000)
    assert "first 64 of 500 images of column image" in view.caption.text()
    assert view.tabs.count() == 2 and view.table_view.table.num_rows == 500
    history = window.session.stored_history("gan")
    assert 1 <= len(history) < 2000
    assert set(history[-1][1]) == {"discriminator_loss", "generator_loss"}
    for port in ("generator", "discriminator"):
        assert (window.session.run_dir() / "nodes" / "gan" / f"{port}.keras").exists()


def test_the_grid_draws_every_image_with_one_scale(qtbot):
    from nodeflow.gui.port_views import GRID_GAP, image_grid

    images = np.zeros((5, 8, 8, 1), dtype=np.float32)
    images[1] = 16.0  # the second image white, the others black
    images[4, 0, 0] = 8.0  # one mid-grey pixel
    grid = image_grid(images, cell=16)  # 2x enlarged, 3 columns x 2 rows
    assert (grid.width(), grid.height()) == (3 * 16 + 2 * GRID_GAP, 2 * 16 + GRID_GAP)
    pixel = lambda x, y: grid.pixelColor(x, y).value()  # noqa: E731
    assert pixel(0, 0) == 0 and pixel(16 + GRID_GAP + 5, 5) == 255
    step = 16 + GRID_GAP
    assert pixel(step, step) in (127, 128) and pixel(step + 2, step + 2) == 0  # the 2x2 block, then black
    QApplication.processEvents()
