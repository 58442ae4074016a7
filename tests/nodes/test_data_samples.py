"""The bundled sample data sets load offline, with the shapes and types the docs promise."""

import numpy as np
import pytest

from nodeflow.core import Workflow
from nodeflow.runtime.context import RunContext
from nodes.data.samples import DATA_DIR, DATA_SETS, SAMPLE_DATA_SET
from tests.conftest import ROOT

SPEC = SAMPLE_DATA_SET


def load(tmp_path, name, events=None):
    events = [] if events is None else events
    context = RunContext(workflow=Workflow(), node_id="node_1", node_dir=tmp_path, emit_event=events.append)
    return SPEC.run(context, {}, SPEC.resolve({"data_set": name}))["table"]


EXPECTED = {  # name: (rows, label column, number of distinct labels or None for regression)
    "iris": (150, "species", 3),
    "digits": (1797, "label", 10),
    "wine": (178, "class", 3),
    "breast_cancer": (569, "diagnosis", 2),
    "diabetes": (442, "progression", None),
    "reviews": (400, "sentiment", 2),
    "surnames": (6000, "name", 6000),
    "co2_monthly": (526, "co2", None),
}


def test_every_choice_is_a_bundled_file():
    assert DATA_DIR == ROOT / "resources" / "data"
    assert set(SPEC.param("data_set").options) == set(DATA_SETS) == set(EXPECTED)
    assert (DATA_DIR / "README.md").is_file()
    total = sum((DATA_DIR / f).stat().st_size for f, _ in DATA_SETS.values())
    assert total < 2 * 1024 * 1024


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_data_set_rows_labels_and_no_missing_values(tmp_path, name):
    rows, label, classes = EXPECTED[name]
    table = load(tmp_path, name)
    assert table.num_rows == rows
    if classes is not None:
        assert len(np.unique(table[label])) == classes
    for column, values in table.items():
        if values.dtype.kind == "f":
            assert not np.isnan(values).any(), column


def test_digits_are_an_8x8_image_column_with_int_labels(tmp_path):
    table = load(tmp_path, "digits")
    assert table.column_names == ["image", "label"]
    assert table["image"].shape == (1797, 8, 8, 1) and table["image"].dtype == np.float32
    assert table["image"].min() == 0 and table["image"].max() == 16
    assert table["label"].dtype == np.int64 and sorted(set(table["label"].tolist())) == list(range(10))


def test_reviews_are_short_labelled_texts(tmp_path):
    events = []
    table = load(tmp_path, "reviews", events)
    assert table["text"].dtype.kind == "U" and len(set(table["text"].tolist())) == 400
    assert sorted(np.unique(table["sentiment"], return_counts=True)[1].tolist()) == [200, 200]
    assert events[-1]["message"].startswith("reviews: 400 short")


def test_tabular_sets_are_numeric_features_plus_a_label(tmp_path):
    wine = load(tmp_path, "wine")
    assert len(wine) == 14 and all(wine[c].dtype.kind in "if" for c in wine)
    cancer = load(tmp_path, "breast_cancer")
    assert sorted(set(cancer["diagnosis"].tolist())) == ["benign", "malignant"]
    assert (cancer["diagnosis"] == "benign").sum() == 357
    diabetes = load(tmp_path, "diabetes")
    assert diabetes.column_names[:4] == ["age", "sex", "bmi", "bp"]
    assert 25 <= diabetes["progression"].min() and diabetes["progression"].max() <= 346


def test_co2_is_a_monthly_series_in_time_order(tmp_path):
    table = load(tmp_path, "co2_monthly")
    assert table.column_names == ["date", "co2"] and table["date"].dtype.kind == "M"
    months = table["date"].astype("datetime64[M]")
    assert np.all(np.diff(months) == np.timedelta64(1, "M"))  # every month, none missing
    assert 310 < table["co2"].min() < table["co2"].max() < 380


def test_surnames_are_distinct_lower_case_words(tmp_path):
    names = load(tmp_path, "surnames")["name"].tolist()
    assert names == sorted(set(names)) and {"smith", "johnson", "null"} <= set(names)  # "null" stays a name
    assert all(name.isalpha() and name.islower() and 2 <= len(name) <= 13 for name in names)
