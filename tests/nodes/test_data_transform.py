"""Normalizer (+ Apply and its stored form), Category to Number, One-Hot Encoding, Text to Sequence."""

import json

import numpy as np
import pytest

from nodeflow.core.errors import NodeRunError
from nodes.data import transform
from nodeflow.runtime.table import Table
from nodeflow.runtime.values import Normalizer
from nodes.data.samples import load_sample

REGISTRY = {spec.type_id: spec for spec in transform.NODES}


@pytest.fixture
def run(ctx):
    context = ctx

    def run(type_id, inputs, **params):
        spec = REGISTRY[type_id]
        if isinstance(inputs, Table):
            inputs = {"table": inputs}
        return spec.run(context, inputs, spec.resolve(params))

    return run


@pytest.fixture(scope="module")
def iris():
    return load_sample("iris")


TRAIN = Table({"x": np.array([0.0, 5.0, 10.0]), "n": np.array([1, 2, 3]), "s": np.array(["a", "b", "c"])})
TEST = Table({"s": np.array(["z"]), "x": np.array([20.0]), "n": np.array([0])})


# -- Normalizer -------------------------------------------------------------------------
def test_min_max_maps_the_training_range_and_apply_reuses_it(run):
    out = run("data.Normalizer", TRAIN, columns=["x", "n"])
    assert out["table"]["x"].tolist() == [0.0, 0.5, 1.0] and out["table"]["n"].tolist() == [0.0, 0.5, 1.0]
    assert out["table"]["s"].tolist() == ["a", "b", "c"]
    applied = run("data.NormalizerApply", {"table": TEST, "normalizer": out["normalizer"]})["table"]
    assert applied.column_names == ["s", "x", "n"]
    assert applied["x"].tolist() == [2.0] and applied["n"].tolist() == [-0.5]  # training min/max, not TEST's


def test_z_score_decimal_scaling_and_target_range(run, iris):
    z = run("data.Normalizer", iris, columns=["sepal_length"], method="z_score")["table"]["sepal_length"]
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12
    d = run("data.Normalizer", iris, columns=["sepal_length"], method="decimal_scaling")["table"]["sepal_length"]
    assert np.allclose(d, iris["sepal_length"] / 10) and np.abs(d).max() < 1
    m = run("data.Normalizer", iris, columns=["petal_width"], new_min=-1.0, new_max=1.0)["table"]["petal_width"]
    assert (m.min(), m.max()) == (-1.0, 1.0)


def test_image_column_is_scaled_as_a_whole_and_stays_float32(run):
    digits = load_sample("digits")
    out = run("data.Normalizer", digits, columns=["image"])
    assert out["table"]["image"].dtype == np.float32 and out["table"]["image"].shape == (1797, 8, 8, 1)
    assert out["table"]["image"].max() == 1.0 and np.allclose(out["table"]["image"], digits["image"] / 16)
    assert out["normalizer"].parameters["image"]["max"] == 16


def test_normalizer_round_trips_through_json_and_inverts(run, iris):
    fitted = run("data.Normalizer", iris, columns=["sepal_length", "petal_length"], method="z_score")
    data = fitted["normalizer"].to_json()
    again = Normalizer.from_json(json.loads(json.dumps(data)))
    assert again == fitted["normalizer"] and Normalizer.from_json(json.dumps(data)) == again
    assert np.array_equal(again.apply(iris)["sepal_length"], fitted["table"]["sepal_length"])
    assert np.allclose(again.invert(fitted["table"])["petal_length"], iris["petal_length"])
    scale, offset = again.scale_offset("sepal_length")
    assert np.allclose(iris["sepal_length"] * scale + offset, fitted["table"]["sepal_length"])
    with pytest.raises(ValueError, match="expected parameters min, max, new_min, new_max for min_max"):
        Normalizer.from_json({**data, "method": "min_max"})


def test_normalizer_errors(run, iris):
    with pytest.raises(NodeRunError, match=r"^columns: expected numeric columns \(normalization needs numbers\), "
                                           r"column 'species' holds text$"):
        run("data.Normalizer", iris, columns=["species"])
    with pytest.raises(NodeRunError, match=r"^columns: expected existing columns, got 'petal'; the table has: "):
        run("data.Normalizer", iris, columns=["petal"])
    with pytest.raises(NodeRunError, match=r"^new_max: expected a number > new_min \(1.0\), got 0.0$"):
        run("data.Normalizer", iris, columns=["petal_width"], new_min=1.0, new_max=0.0)
    fitted = run("data.Normalizer", TRAIN, columns=["x"])["normalizer"]
    with pytest.raises(NodeRunError, match=r"^table: expected existing columns \(the normalizer was fitted on x\), "
                                           r"got 'x'; the table has: n$"):
        run("data.NormalizerApply", {"table": Table({"n": np.array([1])}), "normalizer": fitted})


# -- Category to Number -----------------------------------------------------------------
def test_category_codes_are_sorted_and_the_mapping_codes_test_data_alike(run, iris):
    out = run("data.CategoryToNumber", iris, columns=["species"])
    assert out["table"]["species"].dtype == np.int64
    assert out["table"]["species"][[0, 50, 100]].tolist() == [0, 1, 2]
    mapping = out["mapping"]
    assert mapping["category"].tolist() == ["setosa", "versicolor", "virginica"]
    assert mapping["code"].tolist() == [0, 1, 2] and set(mapping["column"].tolist()) == {"species"}
    test = Table({"species": np.array(["virginica", "setosa"])})
    coded = run("data.CategoryToNumber", {"table": test, "mapping": mapping}, columns=["species"])
    assert coded["table"]["species"].tolist() == [2, 0]
    with pytest.raises(NodeRunError, match=r"^mapping: expected only known categories in column 'species' "
                                           r"\(setosa, versicolor, virginica\), got 1 unknown: 'rose'$"):
        run("data.CategoryToNumber", {"table": Table({"species": np.array(["rose"])}), "mapping": mapping},
            columns=["species"])


def test_category_to_number_refuses_decimals(run, iris):
    with pytest.raises(NodeRunError, match="^columns: expected text, integer or true/false columns, "
                                           "column 'sepal_length' holds numbers with decimals"):
        run("data.CategoryToNumber", iris, columns=["sepal_length"])


# -- One-Hot Encoding -------------------------------------------------------------------
def test_one_hot_array_column_and_separate_columns(run, iris):
    table = run("data.OneHotEncoding", iris, column=["species"])["table"]
    assert "species" not in table and table["species_onehot"].shape == (150, 3)
    assert table["species_onehot"].dtype == np.float32 and (table["species_onehot"].sum(axis=1) == 1).all()
    assert table["species_onehot"][100].tolist() == [0, 0, 1]
    cols = run("data.OneHotEncoding", iris, column=["species"], output="columns", keep_column=True)["table"]
    assert cols.column_names[-4:] == ["species", "species_setosa", "species_versicolor", "species_virginica"]


def test_one_hot_with_given_categories_encodes_test_data_like_training(run):
    test = Table({"y": np.array(["b", "a"])})
    out = run("data.OneHotEncoding", test, column=["y"], categories=["c", "b", "a"])["table"]
    assert out["y_onehot"].tolist() == [[0, 1, 0], [0, 0, 1]]
    with pytest.raises(NodeRunError, match=r"^categories: expected only known categories in column 'y' "
                                           r"\(c, b\), got 1 unknown: 'a'$"):
        run("data.OneHotEncoding", test, column=["y"], categories=["c", "b"])


# -- Text to Sequence -------------------------------------------------------------------
TEXTS = Table({"text": np.array(["The cat sat.", "the DOG, the cat!", "", "a bird-song 42 times"])})


def test_text_to_sequence_vocabulary_padding_and_log(run, events):
    out = run("data.TextToSequence", TEXTS, column=["text"], length=4, max_words=3)
    vocab = out["vocabulary"]
    # the (3x), cat (2x), then ties of 1 alphabetically: a
    assert vocab["word"].tolist() == ["", "[UNK]", "the", "cat", "a"] and vocab["index"].tolist() == [0, 1, 2, 3, 4]
    seq = out["table"]["text_sequence"]
    assert seq.dtype == np.int32 and seq.shape == (4, 4)
    assert seq.tolist() == [[2, 3, 1, 0], [2, 1, 2, 3], [0, 0, 0, 0], [4, 1, 1, 1]]
    assert [e["message"] for e in events] == [
        "vocabulary size: 5 (3 words fitted on this table, plus 0 = padding and 1 = out of vocabulary); "
        "use it as the Embedding's input_dim"]


def test_text_to_sequence_pre_padding_and_truncating(run):
    seq = run("data.TextToSequence", TEXTS, column=["text"], length=2, max_words=3, padding="pre",
              truncating="pre", output_column="ids")["table"]["ids"]
    assert seq.tolist() == [[3, 1], [2, 3], [0, 0], [1, 1]]  # the last two words of each text
    padded = run("data.TextToSequence", TEXTS, column=["text"], length=5, max_words=3,
                 padding="pre")["table"]["text_sequence"]
    assert padded[0].tolist() == [0, 0, 2, 3, 1]


def test_reused_vocabulary_maps_unknown_words_to_1(run):
    fitted = run("data.TextToSequence", TEXTS, column=["text"], length=3)
    new = Table({"text": np.array(["the zebra cat"])})
    seq = run("data.TextToSequence", {"table": new, "vocabulary": fitted["vocabulary"]},
              column=["text"], length=3)["table"]["text_sequence"]
    assert seq.tolist() == [[2, 1, 3]]


def test_reviews_become_sequences(run):
    reviews = load_sample("reviews")
    out = run("data.TextToSequence", reviews, column=["text"], length=20)
    assert out["table"]["text_sequence"].shape == (400, 20)
    assert out["table"]["text_sequence"].max() < out["vocabulary"].num_rows


def test_text_to_sequence_needs_a_text_column(run, iris):
    with pytest.raises(NodeRunError, match="^column: expected a text column, column 'sepal_length' holds numbers$"):
        run("data.TextToSequence", iris, column=["sepal_length"])
