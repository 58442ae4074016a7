"""Turning columns into what a network can read: scaled numbers, codes, one-hot vectors
and token sequences."""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import (
    BoolParam,
    ChoiceParam,
    ColumnsParam,
    FloatParam,
    IntParam,
    TextListParam,
    TextParam,
)
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from ._common import (
    TABLE_IN,
    any_table,
    check_cancelled,
    column_kind,
    flat_column,
    input_table,
    is_file_table,
    kind_text,
    log,
    map_table,
    missing_mask,
    names_text,
    require_columns,
    require_flat,
    require_numeric,
    require_rows,
    warn,
    with_columns,
)

NORMALIZER_PORT_HELP = "The fitted normalization parameters, to apply the same scaling to other tables."


# -- Normalizer -------------------------------------------------------------------------
IMAGES_IN_MEMORY = (
    "Image columns of a table backed by files are decoded only as rows are consumed; "
    "rewriting one loads the whole table (when it fits in memory), so images are better "
    "scaled inside the network by a Rescaling layer."
)


def streamed_table(inputs, rewritten, port: str = "table"):
    """The input table as it came (a file-backed one stays on disk), unless a file-backed
    table's decoded image column is among the ``rewritten`` columns: that cannot be written
    back block by block, so the table is loaded whole (after the memory check)."""
    table = any_table(inputs, port)
    if is_file_table(table) and any(table.is_image(n) for n in rewritten if n in table):
        return input_table(inputs, port)
    return table


def normalize(context, inputs, params):
    from nodeflow.runtime.values import Normalizer

    table = streamed_table(inputs, params["columns"])
    require_rows(table)
    names = params["columns"]
    require_columns(table, names, "columns")
    for name in names:
        require_numeric(table, name, "columns", why="normalization needs numbers")
    if params["method"] == "min_max" and params["new_min"] >= params["new_max"]:
        raise NodeRunError(f"new_max: expected a number > new_min ({params['new_min']}), got {params['new_max']}")
    normalizer = Normalizer.fit(table, names, params["method"], params["new_min"], params["new_max"])
    for name in names:
        log(context, f"column {name!r}: {normalizer.method} with "
                     + ", ".join(f"{k}={v:g}" for k, v in normalizer.parameters[name].items()))
    return {"table": map_table(context, table, normalizer.apply), "normalizer": normalizer}


NORMALIZER = NodeSpec(
    type_id="data.Normalizer",
    display_name="Normalizer",
    category="Data/Transform",
    family="data",
    description=(
        "Scales numeric columns so that a network trains well: min-max maps each column's "
        "range onto [new_min, new_max], z-score subtracts the mean and divides by the standard "
        "deviation, decimal scaling divides by a power of ten so every value lies in (-1, 1). "
        "Each column gets one scale over all its values (an image column is scaled as a whole). "
        "The fitted parameters leave on the normalizer port, so Normalizer (Apply) scales test "
        "or new data exactly like the training data. A table backed by files is streamed: "
        "one pass computes the statistics, a second writes the scaled rows. " + IMAGES_IN_MEMORY
    ),
    inputs=(TABLE_IN,),
    outputs=(
        Port("table", "table", "The table with the chosen columns normalized (as float)."),
        Port("normalizer", "normalizer", NORMALIZER_PORT_HELP),
    ),
    params=(
        ColumnsParam(name="columns", min_count=1,
                     help="The numeric columns to normalize; other columns pass unchanged."),
        ChoiceParam(name="method", default="min_max", options=("min_max", "z_score", "decimal_scaling"),
                    help="min_max, z_score (mean 0, standard deviation 1) or decimal_scaling."),
        FloatParam(name="new_min", default=0.0,
                   help="The value the column's minimum becomes (min_max only)."),
        FloatParam(name="new_max", default=1.0,
                   help="The value the column's maximum becomes (min_max only)."),
    ),
    keywords=("normalize", "scale", "standardize", "min max", "z-score", "feature scaling"),
    run=normalize,
)


def apply_normalizer(context, inputs, params):
    from nodeflow.runtime.values import Normalizer

    normalizer = inputs.get("normalizer")
    if not isinstance(normalizer, Normalizer):
        found = "nothing" if normalizer is None else type(normalizer).__name__
        raise NodeRunError(f"normalizer: expected a fitted normalizer on the input port, got {found}")
    table = streamed_table(inputs, normalizer.columns)
    out = map_table(context, table, normalizer.apply)
    log(context, f"applied {normalizer.method} to {', '.join(normalizer.columns)}")
    return {"table": out}


NORMALIZER_APPLY = NodeSpec(
    type_id="data.NormalizerApply",
    display_name="Normalizer (Apply)",
    category="Data/Transform",
    family="data",
    description=(
        "Normalizes a table with parameters fitted earlier by a Normalizer node, e.g. the test "
        "data with the training data's minimum and maximum, so both are scaled identically. "
        "The table needs every column the normalizer was fitted on, with numbers; values "
        "outside the training range map outside the target range, as they should. A table "
        "backed by files is scaled block by block. " + IMAGES_IN_MEMORY
    ),
    inputs=(
        Port("normalizer", "normalizer", "The normalizer fitted by a Normalizer node."),
        Port("table", "table", "The table to normalize."),
    ),
    outputs=(Port("table", "table", "The table with the fitted columns normalized."),),
    keywords=("normalize", "apply", "scale", "test data", "transform"),
    run=apply_normalizer,
)


# -- Category to Number -----------------------------------------------------------------
MAPPING_HELP = "Table of column, category and code: which code each category got."


def _mapping_for(mapping, column):
    """Sorted categories (text) of ``column`` in a mapping table from an earlier run."""
    import numpy as np

    rows = mapping["column"] == column
    if not rows.any():
        known = names_text(sorted(set(mapping["column"].tolist())))
        raise NodeRunError(f"mapping: expected codes for column {column!r}, the mapping has codes for: {known}")
    categories = mapping["category"][rows].astype(str)
    codes = mapping["code"][rows].astype(np.int64)
    if not np.array_equal(np.sort(codes), np.arange(len(codes))):
        raise NodeRunError(f"mapping: expected codes 0..{len(codes) - 1} for column {column!r}, got "
                           f"{sorted(codes.tolist())}")
    return categories[np.argsort(codes)]


def encode_with(values, categories, column: str, param: str):
    """Codes of ``values`` (as text) given the list of ``categories``; unknown ones are an error."""
    import numpy as np

    text = values.astype(str)
    order = np.argsort(categories, kind="stable")
    sorted_cats = categories[order]
    pos = np.searchsorted(sorted_cats, text)
    pos_clipped = np.minimum(pos, len(sorted_cats) - 1)
    known = (pos < len(sorted_cats)) & (sorted_cats[pos_clipped] == text)
    if not known.all():
        unknown = np.unique(text[~known])
        shown = ", ".join(repr(u) for u in unknown[:5].tolist()) + (" ..." if len(unknown) > 5 else "")
        raise NodeRunError(
            f"{param}: expected only known categories in column {column!r} ({names_text(categories.tolist())}), "
            f"got {len(unknown)} unknown: {shown}"
        )
    return order[pos_clipped]


def distinct_values(table, name: str):
    """``(sorted distinct values, number of empty cells)`` of a column, in ``np.unique``'s
    order (numbers numerically, text alphabetically); a file-backed table is read block by
    block and the blocks' distinct values merged."""
    import numpy as np

    from nodeflow.runtime.values import column_blocks

    parts, empty = [], 0
    for values in column_blocks(table, name):
        parts.append(np.unique(values))
        empty += int(missing_mask(values).sum())
    if not parts:
        return np.empty(0, dtype=table.column_info(name)[0]), 0
    return np.unique(np.concatenate(parts)), empty


def require_categories(table, name: str, param: str) -> None:
    """A column of exact values: text, integers or true/false (checked from its type)."""
    kind = table.column_info(name)[0].kind
    if kind == "f":
        raise NodeRunError(f"{param}: expected text, integer or true/false columns, column {name!r} "
                           "holds numbers with decimals; categories must be exact values")
    if kind not in "biuU":
        raise NodeRunError(f"{param}: expected text, integer or true/false columns, column {name!r} "
                           f"holds {column_kind(table, name)}")


def category_to_number(context, inputs, params):
    import numpy as np

    from nodeflow.runtime.table import Table

    table = any_table(inputs)
    names = params["columns"]
    require_columns(table, names, "columns")
    mapping = inputs.get("mapping")
    if mapping is not None:
        mapping = input_table(inputs, "mapping")
        require_columns(mapping, ["column", "category", "code"], "mapping")
    streamed = is_file_table(table)
    new, fitted, rows = {}, {}, {"column": [], "category": [], "code": []}
    for name in names:
        require_flat(table, name, "columns")
        require_categories(table, name, "columns")
        if streamed:  # one pass over the column: its categories and empty cells
            uniques, empty = distinct_values(table, name)
        else:
            values = table[name]
            empty = int(missing_mask(values).sum())
        if empty:
            warn(context, f"column {name!r}: {empty} empty cells; the empty text is a category of its own")
        if mapping is not None:
            categories = _mapping_for(mapping, name)
            if not streamed:
                new[name] = encode_with(values, categories, name, "mapping").astype(np.int64)
        elif streamed:
            categories = uniques.astype(str)
        else:
            uniques, codes = np.unique(values, return_inverse=True)
            categories = uniques.astype(str)
            new[name] = codes.reshape(-1).astype(np.int64)
        fitted[name] = categories
        rows["column"] += [name] * len(categories)
        rows["category"] += categories.tolist()
        rows["code"] += list(range(len(categories)))
        log(context, f"column {name!r}: {len(categories)} categories coded 0..{len(categories) - 1}")
    param = "mapping" if mapping is not None else "columns"

    def encode(block):
        return with_columns(block, {name: encode_with(block[name], categories, name, param).astype(np.int64)
                                    for name, categories in fitted.items()})

    mapping_out = Table({
        "column": np.array(rows["column"], dtype=str),
        "category": np.array(rows["category"], dtype=str),
        "code": np.array(rows["code"], dtype=np.int64),
    })
    out = map_table(context, table, encode) if streamed else with_columns(table, new)
    return {"table": out, "mapping": mapping_out}


CATEGORY_TO_NUMBER = NodeSpec(
    type_id="data.CategoryToNumber",
    display_name="Category to Number",
    category="Data/Transform",
    family="data",
    description=(
        "Replaces the categories of text (or integer) columns by integer codes 0, 1, 2, ..., in "
        "sorted order of the distinct values, e.g. setosa=0, versicolor=1, virginica=2: the "
        "labels a sparse categorical cross-entropy loss expects. The codes leave on the mapping "
        "port; connect that mapping to another Category to Number's mapping input to code test "
        "data the same way (an unknown category is then an error). A table backed by files is "
        "streamed: one pass per column finds its categories, a second writes the codes."
    ),
    inputs=(
        TABLE_IN,
        Port("mapping", "table", "Optional: codes from an earlier Category to Number to reuse "
                                 "instead of fitting new ones.", optional=True),
    ),
    outputs=(
        Port("table", "table", "The table with the chosen columns replaced by int64 codes."),
        Port("mapping", "table", MAPPING_HELP),
    ),
    params=(
        ColumnsParam(name="columns", min_count=1,
                     help="The category columns to replace by codes (text, integers or true/false)."),
    ),
    keywords=("category", "label", "encode", "integer", "code", "ordinal", "class index"),
    run=category_to_number,
)


# -- One-Hot Encoding -------------------------------------------------------------------
def one_hot(context, inputs, params):
    import numpy as np

    table = any_table(inputs)
    column = flat_column(table, params)
    if table.column_info(column)[0].kind not in "biuU":
        raise NodeRunError(f"column: expected a text, integer or true/false column, column {column!r} "
                           f"holds {column_kind(table, column)}")
    codes = None
    if params["categories"]:
        categories = np.array(params["categories"], dtype=str)
    elif is_file_table(table):  # the vocabulary from a streaming pass over the column
        categories = distinct_values(table, column)[0].astype(str)
    else:
        uniques, codes = np.unique(table[column], return_inverse=True)
        categories, codes = uniques.astype(str), codes.reshape(-1)
    if params["output"] == "array":
        names = [f"{column}_onehot"]
    else:
        names = [f"{column}_{cat}" for cat in categories.tolist()]
        clash = [n for n in names if n in table and n != column]
        if clash:
            raise NodeRunError(f"output: expected new column names, but {', '.join(map(repr, clash))} "
                               "already exist in the table")
    drop = () if params["keep_column"] else (column,)

    def encode(block, codes=None):
        if codes is None:
            codes = encode_with(block[column], categories, column, "categories")
        encoded = np.zeros((block.num_rows, len(categories)), dtype=np.float32)
        encoded[np.arange(block.num_rows), codes] = 1.0
        if params["output"] == "array":
            new = {names[0]: encoded}
        else:
            new = {name: encoded[:, i] for i, name in enumerate(names)}
        return with_columns(block, new, drop=drop)

    out = encode(table, codes) if codes is not None else map_table(context, table, encode)
    log(context, f"column {column!r}: {len(categories)} categories in this order: "
                 + ", ".join(categories.tolist()))
    return {"table": out}


ONE_HOT = NodeSpec(
    type_id="data.OneHotEncoding",
    display_name="One-Hot Encoding",
    category="Data/Transform",
    family="data",
    description=(
        "Turns a category column into one-hot vectors: a 1 in the position of the row's "
        "category and 0 elsewhere, categories in sorted order unless listed. By default the "
        "vectors form one float32 array column '<column>_onehot' of shape (rows, categories), "
        "ready as the target of a categorical cross-entropy loss or as a network input; "
        "alternatively one 0/1 column per category named '<column>_<category>'. A table backed "
        "by files is streamed: one pass finds the categories, a second writes the encoding."
    ),
    inputs=(TABLE_IN,),
    outputs=(Port("table", "table", "The table with the one-hot encoding added."),),
    params=(
        ColumnsParam(name="column", min_count=1, max_count=1,
                     help="The category column to encode (text, integers or true/false)."),
        ChoiceParam(name="output", default="array", options=("array", "columns"),
                    help="array: one (rows, categories) column; columns: one column per category."),
        TextListParam(name="categories", default=[],
                      help="The categories in the order of the vector positions; empty means the "
                           "sorted distinct values of this table. Set them to encode test data "
                           "like the training data; other values are then an error."),
        BoolParam(name="keep_column", default=False,
                  help="Whether to keep the original category column beside the encoding."),
    ),
    keywords=("one hot", "one-hot", "dummy", "indicator", "categorical", "encode", "label"),
    run=one_hot,
)


# -- Text to Sequence -------------------------------------------------------------------
PAD, OOV = 0, 1
RESERVED = ("", "[UNK]")  # the words of indices 0 and 1, as Keras's TextVectorization names them


def tokenize(texts, lowercase: bool):
    """Per text, its words: runs of letters (any alphabet); digits and punctuation split words."""
    import re

    word = re.compile(r"[^\W\d_]+")
    if lowercase:
        return [word.findall(t.lower()) for t in texts]
    return [word.findall(t) for t in texts]


def fit_vocabulary(token_lists, max_words: int):
    """The ``max_words`` most frequent words, most frequent first (ties alphabetical), and counts."""
    import numpy as np

    flat = np.array([w for words in token_lists for w in words], dtype=str)
    if flat.size == 0:
        return np.array([], dtype=str), np.array([], dtype=np.int64)
    words, counts = np.unique(flat, return_counts=True)  # alphabetical
    order = np.argsort(-counts, kind="stable")[:max_words]
    return words[order], counts[order]


def to_sequences(token_lists, vocabulary, length: int, padding: str, truncating: str):
    """(rows, length) int32 indices: 0 padding, 1 out of vocabulary, 2.. the vocabulary's words."""
    import numpy as np

    rows = len(token_lists)
    lengths = np.array([len(words) for words in token_lists], dtype=np.int64)
    flat = np.array([w for words in token_lists for w in words], dtype=str)
    out = np.zeros((rows, length), dtype=np.int32)
    if flat.size == 0 or length == 0:
        return out, lengths
    # word -> index, vectorized: look every token up in the sorted vocabulary
    order = np.argsort(vocabulary, kind="stable")
    sorted_vocab = vocabulary[order]
    if sorted_vocab.size:
        pos = np.minimum(np.searchsorted(sorted_vocab, flat), sorted_vocab.size - 1)
        found = sorted_vocab[pos] == flat
        ids = np.where(found, order[pos] + 2, OOV).astype(np.int32)
    else:
        ids = np.full(flat.size, OOV, dtype=np.int32)
    row = np.repeat(np.arange(rows), lengths)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    j = np.arange(flat.size) - starts[row]  # position of each token within its text
    kept = np.minimum(lengths, length)
    first_kept = lengths - kept if truncating == "pre" else np.zeros_like(lengths)
    keep = (j >= first_kept[row]) & (j < first_kept[row] + kept[row])
    col = j - first_kept[row]
    if padding == "pre":
        col = col + (length - kept)[row]
    out[row[keep], col[keep]] = ids[keep]
    return out, lengths


def _vocabulary_from_table(vocab_table):
    import numpy as np

    require_columns(vocab_table, ["index", "word"], "vocabulary")
    index = vocab_table["index"].astype(np.int64)
    words = vocab_table["word"].astype(str)
    real = index >= 2
    expected = np.arange(2, 2 + int(real.sum()))
    if not np.array_equal(np.sort(index[real]), expected):
        raise NodeRunError("vocabulary: expected word indices 2, 3, ... without gaps, as a Text to "
                           "Sequence node writes them")
    return words[real][np.argsort(index[real])]


def text_to_sequence(context, inputs, params):
    import numpy as np

    from nodeflow.runtime.table import Table

    table = input_table(inputs)
    column = flat_column(table, params)
    texts = table[column]
    if texts.dtype.kind != "U":
        raise NodeRunError(f"column: expected a text column, column {column!r} holds {kind_text(texts)}")
    output = params["output_column"] or f"{column}_sequence"
    if output in table and output != column:
        raise NodeRunError(f"output_column: expected a new column name, got {output!r} which already exists")
    token_lists = tokenize(texts.tolist(), params["lowercase"])
    check_cancelled(context)
    given = inputs.get("vocabulary")
    if given is not None:
        vocabulary = _vocabulary_from_table(given)
        counts = np.zeros(len(vocabulary), dtype=np.int64)
        fitted = "reused"
    else:
        vocabulary, counts = fit_vocabulary(token_lists, params["max_words"])
        fitted = "fitted on this table"
    check_cancelled(context)
    sequences, lengths = to_sequences(token_lists, vocabulary, params["length"], params["padding"],
                                      params["truncating"])
    size = len(vocabulary) + 2
    truncated = int((lengths > params["length"]).sum())
    log(context, f"vocabulary size: {size} ({len(vocabulary)} words {fitted}, plus 0 = padding and "
                 f"1 = out of vocabulary); use it as the Embedding's input_dim")
    if truncated:
        log(context, f"{truncated} of {table.num_rows} texts are longer than {params['length']} words "
                     "and were truncated")
    vocab_table = Table({
        "index": np.arange(size, dtype=np.int32),
        "word": np.concatenate([np.array(RESERVED, dtype=str), vocabulary.astype(str)]),
        "count": np.concatenate([[0, 0], counts]).astype(np.int64),
    })
    return {"table": with_columns(table, {output: sequences}), "vocabulary": vocab_table}


TEXT_TO_SEQUENCE = NodeSpec(
    type_id="data.TextToSequence",
    display_name="Text to Sequence",
    category="Data/Transform",
    family="data",
    description=(
        "Turns a text column into fixed-length sequences of word indices for an Embedding "
        "layer, like Keras's TextVectorization: texts are lower-cased and split into words at "
        "every non-letter; the most frequent words of this table form the vocabulary (index 2 "
        "is the most frequent word; 0 is padding, 1 any word outside the vocabulary); each "
        "sequence is padded or cut to the length. The output is an int32 (rows, length) column; "
        "the log gives the vocabulary size to use as the Embedding's input_dim. This node needs "
        "the whole table in memory: a table backed by files is loaded whole when it fits, and "
        "is refused with its size when it does not."
    ),
    inputs=(
        TABLE_IN,
        Port("vocabulary", "table", "Optional: a vocabulary from another Text to Sequence node to "
                                    "reuse (e.g. the training data's for the test data).", optional=True),
    ),
    outputs=(
        Port("table", "table", "The table with the sequence column added."),
        Port("vocabulary", "table", "Table of index, word and count (in the fitted table), one "
                                    "row per index including 0 and 1."),
    ),
    params=(
        ColumnsParam(name="column", min_count=1, max_count=1, help="The text column to turn into sequences."),
        IntParam(name="max_words", default=10000, min=1,
                 help="How many of the most frequent words make up the vocabulary (ties broken "
                      "alphabetically); the vocabulary size is at most this plus 2."),
        IntParam(name="length", default=50, min=1,
                 help="Length of every sequence: shorter texts are padded with 0, longer ones cut."),
        ChoiceParam(name="padding", default="post", options=("post", "pre"),
                    help="Where padding zeros go: after the words (post) or before them (pre)."),
        ChoiceParam(name="truncating", default="post", options=("post", "pre"),
                    help="Which words a long text loses: those at the end (post) or at the start (pre)."),
        BoolParam(name="lowercase", default=True,
                  help="Whether to lower-case texts first, so The and the are one word."),
        TextParam(name="output_column", default="",
                  help="Name of the new sequence column; empty means <column>_sequence."),
    ),
    keywords=("text", "token", "tokenize", "sequence", "vocabulary", "words", "nlp", "embedding"),
    run=text_to_sequence,
)

NODES = (NORMALIZER, NORMALIZER_APPLY, CATEGORY_TO_NUMBER, ONE_HOT, TEXT_TO_SEQUENCE)
