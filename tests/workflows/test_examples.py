"""Every example in workflows/ runs headless and reaches the quality its description promises.

The examples are copied to a temporary folder (their outputs are written beside them) and
run with the same engine as `nodeflow run`, in dependency order: the transfer-learning
example reads the network the digits example saves.  Bars are stated here:

- iris MLP: test accuracy >= 0.93;
- digits CNN: test accuracy >= 0.95;
- diabetes regression: test R2 >= 0.40 (a linear model reaches about 0.45 on such splits);
- digits autoencoder: reconstruction MSE on the test images <= 0.35 x the MSE of predicting
  each pixel's training mean;
- reviews LSTM: test accuracy >= 0.85;
- transfer learning (digits 5-9 from frozen features): test accuracy >= 0.90.

Each SavedModel reloads with tf.saved_model.load and reproduces the executor's
predictions (max abs diff 1e-5).
"""

import shutil

import numpy as np
import pytest

from nodeflow.core import load, validate
from nodeflow.runtime.engine import Engine
from tests.conftest import WORKFLOWS

pytestmark = [pytest.mark.keras, pytest.mark.slow]

ORDER = ["iris_mlp", "digits_cnn", "diabetes_regression", "digits_autoencoder", "reviews_lstm",
         "transfer_learning"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    for path in WORKFLOWS.glob("*.nflow"):
        shutil.copy(path, folder / path.name)
    out = {}
    for name in ORDER:
        workflow = load(folder / f"{name}.nflow")
        out[name] = (Engine(workflow, folder / "runs" / name).run(), folder)
    return out


def test_every_example_is_run_here():
    assert sorted(p.stem for p in WORKFLOWS.glob("*.nflow")) == sorted(ORDER)


@pytest.mark.parametrize("name", ORDER)
def test_example_runs_to_the_end(results, name):
    result, _ = results[name]
    assert {n: r.error for n, r in result.nodes.items() if r.status != "executed"} == {}


def metric(result, name):
    table = result.output("scorer", "metrics")
    rows = [float(v) for m, c, v in zip(table["metric"], table["class"], table["value"])
            if m == name and str(c) == ""]
    return rows[0]


@pytest.mark.parametrize("name, bar", [("iris_mlp", 0.93), ("digits_cnn", 0.95), ("reviews_lstm", 0.85),
                                       ("transfer_learning", 0.90)])
def test_classifiers_reach_their_accuracy(results, name, bar):
    assert metric(results[name][0], "accuracy") >= bar


def test_regression_r2(results):
    assert metric(results["diabetes_regression"][0], "r2") >= 0.40


def test_autoencoder_reconstructs_far_better_than_the_mean_image(results):
    result, _ = results["digits_autoencoder"]
    scored = result.output("executor", "table")
    images = scored["image"].reshape(len(scored["image"]), -1)
    recon = scored["reconstruction"].reshape(len(images), -1)
    baseline = np.mean((images - images.mean(axis=0)) ** 2)
    assert np.mean((images - recon) ** 2) <= 0.35 * baseline


def test_transfer_learning_kept_the_base_weights(results):
    import keras

    _, folder = results["transfer_learning"]
    base = keras.saving.load_model(folder / "output" / "digits_cnn.keras")
    trained = results["transfer_learning"][0].output("learner", "model")
    for layer in base.layers:
        if layer.weights and layer.name != "digit":
            for a, b in zip(layer.get_weights(), trained.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["iris_mlp", "digits_cnn", "reviews_lstm"])
def test_savedmodel_reproduces_the_executor(results, name):
    import tensorflow as tf

    result, folder = results[name]
    workflow = load(folder / f"{name}.nflow")
    path = workflow.resolve_path(workflow.nodes["savedmodel_writer"].params["path"])
    loaded = tf.saved_model.load(path)  # keep a reference while serving
    scored = result.output("executor", "table")
    features = workflow.nodes["executor"].params["feature_columns"]
    if len(features) == 1:
        x = scored[features[0]]
    else:
        x = np.stack([scored[c] for c in features], axis=1)
    served = loaded.serve(tf.constant(x.astype("int32" if x.dtype.kind in "iu" else "float32"))).numpy()
    probabilities = np.stack([scored[f"prediction_p{i}"] for i in range(served.shape[1])], axis=1)
    assert np.max(np.abs(served - probabilities)) < 1e-5


def test_examples_are_valid_and_documented():
    for path in WORKFLOWS.glob("*.nflow"):
        workflow = load(path)
        assert validate(workflow) == []
        assert len(workflow.description) > 80
