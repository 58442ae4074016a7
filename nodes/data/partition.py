"""Splitting a table in two, e.g. into training and test rows."""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ChoiceParam, ColumnsParam, FloatParam, IntParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from ._common import (
    TABLE_IN,
    any_table,
    check_cancelled,
    column_values,
    log,
    missing_mask,
    require_columns,
    require_flat,
    require_rows,
    seed_of,
    take_rows,
    warn,
)


def _largest_remainder(total: int, weights):
    """Integer shares of ``total`` proportional to ``weights``, summing to ``total`` exactly.

    Each share is the floor of its exact value; the rows left over go to the largest
    fractional parts, ties to the earlier class (so the result is deterministic).
    """
    import numpy as np

    exact = total * weights / weights.sum()
    shares = np.floor(exact).astype(np.int64)
    left = total - int(shares.sum())
    if left:
        order = np.argsort(-(exact - shares), kind="stable")
        shares[order[:left]] += 1
    return shares


def first_rows_mask(table, size: int, sampling: str, stratify: str | None, seed, context=None):
    """Boolean mask of the rows that go to the first partition; of a file-backed table only
    the stratify column is read."""
    import numpy as np

    n = table.num_rows
    mask = np.zeros(n, dtype=bool)
    if sampling == "from_top":
        mask[:size] = True
        return mask
    rng = np.random.default_rng(seed)
    if sampling == "random":
        mask[rng.permutation(n)[:size]] = True
        return mask
    values = column_values(table, stratify)
    if missing_mask(values).any():
        warn(context, f"stratify_column: column {stratify!r} has missing values; they form a class of their own")
    _, classes, counts = np.unique(values, return_inverse=True, return_counts=True)
    classes = classes.reshape(-1)
    quota = _largest_remainder(size, counts.astype(np.float64))
    check_cancelled(context)
    # random order within each class: sort by (class, random key), then rank within the class
    order = np.lexsort((rng.random(n), classes))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    ranks = np.arange(n) - starts[classes[order]]
    mask[order[ranks < quota[classes[order]]]] = True
    return mask


def partition(context, inputs, params):
    table = any_table(inputs)
    require_rows(table)
    n = table.num_rows
    if params["size"] == "fraction":
        size = int(params["fraction"] * n + 0.5)
    else:
        size = params["count"]
        if size > n:
            raise NodeRunError(f"count: expected at most {n} (the table's rows), got {size}")
    sampling = params["sampling"]
    stratify = None
    if sampling == "stratified":
        if not params["stratify_column"]:
            raise NodeRunError("stratify_column: expected a column whose classes keep their proportions "
                               "(sampling is stratified), got none")
        stratify = params["stratify_column"][0]
        require_columns(table, [stratify], "stratify_column")
        require_flat(table, stratify, "stratify_column")
    mask = first_rows_mask(table, size, sampling, stratify, seed_of(context, params["seed"]), context)
    first, second = take_rows(table, mask), take_rows(table, ~mask)
    log(context, f"first: {first.num_rows} rows, second: {second.num_rows} rows")
    return {"first": first, "second": second}


PARTITIONING = NodeSpec(
    type_id="data.Partitioning",
    display_name="Partitioning",
    category="Data/Manipulation",
    family="data",
    description=(
        "Splits a table's rows into two tables, e.g. training and test data. The first "
        "partition gets a fraction or a count of the rows, the second the rest. Rows are taken "
        "from the top, at random, or stratified: at random within each class of a column so "
        "both tables keep the class proportions. Both outputs keep the original row order; the "
        "same seed gives the same split. A table backed by files stays on disk: both outputs "
        "are selections of its rows, and only the stratify column is read."
    ),
    inputs=(TABLE_IN,),
    outputs=(
        Port("first", "table", "The chosen rows (e.g. the training data)."),
        Port("second", "table", "All other rows (e.g. the test data)."),
    ),
    params=(
        ChoiceParam(name="size", default="fraction", options=("fraction", "count"),
                    help="Whether the first partition's size is a fraction of the rows or a count."),
        FloatParam(name="fraction", default=0.8, min=0.0, max=1.0,
                   help="Share of the rows for the first partition when size is fraction, "
                        "rounded to the nearest row."),
        IntParam(name="count", default=100, min=0,
                 help="Number of rows for the first partition when size is count."),
        ChoiceParam(name="sampling", default="random", options=("random", "stratified", "from_top"),
                    help="random draws rows at random, stratified draws within each class of "
                         "stratify_column, from_top takes the first rows."),
        ColumnsParam(name="stratify_column", default=[], max_count=1,
                     help="The class column whose proportions both partitions keep (stratified "
                          "sampling only)."),
        IntParam(name="seed", default=None, optional=True,
                 help="Seed of the random draw: the same seed gives the same split. Empty uses "
                      "the run's seed if one is set, else a new split every run."),
    ),
    keywords=("split", "train", "test", "validation", "sample", "stratified", "holdout"),
    run=partition,
)

NODES = (PARTITIONING,)
