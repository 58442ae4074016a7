"""Every example in workflows/ runs headless and reaches the quality its description promises.

Each example is copied alone into a clean temporary folder laid out as a fresh clone
(``workflows/`` beside ``resources/``; outputs are written beside the workflow) and run with
the same engine as `nodeflow run`, so no example can depend on another having run first:
the transfer-learning example builds on the base network shipped in resources/models/.
Bars are stated here:

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
from pathlib import Path

import numpy as np
import pytest

from nodeflow.core import load, validate
from nodeflow.runtime.engine import Engine
from tests.conftest import WORKFLOWS

pytestmark = [pytest.mark.keras, pytest.mark.slow]

ORDER = ["transfer_learning", "iris_mlp", "digits_cnn", "diabetes_regression", "digits_autoencoder",
         "reviews_lstm"]
MODELS = WORKFLOWS.parent / "resources" / "models"


def fresh_clone(root, name):
    """A folder holding only this example and the bundled models, as in a new clone."""
    (root / "workflows").mkdir(parents=True)
    shutil.copy(WORKFLOWS / f"{name}.nflow", root / "workflows")
    shutil.copytree(MODELS, root / "resources" / "models")
    return root / "workflows"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = {}
    for name in ORDER:
        folder = fresh_clone(tmp_path_factory.mktemp(name), name)
        workflow = load(folder / f"{name}.nflow")
        out[name] = (Engine(workflow, folder / "runs" / name).run(), folder)
    return out


def test_every_example_is_run_here_or_by_its_own_test():
    """An example with new nodes of its own (text generation, a GAN...) has its own test file,
    ``test_example_<name>.py`` beside this one, with its own bar; every other runs here."""
    own = {p.stem.removeprefix("test_example_") for p in Path(__file__).parent.glob("test_example_*.py")}
    assert sorted(p.stem for p in WORKFLOWS.glob("*.nflow")) == sorted(ORDER + sorted(own))


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
    base = keras.saving.load_model(folder.parent / "resources" / "models" / "digits_0to4_base.keras")
    trained = results["transfer_learning"][0].output("learner", "model")
    kept = 0
    for layer in base.layers:
        if layer.weights and layer.name not in ("digit", "dropout_1"):
            kept += 1
            for a, b in zip(layer.get_weights(), trained.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(a, b)
    assert kept == 3  # the three convolutions up to the cut at "features"


def test_the_bundled_base_network_is_what_its_recipe_builds():
    """resources/models/digits_0to4_base.keras is remade by running the .nflow beside it:
    the file's layers are the recipe's network, layer by layer."""
    import keras

    from nodeflow.keras.translator import translate

    recipe = load(MODELS / "digits_0to4_base.nflow")
    assert validate(recipe) == []
    writer = recipe.nodes["keras_writer"].params["path"]
    assert recipe.resolve_path(writer) == str(MODELS / "digits_0to4_base.keras")
    built = translate(recipe, output=("digit", "output")).model
    shipped = keras.saving.load_model(MODELS / "digits_0to4_base.keras", compile=False)
    describe = lambda m: [(type(la).__name__, la.name, [tuple(w.shape) for w in la.weights])  # noqa: E731
                          for la in m.layers]
    assert describe(shipped) == describe(built)


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
