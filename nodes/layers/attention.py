"""Embedding and attention layers: Embedding, MultiHeadAttention, Attention, AdditiveAttention.

The attention layers take a query, a value and an optional key on separate ports.
MultiHeadAttention is called ``layer(query, value, key=key)``; Attention and
AdditiveAttention take a list ``[query, value]`` or ``[query, value, key]``.
"""

from __future__ import annotations

from nodeflow.core.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    NestedChoiceParam,
    Option,
    ShapeParam,
)
from nodeflow.core.ports import Port

from .keras_args import INITIALIZER_OPTIONS, constraint, initializer, layer_node, lora_params, regularizer

CATEGORY = "Embedding & Attention"

# --------------------------------------------------------------------------- ports
QUERY_IN = Port(
    "query", "network",
    "The sequence that asks: each of its positions looks for the relevant positions of value. "
    "Shape (batch, query steps, features).")
VALUE_IN = Port(
    "value", "network",
    "The sequence attended to, shape (batch, value steps, features); the output mixes its "
    "vectors. For self-attention connect the same tensor as the query.")
KEY_IN = Port(
    "key", "network",
    "Optional keys, one per value step, compared with the query to weigh the values. "
    "Left unconnected, value serves as key too (the usual case).", optional=True)
ATTENTION_OUT = Port(
    "output", "network",
    "The attention result: for every query step, a weighted mix of the values, shape "
    "(batch, query steps, features).")

ATTENTION_PORTS = (QUERY_IN, VALUE_IN, KEY_IN)
ATTENTION_MASK_IN = Port(
    "attention_mask", "network",
    "Optional explicit mask, booleans of shape (batch, query steps, value steps): False pairs "
    "are not attended to (e.g. a causal mask). Masks from an Embedding with mask_zero upstream "
    "are applied by Keras by itself.", optional=True)


def _apply_multi_head(layer, inputs, params, ctx=None):
    extra = {"attention_mask": inputs["attention_mask"]} if inputs.get("attention_mask") is not None else {}
    return layer(inputs["query"], inputs["value"], key=inputs.get("key"), **extra)


def _apply_list_attention(layer, inputs, params, ctx=None):
    tensors = [inputs["query"], inputs["value"]]
    if inputs.get("key") is not None:
        tensors.append(inputs["key"])
    return layer(tensors)


def _export_attention(node_id, spec, params, inputs, ctx):
    """Python export: ``MultiHeadAttention(...)(query, value, key=key)`` or
    ``Attention(...)([query, value, key])``."""
    layer = f"keras.layers.{spec.target}({', '.join(ctx.kwargs(spec, params) + [f'name={node_id!r}'])})"
    query, value, key = inputs["query"], inputs["value"], inputs.get("key")
    if spec.target == "MultiHeadAttention":
        call = f"{query}, {value}" + (f", key={key}" if key else "")
        if inputs.get("attention_mask"):
            call += f", attention_mask={inputs['attention_mask']}"
    else:
        call = "[" + ", ".join([query, value] + ([key] if key else [])) + "]"
    return [f"{node_id} = {layer}({call})"], node_id


def _dropout(what: str) -> FloatParam:
    return FloatParam(name="dropout", default=0.0, min=0.0, max=1.0, max_open=True,
                      help=f"Fraction of the {what} dropped at random during training, from 0 "
                           "(none) up to, not including, 1.")


SEED = IntParam(name="seed", default=None, optional=True, min=0,
                help="Random seed for the dropout; empty for different drops every run.")

# --------------------------------------------------------------------------- Embedding
_RANDOM_UNIFORM = next(o for o in INITIALIZER_OPTIONS if o.name == "random_uniform")
# Keras's Embedding defaults to "uniform", its short name for RandomUniform
EMBEDDING_INITIALIZER = NestedChoiceParam(
    name="embeddings_initializer", group="Initializers", default="uniform",
    options=(Option("uniform", _RANDOM_UNIFORM.target,
                    "Uniform between minval and maxval (Keras's short name for random_uniform, "
                    "the Embedding default).", _RANDOM_UNIFORM.args),
             *INITIALIZER_OPTIONS),
    help="How the embedding vectors start out before training.")

EMBEDDING = layer_node(
    "Embedding",
    category=CATEGORY,
    description=(
        "Turns integer indices (e.g. word or category ids) into dense vectors of a fixed size "
        "that are learned during training, so that similar items end up with similar vectors. "
        "The usual first layer of a text model after tokenization. Input: integers of shape "
        "(batch, sequence length), each between 0 and input_dim - 1 (use an Input of dtype "
        "int32); output: (batch, sequence length, output_dim)."
    ),
    params=(
        IntParam(name="input_dim", min=1,
                 help="Size of the vocabulary: the largest index in the input plus one."),
        IntParam(name="output_dim", min=1,
                 help="Length of each embedding vector; typical values lie between 8 and 1024."),
        EMBEDDING_INITIALIZER,
        regularizer("embeddings_regularizer", "embedding vectors"),
        constraint("embeddings_constraint", "embedding vectors"),
        BoolParam(name="mask_zero", default=False,
                  help="Treat index 0 as padding: later layers that support masking (e.g. LSTM) "
                       "skip those steps. Index 0 then cannot be a real item, so input_dim "
                       "should be the vocabulary size + 1."),
        *lora_params("embedding table"),
    ),
    inputs=(Port("input", "network",
                 "Integer indices, shaped (batch, sequence length); use an Input of dtype int32."),),
    outputs=(Port("output", "network",
                  "One learned vector per index, shaped (batch, sequence length, output_dim)."),),
    keywords=("word embedding", "lookup table", "token", "vocabulary", "text", "nlp",
              "categorical", "word2vec"),
)

# --------------------------------------------------------------------------- MultiHeadAttention
MULTI_HEAD_ATTENTION = layer_node(
    "MultiHeadAttention",
    category=CATEGORY,
    description=(
        "Multi-head attention, the core of the Transformer: for every position of the query, "
        "each of several heads compares it with every position of the key, turns the "
        "similarities into weights and mixes the values accordingly, with learned projections "
        "per head. Connect the same tensor to query and value for self-attention, or the "
        "decoder to query and the encoder to value for cross-attention. Inputs: (batch, steps, "
        "features); output: (batch, query steps, query features) unless output_shape says "
        "otherwise. Attention scores are not returned."
    ),
    params=(
        IntParam(name="num_heads", min=1,
                 help="Number of attention heads, each attending to the sequence in its own way."),
        IntParam(name="key_dim", min=1,
                 help="Size of each head's projection of query and key; often the model size "
                      "divided by num_heads."),
        IntParam(name="value_dim", default=None, optional=True, min=1,
                 help="Size of each head's projection of the value; empty means key_dim."),
        _dropout("attention weights"),
        BoolParam(name="use_bias", default=True,
                  help="Whether the query, key, value and output projections add learned biases."),
        ShapeParam(name="output_shape", default=None, optional=True, allow_int=True,
                   help="Size of the output's feature axis (an integer, or a list for several "
                        "axes); empty projects back to the query's last dimension."),
        ShapeParam(name="attention_axes", default=None, optional=True, allow_int=True,
                   min_value=None,
                   help="Axes attention runs over (negative counts from the end); empty means "
                        "all axes except batch, heads and features, i.e. the sequence axis."),
        IntParam(name="sliding_window", default=None, optional=True, min=1,
                 help="If set, each query position attends only to key positions less than "
                      "this many steps away (local attention); empty attends to all positions."),
        BoolParam(name="flash_attention", default=None, optional=True,
                  help="Use the fast, memory-saving flash attention kernel (true, needs dropout "
                       "0) or not (false); empty lets Keras decide from its global setting."),
        initializer("kernel_initializer", "glorot_uniform", "projection weights (kernels)"),
        initializer("bias_initializer", "zeros", "projection biases"),
        regularizer("kernel_regularizer", "projection weights (kernels)"),
        regularizer("bias_regularizer", "projection biases"),
        regularizer("activity_regularizer", "layer's output"),
        constraint("kernel_constraint", "projection weights (kernels)"),
        constraint("bias_constraint", "projection biases"),
        BoolParam(name="use_gate", default=False,
                  help="Add a gate: a sigmoid projection of the query that scales the attention "
                       "output, which can stabilise training of large models."),
        SEED,
    ),
    inputs=(*ATTENTION_PORTS, ATTENTION_MASK_IN),
    outputs=(ATTENTION_OUT,),
    keywords=("transformer", "self-attention", "cross-attention", "mha", "heads",
              "scaled dot-product attention", "encoder", "decoder"),
    apply=_apply_multi_head,
    export_code=_export_attention,
)

# --------------------------------------------------------------------------- Attention, AdditiveAttention
_PLAIN_SHAPES = (
    "Inputs: query (batch, query steps, dim), value and key (batch, value steps, dim); output: "
    "(batch, query steps, value dim). Unlike MultiHeadAttention it has no learned projections, "
    "so query and key must have the same number of features; put Dense layers in front if "
    "needed. Attention scores are not returned.")

ATTENTION = layer_node(
    "Attention",
    category=CATEGORY,
    description=(
        "Dot-product (Luong-style) attention: for every query step, scores each key step by "
        "the dot product with the query, turns the scores into weights with softmax and "
        "returns the weighted sum of the values. A simple way to let a decoder look at an "
        "encoder's outputs. " + _PLAIN_SHAPES
    ),
    params=(
        BoolParam(name="use_scale", default=False,
                  help="Multiply the scores by a learned scalar, which lets the layer sharpen or "
                       "soften its attention."),
        ChoiceParam(name="score_mode", default="dot", options=("dot", "concat"),
                    help='How query and key are compared: "dot" takes their dot product, '
                         '"concat" the tanh of their sum.'),
        _dropout("attention weights"),
        SEED,
    ),
    inputs=ATTENTION_PORTS,
    outputs=(ATTENTION_OUT,),
    keywords=("luong attention", "dot-product attention", "dot product", "seq2seq", "encoder",
              "decoder"),
    apply=_apply_list_attention,
    export_code=_export_attention,
)

ADDITIVE_ATTENTION = layer_node(
    "AdditiveAttention",
    category=CATEGORY,
    description=(
        "Additive (Bahdanau-style) attention: for every query step, scores each key step by "
        "the sum of tanh(query + key) over the features, turns the scores into weights with "
        "softmax and returns the weighted sum of the values; the classic attention of "
        "sequence-to-sequence translation models. " + _PLAIN_SHAPES
    ),
    params=(
        BoolParam(name="use_scale", default=True,
                  help="Multiply each feature's contribution to the score by a learned weight "
                       "(the usual Bahdanau form); off sums them unweighted."),
        _dropout("attention weights"),
    ),
    inputs=ATTENTION_PORTS,
    outputs=(ATTENTION_OUT,),
    keywords=("bahdanau attention", "additive attention", "seq2seq", "encoder", "decoder"),
    apply=_apply_list_attention,
    export_code=_export_attention,
)

NODES = (EMBEDDING, MULTI_HEAD_ATTENTION, ATTENTION, ADDITIVE_ATTENTION)

__all__ = ["NODES"]
