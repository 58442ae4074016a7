"""Tables into ``tf.data`` pipelines: what the learner trains on and the executor predicts.

One :class:`Feed` per table and model.  It decides which columns go to which model input
(:func:`.arrays.input_groups`, checked on the column types alone) and builds the pipeline
a performance-minded Keras user would write by hand:

- **in memory** (an in-memory table, or a file-backed one whose needed columns are small,
  see :func:`nodeflow.runtime.memory.stream_above_bytes`): the columns become tensors once;
  an epoch shuffles row numbers (a full shuffle, no copy of the rows in a shuffle buffer)
  and gathers batches; image files are decoded per row in parallel;
- **sliced** (in memory, no image files, no augmentation, at most :data:`SLICE_BELOW_BYTES`):
  what a Keras user writes for small data, ``from_tensor_slices`` with a full shuffle
  buffer.  It holds the rows twice more, which at this size costs less than the per-batch
  gather (a function call per batch: measured 10-20% of a small model's training time);
- **streamed** (larger file-backed tables): blocks of rows are read from the file in a
  random order, a few at a time merged and shuffled (a bounded shuffle), and re-batched;
  memory holds a few blocks, whatever the size of the table.

Either way batches are prefetched, image columns stay uint8 until the batch is cast for
the model, augmentations run per batch while training only, and with ``cache`` decoded
rows are cached in a file in the node's folder after the first epoch.
"""

from __future__ import annotations

import math

from nodeflow.core.errors import NodeRunError

from .arrays import build_inputs, feature_matrix, input_groups, pack_inputs, probe_table

BLOCK_ROWS = 65_536
MIX_BLOCKS = 4  # blocks merged and shuffled together when streaming
CACHE_SHUFFLE_ROWS = 10_000  # shuffle buffer after a cache (the cache holds rows in file order)
RAM_BUDGET = 512 * 1024 ** 2  # bytes tf.data's autotuned buffers may hold: memory stays flat
SLICE_BELOW_BYTES = 64 * 1024 ** 2  # tables up to this size are sliced (see above)


class Feed:
    """A table's rows as model inputs (and targets, for training)."""

    def __init__(self, table, model, feature_columns: list[str], targets: list[list[str]] | None,
                 label: str = "training"):
        from nodeflow.runtime.file_table import FileTable
        from nodeflow.runtime.memory import stream_above_bytes

        self.table = table
        self.label = label
        self.file_backed = isinstance(table, FileTable)
        self.rows = table.num_rows
        self.feature_columns = list(feature_columns)
        self.targets = [list(t) for t in targets] if targets is not None else None
        self.groups, self.struct = input_groups(model, probe_table(table), self.feature_columns)
        # image columns of a file-backed table: fed as paths, decoded in the pipeline
        self.images = {}
        if self.file_backed:
            for names, _shape, _dtype in self.groups:
                if len(names) == 1 and table.is_image(names[0]):
                    self.images[names[0]] = table.images[names[0]]
        needed = dict.fromkeys(self.feature_columns + [c for t in (self.targets or []) for c in t])
        self.needed = list(needed)
        if self.file_backed:
            light = sum(self._source_bytes(name) for name in self.needed)
            self.streamed = light > stream_above_bytes()
        else:
            self.streamed = False
        self.error: NodeRunError | None = None  # a problem found inside the pipeline
        self.allow_missing = False  # the executor predicts NaN rows (as NaN) instead of refusing

    def _source_bytes(self, name: str) -> int:
        if name in self.images:
            return self.rows * 256  # a path per row
        return self.table.column_nbytes(name)

    # -- rows -> arrays ----------------------------------------------------------------------
    def _arrays(self, block, inputs: bool = True, targets: bool = True) -> tuple[list, list]:
        """Input arrays and target arrays of a block (a Table; image inputs: their paths)."""
        import numpy as np

        xs = []
        for names, target, dtype in self.groups if inputs else ():
            if len(names) == 1 and names[0] in self.images:
                xs.append(np.asarray(block[names[0]]).astype(object))
            else:
                arr = build_inputs(block, [(names, target, dtype)])[0]
                if arr.dtype.kind == "f" and not self.allow_missing and np.isnan(arr).any():
                    raise NodeRunError(
                        f"feature_columns: {int(np.isnan(arr).sum())} missing value(s) (NaN) in the "
                        f"{self.label} table; fill or drop them first, e.g. with the Missing Value node")
                if arr.dtype.kind == "f" and arr.dtype != np.float32 and "float" in str(dtype):
                    arr = arr.astype(np.float32)
                xs.append(arr)
        ys = []
        if targets and self.targets is not None:
            param = "target_columns" if len(self.targets) == 1 else "output_targets"
            ys = [feature_matrix(block, names, param) for names in self.targets]
        return xs, ys

    def _columns(self, names):
        """Whole columns in memory, as a Table (image columns: their paths)."""
        from nodeflow.runtime.table import Table

        table = self.table
        if not self.file_backed:
            return Table({n: table[n] for n in names})
        return Table({n: table.column_source(n) if n in self.images else table.column(n, self.label)
                      for n in names})

    def _target_columns(self) -> list[str]:
        return list(dict.fromkeys(c for t in self.targets or () for c in t))

    def whole(self, with_targets: bool = True) -> tuple[list, list]:
        """Inputs (and targets) of every row, in memory (not for streamed feeds)."""
        names = self.needed if with_targets else self.feature_columns
        return self._arrays(self._columns(names), targets=with_targets)

    def target_arrays(self) -> list:
        """Every row's targets (target columns are small: one or a few numbers per row)."""
        return self._arrays(self._columns(self._target_columns()), inputs=False)[1]

    # -- the pipeline --------------------------------------------------------------------------
    def dataset(self, batch_size: int, shuffle: bool = False, seed=None, training: bool = False,
                cache_file: str | None = None, with_targets: bool = True):
        """The ``tf.data`` pipeline of ``(inputs, targets)`` batches (inputs alone without
        targets); see the module docstring."""
        import tensorflow as tf

        # the mapped functions hold no Python control flow on tensors: tracing them as they
        # are saves AutoGraph's source rewriting (a few tenths of a second per pipeline)
        plain = tf.autograph.experimental.do_not_convert
        with_targets = with_targets and self.targets is not None
        gather = None
        if self.streamed:
            data, elementwise = self._streamed(batch_size, shuffle, seed, with_targets)
        else:
            xs, ys = self.whole(with_targets)
            if not self.images and not (training and self.augmentations) and \
                    sum(a.nbytes for a in xs + ys) <= SLICE_BELOW_BYTES:
                return _prefetched(self._sliced(xs, ys, batch_size, shuffle, seed, with_targets))
            data, elementwise, gather = self._in_memory(xs + ys, batch_size, shuffle and (
                cache_file is None or not self.images), seed)
        if elementwise:  # rows, decoded in parallel (deterministic order with a seed)
            decoders = self._decoders()

            def decode(row):
                return tuple(decoders[k](v) if k in decoders else v for k, v in enumerate(row))

            if gather is not None:  # row numbers
                data = data.map(plain(lambda i: decode(gather(i))), num_parallel_calls=tf.data.AUTOTUNE)
            elif decoders:  # rows of a streamed table
                data = data.map(plain(lambda *row: decode(row)), num_parallel_calls=tf.data.AUTOTUNE)
            if cache_file is not None:
                data = data.cache(cache_file)
                if shuffle:
                    data = data.shuffle(min(self.rows, CACHE_SHUFFLE_ROWS), seed=seed,
                                        reshuffle_each_iteration=True)
            data = data.batch(batch_size)
        if self.streamed:  # a generator's length is unknown to tf.data; Keras wants it
            data = data.apply(tf.data.experimental.assert_cardinality(self.steps(batch_size)))
        finish = self._finisher(training, seed, with_targets)
        # seeded augmentations draw from Keras seed generators that advance per call: they
        # repeat only when the batches are mapped one after the other
        ordered = training and seed is not None and bool(self.augmentations)
        if gather is not None and not elementwise:  # batches of row numbers: one map does all
            data = data.map(plain(lambda rows: finish(*gather(rows))),
                            num_parallel_calls=None if ordered else tf.data.AUTOTUNE)
        else:
            data = data.map(plain(finish), num_parallel_calls=None if ordered else tf.data.AUTOTUNE)
        return _prefetched(data)

    @property
    def augmentations(self) -> list[dict]:
        """The table's augmentations of the columns this feed reads."""
        return [a for a in getattr(self.table, "augmentations", ()) if a.get("column") in self.feature_columns]

    def steps(self, batch_size: int) -> int:
        return math.ceil(self.rows / batch_size)

    def _decoders(self) -> dict:
        from nodeflow.runtime.images import tf_decoder

        return {i: tf_decoder(self.images[names[0]]) for i, (names, _s, _d) in enumerate(self.groups)
                if len(names) == 1 and names[0] in self.images}

    def _sliced(self, xs, ys, batch_size, shuffle, seed, with_targets):
        """Small in-memory data: rows sliced from tensors cast for the model, full shuffle
        buffer, batches; no per-batch function."""
        import tensorflow as tf

        inputs = [_for_input(tf.constant(x), dtype) for x, (_n, _s, dtype) in zip(xs, self.groups)]
        x = inputs[0] if self.struct is None else _pack(self.struct, inputs)
        element = (x, ys[0] if len(ys) == 1 else tuple(ys)) if with_targets else (x,)
        data = tf.data.Dataset.from_tensor_slices(element)
        if shuffle:
            data = data.shuffle(self.rows, seed=seed, reshuffle_each_iteration=True)
        return data.batch(batch_size)

    def _in_memory(self, parts, batch_size, shuffle, seed):
        """Columns as tensors once, and (shuffled) row numbers to gather them by: single
        rows when image files are decoded (in parallel, per row), else whole batches."""
        import tensorflow as tf

        tensors = [tf.constant(p) for p in parts]
        rows = tf.data.Dataset.range(self.rows)
        if shuffle:
            rows = rows.shuffle(self.rows, seed=seed, reshuffle_each_iteration=True)

        def gather(i):
            return tuple(tf.gather(t, i) for t in tensors)

        if self.images:
            return rows, True, gather
        return rows.batch(batch_size), False, gather

    def _streamed(self, batch_size, shuffle, seed, with_targets):
        """Blocks read from the file (random order and bounded shuffle when shuffling)."""
        import numpy as np
        import tensorflow as tf

        from nodeflow.runtime.table import Table

        names = self.needed if with_targets else self.feature_columns
        sources = [self.table.images[n].source if n in self.images else n for n in names]
        rename = dict(zip(sources, names))
        epoch = [0]

        def blocks():
            rng = np.random.default_rng(None if seed is None else [seed, epoch[0]]) if shuffle else None
            epoch[0] += 1
            try:
                for block in self.table.chunks(sources, BLOCK_ROWS, rng=rng, mix=MIX_BLOCKS):
                    xs, ys = self._arrays(Table({rename[k]: v for k, v in block.items()}),
                                          targets=with_targets)
                    yield tuple(xs + ys)
            except NodeRunError as exc:
                self.error = exc
                raise

        probe_xs, probe_ys = self._arrays(probe_table_with_paths(self), targets=with_targets)
        signature = tuple(tf.TensorSpec((None, *a.shape[1:]), tf.string if a.dtype == object else
                                        tf.as_dtype(a.dtype))
                          for a in probe_xs + probe_ys)
        data = tf.data.Dataset.from_generator(blocks, output_signature=signature)
        if self.images:
            return data.unbatch(), True
        return data.rebatch(batch_size), False

    def _finisher(self, training: bool, seed, with_targets: bool):
        """Per batch: augment (training only), cast images for the model, pack the structure."""
        count = len(self.groups)
        augment = None
        augmentations = self.augmentations
        if training and augmentations:
            from nodeflow.runtime.augment import build_augmenter

            augment = build_augmenter(augmentations, seed)
        image_inputs = {i: names[0] for i, (names, _s, _d) in enumerate(self.groups)
                        if len(names) == 1 and (names[0] in self.images or any(
                            a.get("column") == names[0] for a in augmentations))}
        dtypes = [d for _n, _s, d in self.groups]
        struct = self.struct

        def finish(*parts):
            xs, ys = list(parts[:count]), list(parts[count:])
            if augment is not None:
                named = {image_inputs[i]: xs[i] for i in image_inputs}
                named = augment(named)
                for i, name in image_inputs.items():
                    xs[i] = named[name]
            xs = [_for_input(x, dtype) for x, dtype in zip(xs, dtypes)]  # e.g. uint8 images, per batch
            x = xs[0] if struct is None else _pack(struct, xs)
            if not with_targets:
                return (x,)
            return x, (ys[0] if len(ys) == 1 else tuple(ys))

        return finish


def _for_input(x, dtype: str):
    """``x`` cast to a float input's dtype (e.g. uint8 images to float32); text and the
    inputs of other dtypes as they are."""
    import tensorflow as tf

    if "float" in dtype and x.dtype != tf.string and x.dtype != tf.as_dtype(dtype):
        return tf.cast(x, dtype)
    return x


def _prefetched(data):
    import tensorflow as tf

    options = tf.data.Options()  # AUTOTUNE's buffers may otherwise take half the RAM
    options.autotune.ram_budget = RAM_BUDGET
    return data.prefetch(tf.data.AUTOTUNE).with_options(options)


def _pack(struct, xs):
    if isinstance(struct, dict):
        return pack_inputs(struct, xs)
    return tuple(xs)


def probe_table_with_paths(feed: Feed):
    """A one-row table like the feed's blocks (image columns as text)."""
    import numpy as np

    from nodeflow.runtime.table import Table

    probe = probe_table(feed.table)
    return Table({n: (np.zeros(1, dtype="<U1") if n in feed.images else probe[n]) for n in probe})


def raise_pipeline_error(feed: Feed, exc: Exception) -> None:
    """Turn a failure inside ``tf.data`` into the error that caused it, naming what it can."""
    if feed.error is not None:
        raise feed.error from None
    if feed.images:
        from nodeflow.runtime.images import decode_error

        name, column = next(iter(feed.images.items()))
        text = str(exc)
        if "decode" in text.lower() or "image" in text.lower() or "No such file" in text:
            raise decode_error(column, feed.table.column_source(name), exc, feed.label) from None
