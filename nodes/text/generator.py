"""Text Generator: sample new texts from a trained next-character model.

The trained model reads a window of characters; generating one character at a time with it
would re-read the whole window per character.  The node rebuilds the same layers as a
*generation network* that takes one character and the recurrent states and returns the
next-character probabilities and the new states (explicit states, so one network serves
any number of texts at once and exports as a plain SavedModel).  Its weights are the
trained ones; the network is an output, for the TensorFlow SavedModel Writer.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import FloatParam, IntParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec
from nodes.data._common import check_cancelled, log, seed_of

from . import chars, stepping


def generation_network(model):
    """The trained next-character layers rebuilt as a step network (see :mod:`.stepping`)."""
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or len(getattr(model, "outputs", None) or []) != 1:
        raise NodeRunError(f"model: expected a next-character network with one input and one output "
                           f"({stepping.EXPECTED}), got {len(inputs)} inputs")
    layers, _ = stepping.chain_to(model.outputs[0], "model")
    return stepping.step_network(layers, "generation_network"), layers


def prime_tokens(seed_text: str, tokens: list[str]) -> list[int]:
    """The start marker and the seed text's indices: what the network reads before sampling."""
    return [chars.START, *chars.encode([seed_text], tokens, "seed_text")[0]]


def generate(context, inputs, params):
    import numpy as np

    from nodeflow.runtime.table import Table

    tokens = chars.from_table(inputs["vocabulary"])
    model = inputs["model"]
    network, layers = generation_network(model)
    units = int(network.outputs[0].shape[-1])
    if units != len(tokens):
        raise NodeRunError(f"vocabulary: the model predicts {units} indices but the vocabulary has "
                           f"{len(tokens)}; connect the vocabulary the training sequences were made with")
    stop = params["stop_character"]
    if stop and stop not in chars.lookup(tokens):
        raise NodeRunError(f"stop_character: expected a character of the vocabulary, got {stop!r}")
    check_cancelled(context)
    count = params["count"]
    texts = chars.sample(stepping.keras_step(network), stepping.zero_states(network, count),
                         prime_tokens(params["seed_text"], tokens), tokens, count, params["max_length"],
                         params["temperature"], seed_of(context, params["seed"]), stop,
                         probabilities=stepping.ends_in_softmax(layers))
    seeded = [params["seed_text"] + t for t in texts]
    log(context, f"generated {count} texts, {len(set(seeded))} distinct")
    return {"table": Table({"text": np.array(seeded, dtype=str)}), "generator": network}


TEXT_GENERATOR = NodeSpec(
    export_refusal=(
        "export-python writes the network and its training; sampling text from the trained layers"
        " rebuilt to take one character at a time is this node's own work, which the script does "
        "not reproduce. Use the generation network this node outputs (a SavedModel through the "
        "SavedModel Writer)"),
    type_id="learn.TextGenerator",
    display_name="Text Generator",
    category="Learning",
    family="learn",
    description=(
        "Samples new texts from a trained next-character model (Embedding -> LSTM/GRU/SimpleRNN -> "
        "Dense, trained on the windows of Text to Training Sequences). The trained layers are "
        "rebuilt into a generation network that reads one character and the recurrent states and "
        "returns the next character's probabilities and the new states; each text starts from the "
        "start marker and the seed text and draws characters until the end marker, the stop "
        "character or the maximum length. The same seed gives the same texts. The generation "
        "network is an output: write it with the TensorFlow SavedModel Writer."
    ),
    inputs=(
        Port("model", "model", "The trained next-character model."),
        Port("vocabulary", "table", "The character vocabulary the model was trained with."),
    ),
    outputs=(
        Port("table", "table", "One row per generated text: column text (the seed text and what "
                               "followed)."),
        Port("generator", "model", "The generation network: inputs [token (batch, 1), *states], "
                                   "outputs [next-token scores, *new states], the trained weights."),
    ),
    params=(
        TextParam(name="seed_text", default="", help="Characters every text starts with; the network "
                                                     "reads them before sampling the rest."),
        FloatParam(name="temperature", default=1.0, min=0.0, min_open=True, max=10.0,
                   help="Below 1 the likely characters are preferred (safer, more repetitive texts); "
                        "above 1 the distribution flattens (more surprising texts)."),
        IntParam(name="count", default=100, min=1, max=100_000, help="How many texts to generate."),
        IntParam(name="max_length", default=20, min=1, max=10_000,
                 help="Most characters generated after the seed text."),
        TextParam(name="stop_character", default="", pattern=r"(?s).?", pattern_help="at most one character",
                  help="A character that ends a text (not kept) besides the end marker, e.g. a space "
                       "for single words; empty: only the end marker ends a text."),
        IntParam(name="seed", default=None, optional=True, min=0, max=2**31 - 1,
                 help="Seed of the sampling, for repeatable texts; empty uses the run's seed."),
    ),
    keywords=("generate", "text", "sample", "lstm", "character", "names", "temperature", "rnn",
              "generation"),
    run=generate,
)

NODES = (TEXT_GENERATOR,)
