"""Turn a layer node's parameter values into a Keras layer.

Values in a workflow are plain JSON; Keras wants tuples for shapes and objects
for initializers, regularizers and constraints.  The conversion reads the node's
spec, so each parameter type is converted in one place for every layer.
"""

from __future__ import annotations

from typing import Any

from collections.abc import Callable

from nodeflow.core.params import FileParam, NestedChoiceParam, ShapeParam
from nodeflow.core.shared_layers import SHARES_WEIGHTS
from nodeflow.core.spec import NodeSpec

from . import load_keras

# Keras module holding the classes named by each nested choice's Option.target
_NESTED_MODULES = ("initializers", "regularizers", "constraints", "optimizers")


def nested_class(param: NestedChoiceParam, target: str) -> tuple[str, Any]:
    """``(module name, class)`` of a nested choice option, e.g. ``("initializers", RandomNormal)``."""
    keras = load_keras()
    for module_name in _NESTED_MODULES:
        cls = getattr(getattr(keras, module_name), target, None)
        if cls is not None:
            return module_name, cls
    raise LookupError(f"{param.name}: Keras has no class {target}")


def _nested_object(param: NestedChoiceParam, value: Any):
    option, args = param.resolved(value)
    return nested_class(param, option.target)[1](**args)


def _tuples(value):
    """Lists (and lists of pairs) as the tuples Keras uses for shapes and sizes."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def keras_params(spec: NodeSpec, values: dict[str, Any],
                 resolve_path: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Full Keras keyword arguments for ``spec.build`` (defaults filled in).

    ``resolve_path`` turns file parameters relative to the workflow's folder into
    usable paths (``Workflow.resolve_path``).
    """
    out = {}
    for name, value in spec.resolve(values).items():
        if name == SHARES_WEIGHTS:
            continue
        param = spec.param(name)
        if value is not None and isinstance(param, NestedChoiceParam):
            value = _nested_object(param, value)
        elif isinstance(value, list) and isinstance(param, ShapeParam):
            value = _tuples(value)
        elif isinstance(value, str) and isinstance(param, FileParam) and resolve_path is not None:
            value = resolve_path(value)
        out[name] = value
    return out


def build_layer(spec: NodeSpec, values: dict[str, Any], name: str | None = None,
                resolve_path: Callable[[str], str] | None = None):
    """The Keras layer of a layer node (``name`` is usually the node id)."""
    if spec.build is None:
        raise TypeError(f"{spec.type_id} is not a layer node")
    return spec.build(keras_params(spec, values, resolve_path), name=name)
