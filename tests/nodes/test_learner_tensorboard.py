"""The learner's TensorBoard option writes logs (``tensorboard`` is a declared dependency:
TensorFlow 2.21 no longer installs it, and Keras's TensorBoard callback needs it)."""

import pytest

from nodeflow.runtime.engine import Engine
from tests.runtime.conftest import iris_numeric, mlp_workflow  # noqa: F401 - the fixture

pytestmark = pytest.mark.keras


def test_tensorboard_dir_receives_the_epoch_losses(iris_numeric, tmp_path):  # noqa: F811
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = Engine(mlp_workflow(iris_numeric, epochs=3, tensorboard_dir="logs"), tmp_path / "run",
                    use_cache=False).run()
    assert result.status == "executed", result.nodes["learner"].error
    logs = iris_numeric.parent / "logs"  # relative to the workflow's folder
    [events] = (logs / "train").glob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events)).Reload()
    assert [event.step for event in accumulator.Tensors("epoch_loss")] == [0, 1, 2]
