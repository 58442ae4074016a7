"""The operation nodes: one row per ``keras.ops`` function (see ``declare`` for the rules)."""

from __future__ import annotations

from nodeflow.core.params import BoolParam, ChoiceParam, FloatParam, IntParam, ShapeParam

from .declare import Arg, import_key, key_param, op_node

X = Arg("x", "The input tensor.")
X1_X2 = (Arg("x1", "The first operand: a tensor, or a number given as parameter x1.", constant=True),
         Arg("x2", "The second operand: a tensor, or a number given as parameter x2.", constant=True))
DTYPES = ("float32", "float16", "bfloat16", "float64", "int8", "int16", "int32", "int64",
          "uint8", "bool")


def _axis(help_: str, default=None) -> ShapeParam:
    return ShapeParam(name="axis", default=default, optional=default is None, allow_int=True,
                      min_value=None, help=help_)


_BROADCAST = ("Operands of different shapes are broadcast as in NumPy (a size of 1, or a "
              "missing leading axis, stretches to the other's size).")

# (function, Keras class, what it computes, keywords)
_BINARY = (
    ("add", "Add", "x1 + x2, element by element; the residual sum x = x + inputs of a "
                   "Transformer block.", ("plus", "sum", "residual", "+")),
    ("subtract", "Subtract", "x1 - x2, element by element.", ("minus", "difference", "-")),
    ("multiply", "Multiply", "x1 * x2, element by element; scales a tensor by a number "
                             "(x * 0.5) or gates it by another.", ("times", "scale", "*")),
    ("divide", "Divide", "x1 / x2, element by element.", ("quotient", "/")),
    ("true_divide", "TrueDivide", "x1 / x2, element by element, as Python's / operator "
                                  "records it.", ("quotient", "/")),
    ("power", "Power", "x1 raised to the power x2, element by element.", ("exponent", "**")),
    ("maximum", "Maximum", "The larger of x1 and x2, element by element.", ("max", "relu")),
    ("minimum", "Minimum", "The smaller of x1 and x2, element by element.", ("min",)),
    ("greater", "Greater", "Whether x1 > x2, element by element (a boolean tensor, e.g. a "
                           "condition for ops.where).", (">", "compare")),
    ("less", "Less", "Whether x1 < x2, element by element (a boolean tensor).", ("<", "compare")),
    ("equal", "Equal", "Whether x1 == x2, element by element (a boolean tensor).", ("==", "compare")),
    ("not_equal", "NotEqual", "Whether x1 != x2, element by element (a boolean tensor, e.g. "
                              "a padding mask).", ("!=", "compare", "mask")),
)

_UNARY = (
    ("negative", "Negative", "-x, element by element.", ("minus", "negate")),
    ("abs", "Absolute", "The absolute value |x|, element by element.", ("absolute",)),
    ("sqrt", "Sqrt", "The square root, element by element.", ("root",)),
    ("rsqrt", "Rsqrt", "1 / sqrt(x), element by element (as in normalizations).", ("root",)),
    ("exp", "Exp", "e to the power x, element by element.", ("exponential",)),
    ("log", "Log", "The natural logarithm, element by element.", ("logarithm", "ln")),
    ("square", "Square", "x * x, element by element.", ("squared",)),
    ("reciprocal", "Reciprocal", "1 / x, element by element.", ("inverse",)),
    ("sign", "Sign", "-1, 0 or 1 by the sign of x, element by element.", ()),
    ("floor", "Floor", "x rounded down, element by element.", ("round",)),
    ("ceil", "Ceil", "x rounded up, element by element.", ("round",)),
    ("sin", "Sin", "The sine, element by element (e.g. positional encodings).", ("trigonometry",)),
    ("cos", "Cos", "The cosine, element by element (e.g. positional encodings).", ("trigonometry",)),
    ("tanh", "Tanh", "The hyperbolic tangent, element by element.", ("activation",)),
    ("sigmoid", "Sigmoid", "1 / (1 + exp(-x)), element by element.", ("activation", "logistic")),
    ("relu", "Relu", "max(x, 0), element by element.", ("activation", "rectifier")),
    ("silu", "Silu", "x * sigmoid(x), element by element (swish).", ("activation", "swish")),
    ("softplus", "Softplus", "log(1 + exp(x)), element by element.", ("activation",)),
    ("erf", "Erf", "The Gauss error function, element by element (as in exact GELU).", ("gelu",)),
    ("logical_not", "LogicalNot", "The boolean negation of x, element by element.", ("not", "mask")),
)

_REDUCTIONS = (
    ("mean", "Mean", "The mean", ("average", "pooling")),
    ("sum", "Sum", "The sum", ("total", "add up")),
    ("max", "Max", "The largest value", ("maximum", "pooling")),
    ("min", "Min", "The smallest value", ("minimum",)),
)


def _binary(function, keras_class, what, keywords):
    return op_node(function, keras_class, category="Arithmetic", args=X1_X2, keywords=keywords,
                   description=f"{what} Either operand may be a connected tensor or a number set "
                               f"as a parameter, e.g. x1 connected and x2 = 0.5. {_BROADCAST}")


def _unary(function, keras_class, what, keywords):
    return op_node(function, keras_class, category="Math", args=(X,), keywords=keywords,
                   description=f"{what} The output has the input's shape.")


def _reduction(function, keras_class, what, keywords):
    extra = (FloatParam(name="initial", default=None, optional=True,
                        help="A value the reduction starts from (also the result over an empty "
                             "axis); empty for none."),) if function in ("max", "min") else ()
    return op_node(
        function, keras_class, category="Reductions", args=(X,), keywords=keywords,
        description=f"{what} of the input over the given axes (all axes when empty), e.g. axis 1 "
                    "of a (batch, time, features) sequence averages over time. Reduced axes "
                    "disappear unless keepdims is on.",
        params=(_axis("The axis or axes to reduce; empty for all (including the batch axis). "
                      "Negative axes count from the end."),
                BoolParam(name="keepdims", default=False,
                          help="Whether reduced axes stay, with size 1, so the result broadcasts "
                               "against the input."),
                *extra))


NODES = (
    *(_binary(*row) for row in _BINARY),
    *(_unary(*row) for row in _UNARY),
    *(_reduction(*row) for row in _REDUCTIONS),
    op_node("softmax", "Softmax", category="Math", args=(X,), keywords=("probabilities", "attention"),
            description="exp(x) divided by its sum along an axis: turns scores into "
                        "probabilities, e.g. attention weights.",
            params=(IntParam(name="axis", default=-1, help="The axis the values sum to 1 along."),)),
    op_node("gelu", "Gelu", category="Math", args=(X,), keywords=("activation",),
            description="The Gaussian error linear unit, element by element (Transformers' "
                        "activation).",
            params=(BoolParam(name="approximate", default=True,
                              help="Whether to use the tanh approximation."),)),
    op_node("matmul", "Matmul", category="Linear Algebra",
            args=(Arg("x1", "The left matrix (or batch of matrices)."),
                  Arg("x2", "The right matrix (or batch of matrices).")),
            keywords=("matrix product", "dot", "@", "attention scores"),
            description="The matrix product x1 @ x2 over the last two axes; leading axes are "
                        "batch axes and broadcast. (batch, n, k) @ (batch, k, m) gives "
                        "(batch, n, m), as in attention scores Q @ K^T."),
    op_node("transpose", "Transpose", category="Shape", args=(X,), keywords=("permute", "swap axes"),
            description="Reorders the axes, batch axis included: axes [0, 2, 1] swaps the last "
                        "two axes of a (batch, n, m) tensor.",
            params=(ShapeParam(name="axes", default=None, optional=True, min_value=None,
                               help="The new order of the axes, as a permutation of 0..rank-1; "
                                    "empty reverses them."),)),
    op_node("reshape", "Reshape", category="Shape", args=(X,), keywords=("view", "flatten"),
            description="Gives the tensor a new shape with the same number of values. The new "
                        "shape includes the batch axis; one entry may be -1 (inferred), e.g. "
                        "[-1, 32] flattens each sample of 4 x 8 values.",
            params=(ShapeParam(name="newshape", min_value=None,
                               help="The new shape, batch axis first; -1 for the one size to "
                                    "infer."),)),
    op_node("expand_dims", "ExpandDims", category="Shape", args=(X,), keywords=("unsqueeze", "new axis"),
            description="Inserts an axis of size 1 at the given position, e.g. (batch, 8) becomes "
                        "(batch, 1, 8) with axis 1.",
            params=(_axis("Where the new axis goes (an index of the output; negative counts from "
                          "the end).", default=0),)),
    op_node("squeeze", "Squeeze", category="Shape", args=(X,), keywords=("drop axis",),
            description="Removes axes of size 1, e.g. (batch, 1, 8) becomes (batch, 8) with axis 1.",
            params=(_axis("The axis or axes to remove (each of size 1); empty removes every "
                          "axis of size 1."),)),
    op_node("concatenate", "Concatenate", category="Shape",
            args=(Arg("xs", "The tensors to join, in the order they are connected.", multi=True),),
            keywords=("concat", "join"),
            description="Joins the connected tensors along an existing axis; all other axes must "
                        "agree. Note that keras.ops defaults to axis 0, the batch axis.",
            params=(IntParam(name="axis", default=0, help="The axis to join along (0: batch; "
                                                          "-1: the last)."),)),
    op_node("stack", "Stack", category="Shape",
            args=(Arg("x", "The tensors to stack, all of the same shape, in connection order.",
                      multi=True),),
            keywords=("join", "new axis"),
            description="Stacks tensors of the same shape along a new axis: two (batch, 8) tensors "
                        "stacked on axis 1 give (batch, 2, 8).",
            params=(IntParam(name="axis", default=0, help="Where the new axis goes."),)),
    op_node("get_item", "GetItem", category="Shape", display_name="Slice (x[...])", args=(X,),
            keywords=("slice", "index", "take", "last time step", "[]"),
            description="Takes part of a tensor as Python's x[...] does, e.g. ':, -1' takes the "
                        "last time step of a (batch, time, features) sequence and '..., 1:3' "
                        "channels 1 and 2.",
            params=(key_param(),), import_params=import_key),
    op_node("cast", "Cast", category="Math", args=(X,), keywords=("dtype", "convert", "type"),
            description="Converts the values to another data type (e.g. a boolean mask to "
                        "float32 to multiply with).",
            params=(ChoiceParam(name="dtype", options=DTYPES, help="The data type to convert to."),)),
    op_node("clip", "Clip", category="Math", args=(X,), keywords=("clamp", "limit", "relu6"),
            description="Limits the values to the range [x_min, x_max].",
            params=(FloatParam(name="x_min", help="The smallest value kept."),
                    FloatParam(name="x_max", help="The largest value kept."))),
    op_node("where", "Where", category="Logic",
            args=(Arg("condition", "A boolean tensor choosing, per element, x1 (true) or x2 "
                                   "(false)."),
                  Arg("x1", "Values where the condition holds: a tensor, or the number x1.",
                      constant=True),
                  Arg("x2", "Values where it does not: a tensor, or the number x2.", constant=True)),
            keywords=("select", "if", "mask", "condition"),
            description="Chooses element by element between x1 where the condition is true and x2 "
                        "where it is false. " + _BROADCAST),
)

__all__ = ["NODES"]
