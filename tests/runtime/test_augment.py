"""build_augmenter: what the learner maps over training batches of images."""

import numpy as np
import pytest

from nodeflow.runtime.augment import OPS, build_augmenter, describe
from nodeflow.runtime.table import Table
from nodes.data import augment as nodes
from tests.nodes.test_augment import REQUIRED

tf = pytest.importorskip("tensorflow")

# non-square images with 3 channels, so a mix-up of axes cannot pass unnoticed
IMAGES = np.random.default_rng(0).integers(0, 256, (48, 12, 10, 3), dtype=np.uint8)
LABELS = np.arange(48)


def augmented(augmentations, images=IMAGES, seed=None, batch=16):
    """Map the augmenter over batches in a tf.data pipeline, as the learner does."""
    apply = build_augmenter(augmentations, seed=seed)
    ds = tf.data.Dataset.from_tensor_slices({"image": images, "label": LABELS}).batch(batch).map(apply)
    batches = list(ds.as_numpy_iterator())
    np.testing.assert_array_equal(np.concatenate([b["label"] for b in batches]), LABELS)
    return np.concatenate([b["image"] for b in batches])


def aug(op, **params):
    return {"op": op, "column": "image", **params, "seed": params.get("seed")}


@pytest.mark.parametrize("mode, axis", [("horizontal", 1), ("vertical", 0)])
def test_flip_mirrors_some_images_exactly_and_leaves_the_others(mode, axis):
    out = augmented([aug("flip", mode=mode)], seed=1)
    assert out.dtype == np.float32
    flipped = [np.array_equal(o, np.flip(i, axis)) for o, i in zip(out, IMAGES)]
    kept = [np.array_equal(o, i) for o, i in zip(out, IMAGES)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 5 < sum(flipped) < 43  # about half of 48, per image rather than per batch


@pytest.mark.parametrize("augmentation", [
    aug("rotation", factor=0.2, fill_mode="reflect", interpolation="bilinear", fill_value=0.0),
    aug("zoom", height_factor=0.3, width_factor=None, fill_mode="reflect", interpolation="bilinear",
        fill_value=0.0),
    aug("translation", height_factor=0.2, width_factor=0.2, fill_mode="reflect",
        interpolation="bilinear", fill_value=0.0),
    aug("crop", height=6, width=5, interpolation="bilinear"),
    aug("contrast", factor=0.5),
    aug("brightness", factor=0.5),
], ids=lambda a: a["op"])
def test_every_op_changes_images_but_keeps_shape_and_the_0_255_scale(augmentation):
    out = augmented([augmentation], seed=2)
    assert out.shape == IMAGES.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 255
    assert out.max() > 1  # still 0..255, not rescaled to 0..1
    changed = [not np.allclose(o, i) for o, i in zip(out, IMAGES)]
    assert sum(changed) > 24


def test_float32_images_give_the_same_result_as_uint8():
    augmentations = [aug("rotation", factor=0.2, fill_mode="reflect", interpolation="bilinear",
                         fill_value=0.0)]
    from_uint8 = augmented(augmentations, seed=3)
    from_float = augmented(augmentations, images=IMAGES.astype(np.float32), seed=3)
    np.testing.assert_allclose(from_float, from_uint8, atol=1e-3)


def test_contrast_with_factor_zero_changes_nothing():
    out = augmented([aug("contrast", factor=0.0)], seed=4)
    np.testing.assert_allclose(out, IMAGES, atol=1e-3)


def _window(image, out, ch, cw):
    """(top, left) of the ch x cw window of ``image`` that ``out`` is a nearest-neighbour
    enlargement of, or None."""
    height, width = image.shape[:2]
    rows = np.round(np.arange(height) * (ch - 1) / (height - 1)).astype(int)
    cols = np.round(np.arange(width) * (cw - 1) / (width - 1)).astype(int)
    for top in range(height - ch + 1):
        for left in range(width - cw + 1):
            if np.array_equal(out, image[top + rows][:, left + cols]):
                return top, left
    return None


def test_crop_cuts_each_image_at_its_own_place_and_resizes_it_back():
    out = augmented([aug("crop", height=6, width=5, interpolation="nearest")], seed=5)
    windows = [_window(i, o, 6, 5) for i, o in zip(IMAGES, out)]
    assert None not in windows
    first_batch = windows[:16]
    assert len(set(first_batch)) > 4  # not one window for the whole batch (Keras's RandomCrop)


def test_a_crop_of_the_whole_image_changes_nothing():
    out = augmented([aug("crop", height=12, width=10, interpolation="bilinear")], seed=6)
    np.testing.assert_allclose(out, IMAGES, atol=1e-3)


def test_seeded_runs_repeat_and_other_seeds_differ():
    augmentations = [aug("flip", mode="horizontal"),
                     aug("zoom", height_factor=0.3, width_factor=None, fill_mode="reflect",
                         interpolation="bilinear", fill_value=0.0)]
    first = augmented(augmentations, seed=7)
    np.testing.assert_array_equal(augmented(augmentations, seed=7), first)
    assert not np.allclose(augmented(augmentations, seed=8), first)
    # an augmentation's own seed wins over the run's
    own = [dict(a, seed=11) for a in augmentations]
    np.testing.assert_array_equal(augmented(own, seed=1), augmented(own, seed=2))


def test_every_epoch_draws_new_changes():
    apply = build_augmenter([aug("rotation", factor=0.3, fill_mode="reflect", interpolation="bilinear",
                                 fill_value=0.0)], seed=9)
    ds = tf.data.Dataset.from_tensor_slices({"image": IMAGES}).batch(16).map(apply)
    epoch_1, epoch_2 = ([b["image"] for b in ds.as_numpy_iterator()] for _ in range(2))
    assert not np.allclose(epoch_1[0], epoch_2[0])


def test_only_the_named_column_is_augmented_and_ops_run_in_order():
    white = {"op": "brightness", "column": "image", "factor": [1.0, 1.0], "seed": 0}  # +255, clipped
    black = {"op": "brightness", "column": "image", "factor": [-1.0, -1.0], "seed": 0}  # -255, clipped
    columns = {"image": tf.constant(IMAGES[:4]), "other": tf.constant(IMAGES[:4])}
    out = build_augmenter([white, black])(columns)
    np.testing.assert_array_equal(out["image"].numpy(), np.zeros(IMAGES[:4].shape, np.float32))
    np.testing.assert_array_equal(build_augmenter([black, white])(columns)["image"].numpy(),
                                  np.full(IMAGES[:4].shape, 255, np.float32))
    assert out["other"].dtype == tf.uint8
    np.testing.assert_array_equal(out["other"].numpy(), IMAGES[:4])


def test_no_augmentations_returns_the_batch_itself():
    columns = {"image": IMAGES}
    assert build_augmenter(())(columns) is columns


def test_what_each_node_records_builds_and_runs():
    """The node's dict is accepted by the runtime, for every node with its defaults."""
    table = Table({"image": IMAGES[:8]})
    for spec in nodes.NODES:
        values = spec.resolve(REQUIRED[spec.type_id])
        (recorded,) = spec.run(None, {"table": table}, values)["table"].augmentations
        out = build_augmenter([recorded], seed=0)({"image": tf.constant(IMAGES[:8])})["image"]
        assert out.shape == IMAGES[:8].shape, spec.type_id


def test_describe_and_unknown_ops():
    assert describe(aug("flip", mode="horizontal")) == "RandomFlip(mode='horizontal') on column 'image'"
    with pytest.raises(ValueError, match="augmentation op: expected one of flip, .*got 'blur'"):
        build_augmenter([{"op": "blur", "column": "image"}])
    assert OPS["contrast"].fixed["value_range"] == (0, 255)


def test_images_stay_float32_under_mixed_precision():
    """The learner may turn mixed precision on; the pipeline must still hand over float32."""
    import keras

    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        apply = build_augmenter([aug("contrast", factor=0.5), aug("flip", mode="horizontal")], seed=0)
    finally:
        keras.mixed_precision.set_global_policy(before)
    assert apply({"image": tf.constant(IMAGES[:4])})["image"].dtype == tf.float32
