"""The GAN Learner: Stop Learning keeps both networks, mistakes are named, live grids are written.

Each case runs the example workflow's GAN Learner (and what it needs) with the engine,
as `nodeflow run --node gan` would, with a change to show one behaviour.
"""

import numpy as np
import pytest

from nodeflow.core import load
from nodeflow.runtime.context import RunControl
from nodeflow.runtime.engine import Engine
from nodeflow.runtime.events import Event
from nodeflow.runtime.live_images import progress_path, read_progress
from nodeflow.runtime.storage import node_folder, output_path
from tests.conftest import WORKFLOWS

pytestmark = [pytest.mark.keras]


def gan_workflow(**params):
    workflow = load(WORKFLOWS / "gan_digits.nflow")
    for name, value in params.items():
        workflow.set_param("gan", name, value)
    return workflow


def test_stop_learning_keeps_both_networks_trained_so_far(tmp_path):
    control = RunControl()
    control.stop_learning.set()  # as the editor's Stop: honoured after the first execution of steps
    events = []
    result = Engine(gan_workflow(epochs=500, samples=10), tmp_path, on_event=events.append,
                    control=control).run(["gan"])
    assert result.nodes["gan"].status == "executed", result.nodes["gan"].error
    history = result.output("gan", "history")
    assert 1 <= history.num_rows < 500  # stopped early, and what it trained is kept
    generator, discriminator = result.output("gan", "generator"), result.output("gan", "discriminator")
    assert generator.output_shape == (None, 8, 8, 1) and discriminator.output_shape == (None, 1)
    for port in ("generator", "discriminator", "samples", "history"):
        assert output_path(tmp_path, "gan", port, "table" if port in ("samples", "history") else "model").exists()
    assert result.output("gan", "samples").num_rows == 10
    assert any(e["event"] == Event.LOG and "stopped by request" in e.get("message", "") for e in events)


def test_progress_events_are_the_learners_so_the_monitor_draws_both_losses(tmp_path):
    events = []
    result = Engine(gan_workflow(epochs=2, samples=10), tmp_path, on_event=events.append).run(["gan"])
    assert result.nodes["gan"].status == "executed", result.nodes["gan"].error
    epochs = [e for e in events if e["event"] == Event.EPOCH and e["node"] == "gan"]
    assert [e["epoch"] for e in epochs] == [1, 2] and all(e["epochs"] == 2 for e in epochs)
    assert set(epochs[0]["metrics"]) == {"discriminator_loss", "generator_loss"}
    assert any(e["event"] == Event.BATCH and e["node"] == "gan" for e in events)
    assert any(e["event"] == Event.DEVICE and e["node"] == "gan" for e in events)
    progress = read_progress(progress_path(node_folder(tmp_path, "gan"), "samples"))
    assert (progress.epoch, progress.epochs) == (2, 2)
    # the grid is made from the same noise each epoch: the generator's images of it
    assert progress.images.shape == (64, 8, 8, 1) and np.all(np.isfinite(progress.images))


def test_a_generator_whose_images_do_not_fit_is_named(tmp_path):
    workflow = gan_workflow()
    workflow.set_param("g_pixels", "units", 32)
    workflow.set_param("g_image", "target_shape", [4, 8, 1])
    result = Engine(workflow, tmp_path).run(["gan"])
    error = result.nodes["gan"].error
    assert result.nodes["gan"].status == "failed"
    assert "gan" in error and "generator: its output has shape (4, 8, 1)" in error and "(8, 8, 1)" in error


def test_a_missing_image_column_is_named(tmp_path):
    result = Engine(gan_workflow(image_column=["pixels"]), tmp_path).run(["gan"])
    error = result.nodes["gan"].error
    assert "image_column: no column 'pixels'" in error and "image, label" in error


def test_a_discriminator_with_several_scores_is_refused(tmp_path):
    workflow = gan_workflow()
    workflow.set_param("d_score", "units", 2)
    result = Engine(workflow, tmp_path).run(["gan"])
    assert "discriminator: expected one score per image" in result.nodes["gan"].error
