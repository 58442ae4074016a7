"""How an in-memory table reaches the model: small tables sliced (as a Keras user writes it
by hand), larger ones gathered by shuffled row numbers; both in the same order per seed."""

import numpy as np
import pytest

from nodeflow.runtime.table import Table
from nodes.learn import feed as feed_module
from nodes.learn.feed import Feed

pytestmark = pytest.mark.keras

FEATURES = ["x0", "x1", "x2", "x3"]


def make_feed(rows=100):
    from nodeflow.keras import load_keras

    keras = load_keras()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    rng = np.random.default_rng(0)
    columns = {name: rng.normal(size=rows) for name in FEATURES}  # float64: cast for the model
    columns["y"] = np.arange(rows) % 3
    return Feed(Table(columns), model, FEATURES, [["y"]])


def batches(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_a_small_table_is_sliced_without_a_per_batch_gather(monkeypatch):
    feed = make_feed()

    def no_gather(*args, **kwargs):
        raise AssertionError("a small table went through the per-batch gather")

    monkeypatch.setattr(Feed, "_in_memory", no_gather)
    got = batches(feed.dataset(32, shuffle=True, seed=3, training=True))
    assert [len(x) for x, _ in got] == [32, 32, 32, 4]
    assert got[0][0].dtype == np.float32  # cast once for the model's float32 input
    rows = np.concatenate([x for x, _ in got])
    in_order = np.stack([feed.table[name] for name in FEATURES], axis=1).astype(np.float32)
    assert not np.array_equal(rows, in_order)  # shuffled ...
    assert np.array_equal(np.sort(rows, axis=0), np.sort(in_order, axis=0))  # ... every row once


def test_sliced_and_gathered_tables_train_on_the_same_batches_for_a_seed(monkeypatch):
    """Crossing the size limit changes how rows are fed, not which rows a batch holds:
    a seeded run repeats whatever the table's size."""
    feed = make_feed()
    sliced = batches(feed.dataset(32, shuffle=True, seed=3, training=True))
    monkeypatch.setattr(feed_module, "SLICE_BELOW_BYTES", 0)
    gathered = batches(feed.dataset(32, shuffle=True, seed=3, training=True))
    assert len(sliced) == len(gathered) == 4
    for (xa, ya), (xb, yb) in zip(sliced, gathered):
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)


def test_a_cache_file_does_not_turn_shuffling_off_for_a_table_in_memory(monkeypatch, tmp_path):
    """(The cache holds decoded image rows; numbers in memory are not cached, and used to
    lose their shuffle when a cache file was asked for.)"""
    monkeypatch.setattr(feed_module, "SLICE_BELOW_BYTES", 0)
    feed = make_feed()
    plain = batches(feed.dataset(32, shuffle=True, seed=3, training=True))
    cached = batches(feed.dataset(32, shuffle=True, seed=3, training=True, cache_file=str(tmp_path / "c")))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(plain, cached))
