"""What a Ray trial asks for: the GPUs the learners' device setting names, unless
--trial-gpus says otherwise (a trial on a cluster must reserve the GPU it trains on)."""

import pytest

from nodeflow.core import load
from nodeflow.sweep.command import named_gpus
from tests.conftest import WORKFLOWS


@pytest.mark.parametrize("device, gpus", [("auto", 0), ("cpu", 0), ("gpu", 1), ("gpu:1", 1),
                                          ("gpu:0,gpu:1", 2), ("gpus", 0)])
def test_a_trial_asks_for_the_gpus_its_learner_names(device, gpus):
    workflow = load(WORKFLOWS / "iris_mlp.nflow")
    workflow.set_param("learner", "device", device)
    assert named_gpus(workflow) == gpus


def test_the_ray_executor_reserves_what_it_is_told(monkeypatch):
    ray = pytest.importorskip("ray")
    from nodeflow.sweep import executors

    seen = {}
    monkeypatch.setattr(ray, "init", lambda **kwargs: seen.setdefault("init", kwargs))
    monkeypatch.setattr(ray, "remote", lambda **kwargs: seen.setdefault("remote", kwargs) and (lambda f: f))
    executors.RayExecutor(load(WORKFLOWS / "iris_mlp.nflow"), 2, None, num_cpus=2, num_gpus=1)
    assert seen["remote"]["num_cpus"] == 2 and seen["remote"]["num_gpus"] == 1
    assert seen["init"]["num_cpus"] == 2
