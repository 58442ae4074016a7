"""The learner's callbacks, declared once as data, at run time."""

import numpy as np

from nodeflow.runtime.engine import Engine
from nodeflow.runtime.storage import node_folder
from nodes.learn.callbacks import CALLBACKS, CHECKPOINT_FOLDER, Given, callback_calls
from nodes.learn.learner import SPEC
from tests.runtime.conftest import FEATURES, mlp_workflow
from tests.runtime.test_bad_input import write_csv


def test_every_declared_argument_comes_from_a_learner_parameter_or_the_caller():
    names = {p.name for p in SPEC.params}
    for callback in CALLBACKS:
        assert callback.switch in names
        assert all(isinstance(s, Given) or s in names for s in callback.args.values())


def test_the_monitor_parameter_wins_over_the_default():
    params = SPEC.resolve({"feature_columns": ["x"], "loss": "huber", "early_stopping": True,
                           "terminate_on_nan": False, "monitor": "val_accuracy"})
    assert callback_calls(params, {"monitor": "loss"}) == [
        ("EarlyStopping", {"monitor": "val_accuracy", "patience": 5, "restore_best_weights": True})]


def test_a_run_with_checkpoints_and_early_stopping_writes_one_file_per_epoch(keras, tmp_path):
    rng = np.random.default_rng(0)
    rows = [[*map(float, rng.normal(size=4)), int(rng.integers(0, 3))] for _ in range(48)]
    path = write_csv(tmp_path / "data.csv", FEATURES + ["species"], rows)
    wf = mlp_workflow(path, epochs=3, batch_size=16, checkpoint_each_epoch=True, early_stopping=True,
                      early_stopping_patience=5, reduce_lr_on_plateau=True)
    result = Engine(wf, tmp_path / "run").run()
    assert result.nodes["learner"].status == "executed", result.nodes["learner"].error
    folder = node_folder(tmp_path / "run", "learner") / CHECKPOINT_FOLDER
    assert sorted(p.name for p in folder.iterdir()) == [f"epoch_{i:03d}.keras" for i in (1, 2, 3)]
    assert list(result.output("learner", "history")["epoch"]) == [1, 2, 3]
