"""Everything a sweep is asked is checked before any trial starts, as `nodeflow run` checks."""

import pytest

from tests.sweep.conftest import study_dir, sweep

METRIC = ["--metric", "scorer.accuracy", "--direction", "maximize", "--trials", "2"]


@pytest.mark.parametrize("param, code, message", [
    ("lerner.epochs=int(1,3)", 2, "the workflow has no node lerner"),
    ("learner.epoch=int(1,3)", 3, "node learner: epoch: unknown parameter of learn.NetworkLearner"),
    ("dropout_1.rate=float(0,1.5)", 3, "node dropout_1: rate: expected a number >= 0.0 and < 1.0, got 1.5"),
    ("dense_1.units=int(0,64)", 3, "node dense_1: units: expected an integer >= 1, got 0"),
    ("dense_1.units=float(8,64)", 3, "node dense_1: units: expected an integer >= 1, got 8.0"),
    ("learner.optimizer=choice(adam,nadamm)", 3, 'node learner: optimizer: expected one of "adam"'),
    ("learner.optimizer.learning_rate=loguniform(-1,1)", 2, "expected LOW > 0 on a log scale"),
    ("learner.optimizer.learning_rate=float(-0.1,0.1)", 3,
     "node learner: optimizer.learning_rate: expected a number"),
    ("dense_1.units.max=int(1,3)", 2, "dense_1.units is a int parameter without arguments"),
    ("savedmodel_writer.overwrite=choice(fail,overwrite)", 3,
     "node savedmodel_writer: overwrite: not used by the metric's node scorer"),
])
def test_bad_params_are_refused_before_any_trial(iris, param, code, message):
    result = sweep(iris, "--param", param, *METRIC)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert not study_dir(iris).exists()  # nothing ran, no trial folder


@pytest.mark.parametrize("args, message", [
    (["--metric", "scorer"], "--metric scorer: expected NODE.NAME"),
    (["--metric", "scorr.accuracy"], "the workflow has no node scorr"),
    (["--metric", "dense_1.units"], "node dense_1 outputs no table"),
    (["--metric", "scorer.accuracy", "--sampler", "grid"], "--sampler grid: dense_1.units=int(4,32) is not"),
    (["--metric", "scorer.accuracy", "--prune", "--executor", "ray"], "--prune works with --executor local"),
    (["--metric", "scorer.accuracy", "--set", "lerner.epochs=2"], "--set lerner.epochs: the workflow has no node lerner"),
])
def test_bad_options_are_usage_errors(iris, args, message):
    result = sweep(iris, "--param", "dense_1.units=int(4,32)", "--trials", "2", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not list(study_dir(iris).glob("trial-*"))
