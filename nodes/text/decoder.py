"""Sequence Decoder: translate texts with a trained encoder-decoder, one character at a time.

Training fed the decoder the true target (teacher forcing); translating has no target, so
the decoder must read its own previous output.  The node splits the trained network into
an *encoder* (source indices -> the states the decoder starts from, the trained layers
themselves) and a *decoder step* (one token and the states -> next-token scores and new
states, rebuilt by :mod:`.stepping`), and decodes greedily: start marker, then always the
most probable token, until the end marker or the maximum length.  Both networks are
outputs, for the TensorFlow SavedModel Writer.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ColumnsParam, IntParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec
from nodes.data._common import check_cancelled, input_table, log, with_columns

from . import chars, stepping
from .pairs import source_sequences
from .sequences import texts_of

EXPECTED = ("model: expected an encoder-decoder with two inputs (encoder input, decoder input), whose "
            "output comes from a decoder Embedding -> one LSTM/GRU/SimpleRNN started from the "
            "encoder's final states (return_state) -> Dense")


def split(model):
    """(encoder network, decoder step network, decoder layers) from a trained encoder-decoder."""
    from nodeflow.keras import load_keras

    keras = load_keras()
    inputs = list(getattr(model, "inputs", None) or [])
    if len(inputs) != 2 or len(getattr(model, "outputs", None) or []) != 1:
        raise NodeRunError(f"{EXPECTED}; got {len(inputs)} inputs")
    layers, start = stepping.chain_to(model.outputs[0], "model")
    recurrent = [la for la in layers if type(la).__name__ in stepping.RECURRENT]
    states = stepping.initial_states(recurrent[0]) if len(recurrent) == 1 else []
    if len(recurrent) != 1 or len(states) != stepping.RECURRENT[type(recurrent[0]).__name__]:
        raise NodeRunError(f"{EXPECTED}; the decoder has {len(recurrent)} recurrent layers, "
                           f"{len(states)} initial states")
    decoder_input = next(i for i, t in enumerate(inputs) if t is start)
    encoder = keras.Model(inputs[1 - decoder_input], states, name="encoder")
    return encoder, stepping.step_network(layers, "decoder"), layers


def greedy(encode, step, sources, max_length: int) -> "list[list[int]]":
    """Greedy decoding: per source row, the most probable tokens until [END] or ``max_length``.

    ``encode(sources) -> states`` and ``step(tokens (rows, 1), states) -> (scores, states)``;
    anything computing the same scores (the nodes' Keras networks, reloaded SavedModels)
    decodes the same tokens.
    """
    import numpy as np

    rows = len(sources)
    states = encode(sources)
    feed = np.full((rows, 1), chars.START, dtype=np.int32)
    out = np.zeros((rows, max_length), dtype=np.int32)
    alive = np.ones(rows, dtype=bool)
    for t in range(max_length):
        scores, states = step(feed, states)
        scores = np.array(scores, dtype=np.float64).reshape(rows, -1)
        scores[:, :chars.END] = -np.inf  # never padding or the start marker
        token = np.argmax(scores, axis=1).astype(np.int32)
        out[:, t] = np.where(alive, token, chars.PAD)
        alive &= token != chars.END
        if not alive.any():
            break
        feed[:, 0] = token
    return out


def decode(context, inputs, params):
    import numpy as np

    model = inputs["model"]
    tokens = chars.from_table(inputs["vocabulary"])
    table = input_table(inputs)
    encoder, decoder, _ = split(model)
    units = int(decoder.outputs[0].shape[-1])
    if units != len(tokens):
        raise NodeRunError(f"vocabulary: the model predicts {units} indices but the vocabulary has "
                           f"{len(tokens)}; connect the vocabulary the sequences were made with")
    output = params["output_column"]
    if output in table:
        raise NodeRunError(f"output_column: expected a new column name, got {output!r} which already exists")
    length = int(encoder.inputs[0].shape[1])
    sources = source_sequences(texts_of(table, params, "source_column"), tokens, length)
    step = stepping.keras_step(decoder)
    batch = params["batch_size"]
    decoded = []
    for begin in range(0, len(sources), batch):
        check_cancelled(context)
        part = sources[begin:begin + batch]
        ids = greedy(lambda s: [t.numpy() for t in encoder(s, training=False)], step, part,
                     params["max_length"])
        decoded += [chars.decode(row, tokens) for row in ids]
    new = {output: np.array(decoded, dtype=str)}
    if params["reference_column"]:
        reference = texts_of(table, {"reference_column": [params["reference_column"]]}, "reference_column")
        new[f"{output}_correct"] = new[output] == np.array(reference, dtype=str)
        log(context, f"decoded {len(decoded):,} texts greedily; exact match with "
                     f"{params['reference_column']}: {new[f'{output}_correct'].mean():.1%}")
    else:
        log(context, f"decoded {len(decoded):,} texts greedily")
    return {"table": with_columns(table, new),
            "encoder": encoder, "decoder": decoder}


SEQUENCE_DECODER = NodeSpec(
    export_refusal=(
        "export-python writes the network and its training; decoding with the encoder and the "
        "one-step decoder rebuilt from the trained layers is this node's own work, which the "
        "script does not reproduce. Use the encoder and decoder this node outputs (SavedModels "
        "through the SavedModel Writer)"),
    type_id="learn.SequenceDecoder",
    display_name="Sequence Decoder",
    category="Learning",
    family="learn",
    description=(
        "Translates texts with a trained encoder-decoder (as trained with teacher forcing on the "
        "columns of Text Pairs to Sequences): the encoder reads the source text, and the decoder, "
        "rebuilt to take one character and its states at a time, writes the translation "
        "greedily, always the most probable next character, until the end marker or the maximum "
        "length. The encoder and the decoder step are outputs: write them with the TensorFlow "
        "SavedModel Writer."
    ),
    inputs=(
        Port("model", "model", "The trained encoder-decoder: inputs (encoder input, decoder input)."),
        Port("vocabulary", "table", "The character vocabulary the sequences were made with."),
        Port("table", "table", "The texts to translate."),
    ),
    outputs=(
        Port("table", "table", "The input table with the translation column added."),
        Port("encoder", "model", "The encoder: source indices (rows, length) -> the decoder's initial "
                                 "states."),
        Port("decoder", "model", "The decoder step: inputs [token (rows, 1), *states], outputs "
                                 "[next-token scores, *new states]."),
    ),
    params=(
        ColumnsParam(name="source_column", min_count=1, max_count=1, help="The text column to translate."),
        IntParam(name="max_length", default=20, min=1, max=10_000,
                 help="Most characters written per translation."),
        TextParam(name="output_column", default="translation", allow_empty=False,
                  help="Name of the new column with the translations."),
        TextParam(name="reference_column", default="",
                  help="Optional: a column with the correct translations; the node then adds "
                       "<output_column>_correct (true where the translation matches exactly) and logs "
                       "the exact-match rate."),
        IntParam(name="batch_size", default=512, min=1, max=1_000_000,
                 help="Texts decoded at once; translations do not depend on it."),
    ),
    keywords=("seq2seq", "decode", "greedy", "translate", "encoder", "decoder", "sequence", "inference"),
    run=decode,
)

NODES = (SEQUENCE_DECODER,)
