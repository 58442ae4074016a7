"""The image augmentation nodes record augmentations on a table and never touch its arrays."""

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodeflow.runtime.augment import OPS
from nodeflow.runtime.table import Table
from nodes.data import augment
from nodes.layers import preprocessing

REGISTRY = {spec.type_id: spec for spec in augment.NODES}
LAYERS = {spec.type_id: spec for spec in preprocessing.NODES}
# the smallest parameters a user must fill in for each node
REQUIRED = {
    "data.RandomFlip": {},
    "data.RandomRotation": {"factor": 0.1},
    "data.RandomZoom": {"height_factor": 0.2},
    "data.RandomTranslation": {"height_factor": 0.1, "width_factor": 0.1},
    "data.RandomCrop": {"height": 6, "width": 5},
    "data.RandomContrast": {"factor": 0.2},
    "data.RandomBrightness": {"factor": 0.2},
}


@pytest.fixture
def run(ctx):
    def run(type_id, table, **params):
        spec = REGISTRY[type_id]
        values = spec.resolve({**REQUIRED[type_id], **params})
        for name, value in values.items():
            assert spec.param(name).check(value) == [], (name, value)
        return spec.run(ctx, {"table": table}, values)["table"]

    return run


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return Table({
        "image": rng.integers(0, 256, (6, 12, 10, 3), dtype=np.uint8),
        "label": np.arange(6),
        "pair": rng.random((6, 12, 10, 2)).astype(np.float32),
    })


def test_every_op_has_a_node_in_data_augmentation():
    assert sorted(REGISTRY) == sorted(f"data.{op.name}" for op in OPS.values())
    assert set(REQUIRED) == set(REGISTRY)
    assert all(spec.category == "Data/Augmentation" for spec in REGISTRY.values())


@pytest.mark.parametrize("type_id", sorted(REQUIRED))
def test_a_node_keeps_the_arrays_and_records_its_augmentation(run, images, type_id):
    out = run(type_id, images, seed=7)
    for name in images:
        assert out[name] is images[name]  # no copy, no change
    (recorded,) = out.augmentations
    op = type_id.split(".")[1]
    assert OPS[recorded["op"]].name == op
    assert recorded["column"] == "image" and recorded["seed"] == 7
    assert images.augmentations == ()  # the input table is not changed


def test_a_chain_keeps_the_order_of_its_augmentations(run, images):
    table = run("data.RandomFlip", images, mode="horizontal")
    table = run("data.RandomRotation", table, factor=[-0.05, 0.1])
    table = run("data.RandomContrast", table, factor=0.3)
    assert table.augmentations == (
        {"op": "flip", "column": "image", "mode": "horizontal", "seed": None},
        {"op": "rotation", "column": "image", "factor": [-0.05, 0.1], "fill_mode": "reflect",
         "interpolation": "bilinear", "fill_value": 0.0, "seed": None},
        {"op": "contrast", "column": "image", "factor": 0.3, "seed": None},
    )
    assert table["image"] is images["image"]


def test_a_column_without_images_is_refused_with_the_parameter_named(run, images):
    with pytest.raises(NodeRunError, match=r"column: expected an image column of shape \(rows, height, "
                                           r"width, channels\).*column 'label' holds integers"):
        run("data.RandomFlip", images, column=["label"])
    with pytest.raises(NodeRunError, match=r"column 'pair' holds an array of shape \(rows, 12, 10, 2\)"):
        run("data.RandomZoom", images, column=["pair"])
    with pytest.raises(NodeRunError, match="column: expected existing columns, got 'photo'"):
        run("data.RandomFlip", images, column=["photo"])


def test_a_crop_window_larger_than_the_image_is_refused(run, images):
    with pytest.raises(NodeRunError, match=r"width: expected at most 10 \(the image width of column "
                                           r"'image'\), got 11"):
        run("data.RandomCrop", images, height=12, width=11)


@pytest.mark.parametrize("type_id", sorted(t for t in REGISTRY if t.replace("data.", "keras.layers.") in LAYERS))
def test_parameters_are_the_keras_layer_nodes_own(type_id):
    """Same options, defaults and help as the layer node, minus what the data side fixes."""
    data, layer = REGISTRY[type_id], LAYERS[type_id.replace("data.", "keras.layers.")]
    shared = [p for p in layer.params if p.name not in ("data_format", "value_range", "trainable", "seed",
                                                                 "shares_weights_with")]
    assert [p.name for p in data.params] == ["column", *[p.name for p in shared], "seed"]
    assert all(data.param(p.name) == p for p in shared)


def test_a_file_backed_image_table_stays_on_disk(ctx, tmp_path, monkeypatch):
    """Augmenting the Image Folder Reader's lazy table decodes no image and copies nothing."""
    Image = pytest.importorskip("PIL.Image")
    from nodeflow.runtime.file_table import FileTable
    from nodes.data import readers

    for cls in ("cat", "dog"):
        (tmp_path / "photos" / cls).mkdir(parents=True)
        Image.new("RGB", (20, 10), (255, 0, 0)).save(tmp_path / "photos" / cls / "0.png")
    reader = next(s for s in readers.NODES if s.type_id == "data.ImageFolderReader")
    params = reader.resolve({"path": str(tmp_path / "photos"), "target_size": [8, 6]})
    table = reader.run(ctx, {}, params)["table"]
    assert isinstance(table, FileTable)

    def no_reading(*args, **kwargs):
        raise AssertionError("the augmentation node read the table")

    for name in ("column", "materialize", "chunks", "page"):
        monkeypatch.setattr(FileTable, name, no_reading)
    spec = REGISTRY["data.RandomCrop"]
    out = spec.run(ctx, {"table": table}, spec.resolve({"height": 6, "width": 4}))["table"]
    assert isinstance(out, FileTable) and out.num_rows == 2
    assert out.augmentations == ({"op": "crop", "column": "image", "height": 6, "width": 4,
                                  "interpolation": "bilinear", "seed": None},)
    with pytest.raises(NodeRunError, match=r"height: expected at most 8 \(the image height"):
        spec.run(ctx, {"table": table}, spec.resolve({"height": 9, "width": 4}))
    with pytest.raises(NodeRunError, match="column 'label' holds text"):
        spec.run(ctx, {"table": table}, spec.resolve({"column": ["label"], "height": 6, "width": 4}))
