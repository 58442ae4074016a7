"""Text to Training Sequences: texts -> sliding character windows and next-character targets."""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import BoolParam, ColumnsParam, IntParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec
from nodes.data._common import TABLE_IN, check_cancelled, flat_column, input_table, kind_text, log

from . import chars

VOCABULARY_IN = Port("vocabulary", "table", "Optional: the character vocabulary of another node to reuse "
                                            "(e.g. the training texts' for the validation texts).",
                     optional=True)
VOCABULARY_OUT = Port("vocabulary", "table", "The character vocabulary: index, token and count, one row "
                                             "per index; 0 is padding, 1 the start and 2 the end marker.")


def texts_of(table, params, param: str = "column") -> list[str]:
    """The text column a parameter names, lower-cased when ``params["lowercase"]``."""
    column = flat_column(table, params, param)
    values = table[column]
    if values.dtype.kind != "U":
        raise NodeRunError(f"{param}: expected a text column, column {column!r} holds {kind_text(values)}")
    texts = values.tolist()
    return [t.lower() for t in texts] if params.get("lowercase") else texts


def vocabulary_for(inputs, texts, context) -> tuple[list[str], object]:
    """The tokens to use and the vocabulary table: the given one, else fitted on ``texts``."""
    given = inputs.get("vocabulary")
    if given is not None:
        tokens = chars.from_table(given)
        log(context, f"vocabulary reused: {len(tokens)} indices")
        return tokens, given
    found, counts = chars.fit(texts)
    tokens = [*chars.MARKERS, *found]
    log(context, f"vocabulary: {len(tokens)} indices ({len(found)} characters fitted on this table, plus "
                 f"0 = padding, 1 = start, 2 = end); use it as the Embedding's input_dim and the output "
                 f"layer's units")
    return tokens, chars.table(found, counts)


def text_to_training_sequences(context, inputs, params):
    from nodeflow.runtime.table import Table

    table = input_table(inputs)
    texts = texts_of(table, params)
    for name in (params["window_column"], params["target_column"]):
        if not name:
            raise NodeRunError("window_column / target_column: expected column names, got an empty one")
    if params["window_column"] == params["target_column"]:
        raise NodeRunError("target_column: expected a name other than window_column's")
    tokens, vocabulary = vocabulary_for(inputs, texts, context)
    check_cancelled(context)
    encoded = chars.encode(texts, tokens, "column")
    x, y, owner = chars.windows(encoded, params["window"])
    longest = max((len(t) for t in texts), default=0)
    log(context, f"{len(texts):,} texts -> {len(y):,} windows of {params['window']} characters "
                 f"(longest text: {longest} characters)")
    if longest + 1 > params["window"]:
        log(context, f"texts longer than {params['window'] - 1} characters are seen through a window "
                     "that no longer holds their start")
    return {"table": Table({params["window_column"]: x, params["target_column"]: y, "text_row": owner}),
            "vocabulary": vocabulary}


TEXT_TO_TRAINING_SEQUENCES = NodeSpec(
    type_id="data.TextToTrainingSequences",
    display_name="Text to Training Sequences",
    category="Data/Transform",
    family="data",
    description=(
        "Turns texts (one per row, e.g. names) into training data for a character-level "
        "next-character model. Each text becomes [START] characters [END]; for every character "
        "after the start one row holds the window of up to 'window' characters before it (padded "
        "with 0 on the left, so use an Embedding with mask_zero) and, as the target, the index of "
        "that character. The vocabulary (0 padding, 1 start, 2 end, then the characters, most "
        "frequent first) is fitted on this table unless one is connected, and is an output, for "
        "the validation texts and the Text Generator."
    ),
    inputs=(TABLE_IN, VOCABULARY_IN),
    outputs=(
        Port("table", "table", "One row per window: the window (rows, window) int32, the target "
                               "character index and text_row, the input row it came from."),
        VOCABULARY_OUT,
    ),
    params=(
        ColumnsParam(name="column", min_count=1, max_count=1, help="The text column, one text per row."),
        IntParam(name="window", default=12, min=1, max=10_000,
                 help="Characters the network sees before predicting the next one. A window longer "
                      "than the longest text lets the network see every text from its start, so a "
                      "network stepping from its start generates exactly as it was trained."),
        BoolParam(name="lowercase", default=False, help="Whether to lower-case the texts first."),
        TextParam(name="window_column", default="window", allow_empty=False,
                  help="Name of the output column holding the windows."),
        TextParam(name="target_column", default="next", allow_empty=False,
                  help="Name of the output column holding the next character's index."),
    ),
    keywords=("text", "character", "char", "sequence", "window", "generation", "lstm", "names",
              "vocabulary", "next character"),
    run=text_to_training_sequences,
)

NODES = (TEXT_TO_TRAINING_SEQUENCES,)
