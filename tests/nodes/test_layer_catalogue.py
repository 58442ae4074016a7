"""The layer catalogue as a whole: Keras names and defaults, and a test case per node type."""

import importlib
import inspect
import pkgutil

import pytest

from nodeflow.core import default_registry
from nodeflow.core.params import NestedChoiceParam
from nodeflow.core.spec import snake_case
from tests.nodes.layer_harness import all_layer_types

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras

# (type id, parameter) -> why NodeFlow's default differs from the Keras signature's
DEFAULT_EXCEPTIONS = {
    ("keras.layers.Input", "sparse"): "Keras's None means False",
    ("keras.layers.Input", "shape"): "Keras also takes batch_shape instead; the node always asks for shape",
}


def _plain(value):
    """Keras defaults as they would be written in a workflow file (tuples -> lists)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _keras_layer_specs():
    return sorted((s for s in default_registry() if s.family == "layer" and s.target
                   and hasattr(keras.layers, s.target)), key=lambda s: s.type_id)


# wrapper layers whose node also offers the wrapped layer's arguments
WRAPPED = {"keras.layers.Bidirectional": ("LSTM", "GRU", "SimpleRNN")}


def _arguments(spec) -> dict[str, inspect.Parameter]:
    """Constructor arguments of the node's Keras class (and of the classes it wraps)."""
    arguments = {}
    for cls in (*WRAPPED.get(spec.type_id, ()), spec.target):
        arguments.update(inspect.signature(getattr(keras.layers, cls).__init__).parameters)
    return arguments


@pytest.mark.parametrize("spec", _keras_layer_specs(), ids=lambda s: s.type_id)
def test_parameters_are_keras_arguments_with_keras_defaults(spec):
    arguments = _arguments(spec)
    for param in spec.params:
        if param.name in ("trainable", "shares_weights_with") or (spec.type_id, param.name) in DEFAULT_EXCEPTIONS:
            continue
        assert param.name in arguments, f"{param.name} is not an argument of {spec.target}"
        keras_default = arguments[param.name].default
        if keras_default is inspect.Parameter.empty:
            assert param.required, f"{param.name}: Keras requires it, so the node must too"
            continue
        assert not param.required, f"{param.name}: Keras has a default ({keras_default!r})"
        if isinstance(param, NestedChoiceParam) and isinstance(keras_default, str):
            assert param.default == snake_case(keras_default), param.name
        else:
            assert param.default == _plain(keras_default), \
                f"{param.name}: NodeFlow {param.default!r} vs Keras {keras_default!r}"


def test_nested_choice_arguments_have_keras_defaults():
    from nodes.layers.keras_args import CONSTRAINT_OPTIONS, INITIALIZER_OPTIONS, REGULARIZER_OPTIONS

    for module, options in ((keras.initializers, INITIALIZER_OPTIONS),
                            (keras.regularizers, REGULARIZER_OPTIONS),
                            (keras.constraints, CONSTRAINT_OPTIONS)):
        for option in options:
            signature = inspect.signature(getattr(module, option.target).__init__)
            for arg in option.args:
                assert signature.parameters[arg.name].default == arg.default, f"{option.name}.{arg.name}"


def _all_cases():
    import tests.nodes as package

    cases = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("test_layers_"):
            cases += getattr(importlib.import_module(f"tests.nodes.{info.name}"), "CASES", [])
    return cases


def test_every_layer_node_has_a_keras_comparison_case():
    covered = {case.type_id for case in _all_cases()}
    # operation nodes call keras.ops.<function> itself; tests/keras/test_ops_nodes.py checks them
    operations = {t for t in all_layer_types() if t.startswith("keras.ops.")}
    missing = sorted(all_layer_types() - covered - operations - {"keras.layers.Input"})
    assert not missing, f"layer nodes without a test case: {missing}"
