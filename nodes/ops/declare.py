"""How an operation node is declared, applied, exported and imported.

An operation node stands for one ``keras.ops`` function, e.g. ``keras.ops.add``.  Its
ports and parameters are named exactly as the function's arguments, so one set of rules
serves every operation:

- an argument that takes tensors is an input port (a multi port for a list of tensors,
  as ``concatenate(xs)``);
- an argument that may be a tensor or a constant (the ``x2`` of ``x * 0.5``) is both an
  optional port and an optional parameter of the same name: the connected tensor, or else
  the number;
- every other argument (``axis``, ``keepdims``, ``newshape``...) is a parameter.

Translating calls ``keras.ops.<function>(**arguments)`` on the incoming Keras tensors,
which Keras 3 records as an operation node of the functional model.  Importing reads the
operation's ``get_config()`` (its options) and the arguments of its recorded call (its
tensors and constants) by the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nodeflow.core.params import FloatParam, Param, ShapeParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

CATEGORY = "Operations"
TARGET_PREFIX = "ops."  # an operation node's target: "ops." + the Keras operation class


@dataclass(frozen=True)
class Arg:
    """A tensor argument of an operation: an input port, optionally also a constant."""

    name: str
    help: str
    constant: bool = False  # a number may stand in its place (then the port is optional)
    multi: bool = False  # a list of tensors
    optional: bool = False  # may be left out entirely (e.g. where's x1 and x2)

    def port(self) -> Port:
        return Port(self.name, "network", self.help, optional=self.constant or self.optional,
                    multi=self.multi)

    def param(self) -> Param:
        return FloatParam(name=self.name, default=None, optional=True,
                          help=f"A number used as {self.name} when no tensor is connected to "
                               f"the {self.name} input.")


# what every operation node is, after its own description (the docs panel shows both)
OPERATION_NOTE = "Tensor math between layers, as keras.ops computes it; it has no weights to train."


def op_node(function: str, keras_class: str, *, category: str, description: str,
            args: tuple[Arg, ...], params: tuple[Param, ...] = (), keywords: tuple[str, ...] = (),
            display_name: str | None = None, import_params=None) -> NodeSpec:
    """The node type of ``keras.ops.<function>``, recorded by Keras as ``keras_class``."""
    arguments = tuple(a.param() for a in args if a.constant) + tuple(params)

    def apply(layer, inputs, values, ctx):
        return apply_op(function, args, params, inputs, values)

    def export(node_id, spec, values, inputs, ctx):
        return export_op(function, args, params, node_id, values, inputs)

    return NodeSpec(
        type_id=f"keras.ops.{function}",
        display_name=display_name or f"ops.{function}",
        category=f"{CATEGORY}/{category}",
        description=f"{description} {OPERATION_NOTE}",
        family="layer",
        inputs=tuple(a.port() for a in args),
        outputs=(Port("output", "network", "The operation's result; carries everything upstream of it."),),
        params=arguments,
        keywords=keywords + ("keras.ops", "tensor math", "operation"),
        target=TARGET_PREFIX + keras_class,
        apply=apply,
        export_code=export,
        import_params=import_params,
    )


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def call_arguments(args: tuple[Arg, ...], params: tuple[Param, ...], inputs: dict[str, Any],
                   values: dict) -> dict[str, Any]:
    """The keyword arguments of the ``keras.ops`` call; a missing or doubly given tensor
    argument is a ``ValueError`` naming the argument (the translator names the node)."""
    call: dict[str, Any] = {}
    for arg in args:
        tensor = inputs.get(arg.name)
        if arg.multi:
            if not tensor:
                raise ValueError(f"{arg.name}: expected at least one connected tensor, got none")
            call[arg.name] = list(tensor)
            continue
        constant = values.get(arg.name) if arg.constant else None
        if tensor is not None and constant is not None:
            raise ValueError(f"{arg.name}: a tensor is connected and the constant {constant!r} is "
                             "set too; clear the constant or disconnect the input")
        if tensor is not None:
            call[arg.name] = tensor
        elif constant is not None:
            call[arg.name] = constant
        elif not arg.optional:
            raise ValueError(f"{arg.name}: expected a connected tensor"
                             + (" or a number" if arg.constant else "") + ", got neither")
    for param in params:  # the options (constants of tensor arguments are handled above)
        value = values.get(param.name)
        call[param.name] = _tuples(value) if isinstance(param, ShapeParam) else value
    return call


def apply_op(function: str, args, params, inputs, values):
    import keras

    call = call_arguments(args, params, inputs, values)
    if function == "get_item":  # x[key]: the key is written as in Python
        return call["x"][parse_key(call["key"])]
    return getattr(keras.ops, function)(**call)


def export_op(function: str, args, params, node_id: str, values: dict, inputs: dict):
    positional = []
    for arg in args:
        tensor = inputs.get(arg.name)
        if arg.multi:
            positional.append("[" + ", ".join(tensor) + "]")
        elif tensor is not None:
            positional.append(tensor)
        elif arg.constant and values.get(arg.name) is not None:
            positional.append(repr(values[arg.name]))
        else:
            positional.append("None")
    while positional and positional[-1] == "None":
        positional.pop()
    if function == "get_item":
        return [f"{node_id} = {positional[0]}[{values['key']}]"], node_id
    keywords = []
    for param in params:
        value = values.get(param.name)
        if param.required or not param.is_default(value):
            shown = _tuples(value) if isinstance(param, ShapeParam) else value
            keywords.append(f"{param.name}={shown!r}")
    return [f"{node_id} = keras.ops.{function}({', '.join(positional + keywords)})"], node_id


# --------------------------------------------------------------------------- slicing keys
_INDEX = r"\s*(?:-?\d+|None|\.\.\.|-?\d*\s*:\s*-?\d*(?:\s*:\s*-?\d*)?)\s*"
KEY_PATTERN = rf"{_INDEX}(?:,{_INDEX})*,?\s*"


def key_param() -> TextParam:
    return TextParam(
        name="key", pattern=KEY_PATTERN,
        pattern_help="indices as in Python, separated by commas: start:stop:step, an integer, "
                     "... or None (e.g. ':, -1' or '..., 1:3')",
        help="What to take, written as between the brackets of x[...] in Python: per axis, "
             "start:stop:step (each part may be left out), a single index (which removes the "
             "axis), ... for all remaining axes, or None for a new axis of size 1. The first "
             "axis is the batch, so ':, -1' takes the last time step of every sequence.")


def parse_key(text: str):
    """``":, -1"`` -> ``(slice(None), -1)``; a single index without a comma stays single."""
    parts = [p.strip() for p in text.split(",")]
    single = len(parts) == 1
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]  # "0," is the tuple (0,)
    items = []
    for part in parts:
        if part == "...":
            items.append(Ellipsis)
        elif part == "None":
            items.append(None)
        elif ":" in part:
            bounds = [int(b) if b.strip() else None for b in part.split(":")]
            items.append(slice(*bounds))
        else:
            items.append(int(part))
    return items[0] if single else tuple(items)


def key_text(key) -> str:
    """The inverse of :func:`parse_key`, from Keras's serialized form of a key."""
    def one(item) -> str:
        if isinstance(item, dict) and item.get("class_name") == "__slice__":
            c = item["config"]
            start, stop, step = (("" if c.get(k) is None else str(c[k])) for k in ("start", "stop", "step"))
            return f"{start}:{stop}" + (f":{step}" if step else "")
        if isinstance(item, dict) and item.get("class_name") == "__ellipsis__":
            return "..."
        if item is None:
            return "None"
        if isinstance(item, bool) or not isinstance(item, int):
            raise ValueError(f"a slicing key entry {item!r} has no text form")
        return str(item)

    if isinstance(key, (list, tuple)):
        return ", ".join(one(k) for k in key) + ("," if len(key) == 1 else "")
    return one(key)


def import_key(values: dict) -> dict:
    return {**values, "key": key_text(values["key"])} if "key" in values else values
