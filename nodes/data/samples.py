"""Small data sets bundled with NodeFlow (resources/data), for first workflows and tests.

Nothing is downloaded: the files ship in the repository's ``resources/data`` folder,
whose README says where each comes from and under which licence.
"""

from __future__ import annotations

from pathlib import Path

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ChoiceParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from ._common import log

DATA_DIR = Path(__file__).resolve().parents[2] / "resources" / "data"

# name -> (file, one-line summary shown in the log and the node's help)
DATA_SETS: dict[str, tuple[str, str]] = {
    "iris": ("iris.csv", "150 iris flowers: 4 measurements in cm and the species (3 classes, text)"),
    "digits": ("digits.npz", "1797 handwritten digits: 'image' (rows, 8, 8, 1) float32 with "
                             "values 0 to 16 and 'label' 0-9 (int)"),
    "wine": ("wine.csv", "178 wines: 13 chemical measurements and the cultivar 'class' 0-2 (int)"),
    "breast_cancer": ("breast_cancer.csv", "569 breast tumour samples: 30 cell-nucleus measurements and "
                                           "the 'diagnosis' malignant or benign (text)"),
    "diabetes": ("diabetes.csv", "442 diabetes patients: age, sex, bmi, blood pressure, 6 blood serum "
                                 "values and 'progression' of the disease a year later (regression)"),
    "reviews": ("reviews.csv", "400 short product and film reviews written for NodeFlow: 'text' and "
                               "'sentiment' positive or negative (text), for sequence models"),
    "surnames": ("surnames.csv", "the 6000 most frequent US surnames of the 1990 census, lower-case, "
                                 "one 'name' per row (text), for character-level text generation"),
    "co2_monthly": ("co2_monthly.csv", "526 monthly means of atmospheric CO2 at Mauna Loa, 1958-2001: "
                                       "'date' (first of the month) and 'co2' in ppm, a time series"),
}


def load_sample(name: str):
    """The bundled data set ``name`` as a :class:`Table`."""
    import numpy as np
    import pyarrow.csv as pacsv

    from nodeflow.runtime.table import Table

    if name not in DATA_SETS:
        raise NodeRunError(f"data_set: expected one of {', '.join(DATA_SETS)}, got {name!r}")
    path = DATA_DIR / DATA_SETS[name][0]
    if not path.is_file():
        raise NodeRunError(f"data_set: the bundled file {path} is missing; NodeFlow's resources/data "
                           "folder must sit beside its nodes package")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            images = data["images"].astype(np.float32)[..., np.newaxis]
            labels = data["labels"].astype(np.int64)
        return Table({"image": images, "label": labels})
    return Table.from_arrow(pacsv.read_csv(path))


def run_sample(context, inputs, params):
    name = params["data_set"]
    table = load_sample(name)
    log(context, f"{name}: {DATA_SETS[name][1]}")
    return {"table": table}


SAMPLE_DATA_SET = NodeSpec(
    type_id="data.SampleDataSet",
    display_name="Sample Data Set",
    category="Data/Read",
    family="data",
    description=(
        "Gives one of the small data sets that ship with NodeFlow, to try a workflow without "
        "finding data first. Nothing is downloaded. "
        + " ".join(f"{name}: {summary}." for name, (_, summary) in DATA_SETS.items())
    ),
    outputs=(Port("table", "table", "The chosen data set, in its original row order."),),
    params=(
        ChoiceParam(name="data_set", default="iris", options=tuple(DATA_SETS),
                    help="Which data set: iris, wine and breast_cancer are classification tables, "
                         "digits small images, diabetes a regression table, reviews short texts, "
                         "surnames names to generate new ones from, co2_monthly a "
                         "monthly time series."),
    ),
    keywords=("example", "sample", "demo", "toy", "iris", "digits", "mnist", "wine", "cancer",
              "diabetes", "reviews", "sentiment", "data set", "dataset", "names", "surnames",
              "time series", "co2"),
    run=run_sample,
)

NODES = (SAMPLE_DATA_SET,)
