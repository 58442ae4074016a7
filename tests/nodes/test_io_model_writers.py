"""Model writers: what is written loads back and predicts the same; overwrites are safe."""

import os

import numpy as np
import pytest

from nodeflow.core import default_registry
from nodeflow.core.errors import NodeRunError

pytestmark = pytest.mark.keras

SAVED = default_registry()["io.SavedModelWriter"]
KERAS = default_registry()["io.KerasModelWriter"]
X = np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32)


@pytest.fixture(scope="module")
def keras():
    from nodeflow.keras import load_keras

    return load_keras()


def make_model(keras, seed):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((4,))
    hidden = keras.layers.Dense(5, activation="relu")(inp)
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax")(hidden))


@pytest.fixture(scope="module")
def model(keras):
    return make_model(keras, 0)


def write(spec, ctx, model, **params):
    return spec.run(ctx, {"model": model}, spec.resolve(params))


def serve(path):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # keep a reference: serve() needs its variables alive
    return loaded.serve(X).numpy()


def test_saved_model_serves_the_same_predictions(ctx, model, tmp_path):
    target = tmp_path / "out" / "model"  # the missing parent is created
    assert write(SAVED, ctx, model, path=str(target)) == {}
    assert (target / "saved_model.pb").is_file()
    assert np.max(np.abs(serve(target) - model.predict(X, verbose=0))) < 1e-5
    outputs = [e for e in ctx.events if e["event"] == "output"]
    assert outputs and outputs[0]["port"] == "model" and outputs[0]["path"] == str(target)
    assert [e["event"] for e in ctx.events] == ["output"]  # reported once (a log line said it again)
    assert os.path.isabs(outputs[0]["path"])
    assert sorted(p.name for p in target.parent.iterdir()) == ["model"]  # no temp folders left


def test_relative_path_refers_to_the_workflow_folder(ctx, model, tmp_path):
    ctx.workflow.base_dir = str(tmp_path)
    write(SAVED, ctx, model, path="exported")
    assert (tmp_path / "exported" / "saved_model.pb").is_file()


def test_saved_model_fail_policy_keeps_the_existing_folder(ctx, model, tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(NodeRunError) as exc:
        write(SAVED, ctx, model, path=str(target))
    assert str(exc.value).startswith(f"path: {target} already exists; set overwrite to \"overwrite\"")
    assert (target / "keep.txt").read_text() == "mine"


def test_saved_model_overwrite_replaces_the_old_model(ctx, model, keras, tmp_path):
    target = tmp_path / "model"
    other = make_model(keras, 7)
    write(SAVED, ctx, other, path=str(target))
    before = serve(target)
    write(SAVED, ctx, model, path=str(target), overwrite="overwrite")
    after = serve(target)
    assert np.max(np.abs(after - model.predict(X, verbose=0))) < 1e-5
    assert np.max(np.abs(after - before)) > 1e-3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_failed_export_never_destroys_the_previous_model(ctx, model, keras, tmp_path, monkeypatch):
    target = tmp_path / "model"
    write(SAVED, ctx, model, path=str(target))
    before = serve(target)
    broken = make_model(keras, 3)

    def half_export(path, **kwargs):
        os.makedirs(path)
        (open(os.path.join(path, "saved_model.pb"), "wb")).write(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(broken, "export", half_export)
    with pytest.raises(NodeRunError, match=r"model: cannot export it as a SavedModel: RuntimeError: disk full"):
        write(SAVED, ctx, broken, path=str(target), overwrite="overwrite")
    np.testing.assert_array_equal(serve(target), before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # the half export was cleaned up


def test_overwrite_refuses_a_folder_that_is_not_a_saved_model(ctx, model, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.tex").write_text("years of work")
    with pytest.raises(NodeRunError, match=r"holds no SavedModel \(no saved_model.pb\)"):
        write(SAVED, ctx, model, path=str(tmp_path / "docs"), overwrite="overwrite")
    assert (tmp_path / "docs" / "thesis.tex").exists()


def test_keras_file_round_trips(ctx, model, keras, tmp_path):
    target = tmp_path / "m.keras"
    write(KERAS, ctx, model, path=str(target))
    loaded = keras.saving.load_model(target)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)
    assert [e["path"] for e in ctx.events if e["event"] == "output"] == [str(target)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


def test_keras_writer_refuses_other_suffixes(ctx, model, tmp_path):
    with pytest.raises(NodeRunError, match=r"path: expected a file name ending in \.keras, got m\.h5; "
                                           r"the legacy \.h5 format is not written"):
        write(KERAS, ctx, model, path=str(tmp_path / "m.h5"))
    with pytest.raises(NodeRunError, match=r"got model \(write a SavedModel folder"):
        write(KERAS, ctx, model, path=str(tmp_path / "model"))
    assert list(tmp_path.iterdir()) == []


def test_keras_writer_overwrite_policy(ctx, model, keras, tmp_path, monkeypatch):
    target = tmp_path / "m.keras"
    target.write_bytes(b"old")
    with pytest.raises(NodeRunError, match=r"already exists; set overwrite to \"overwrite\""):
        write(KERAS, ctx, model, path=str(target))
    assert target.read_bytes() == b"old"

    broken = make_model(keras, 3)

    def half_save(path, *args, **kwargs):
        open(path, "wb").write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(broken, "save", half_save)
    with pytest.raises(NodeRunError, match=r"model: cannot save it as a \.keras file: OSError: disk full"):
        write(KERAS, ctx, broken, path=str(target), overwrite="overwrite")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]

    write(KERAS, ctx, model, path=str(target), overwrite="overwrite")
    loaded = keras.saving.load_model(target)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)
