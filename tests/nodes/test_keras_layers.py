"""Layer nodes build the same Keras layer as Keras itself, with Keras's defaults."""

import pytest

from nodeflow.core import default_registry

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras

from nodeflow.keras.layers import build_layer  # noqa: E402


def config(layer):
    cfg = layer.get_config()
    cfg.pop("name", None)
    return cfg


CASES = [
    ("keras.layers.Dense", {"units": 16}, lambda: keras.layers.Dense(16)),
    ("keras.layers.Dense",
     {"units": 3, "activation": "softmax", "use_bias": False,
      "kernel_initializer": {"name": "random_normal", "args": {"stddev": 0.1, "seed": 7}},
      "kernel_regularizer": {"name": "l1_l2", "args": {"l2": 0.001}},
      "bias_constraint": "non_neg", "kernel_constraint": {"name": "max_norm", "args": {"max_value": 3}}},
     lambda: keras.layers.Dense(
         3, activation="softmax", use_bias=False,
         kernel_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=7),
         kernel_regularizer=keras.regularizers.L1L2(l2=0.001),
         bias_constraint=keras.constraints.NonNeg(),
         kernel_constraint=keras.constraints.MaxNorm(max_value=3))),
    ("keras.layers.Dropout", {"rate": 0.25}, lambda: keras.layers.Dropout(0.25)),
    ("keras.layers.Dropout", {"rate": 0.5, "noise_shape": [None, 1, 8], "seed": 3},
     lambda: keras.layers.Dropout(0.5, noise_shape=(None, 1, 8), seed=3)),
    ("keras.layers.Input", {"shape": [28, 28, 1]}, lambda: keras.layers.InputLayer(shape=(28, 28, 1))),
    ("keras.layers.Input", {"shape": [None], "dtype": "int32", "batch_size": 8},
     lambda: keras.layers.InputLayer(shape=(None,), dtype="int32", batch_size=8)),
]


@pytest.mark.parametrize("type_id, params, direct", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_built_layer_matches_keras(type_id, params, direct):
    spec = default_registry()[type_id]
    layer = build_layer(spec, params, name="node_1")
    assert layer.name == "node_1"
    assert config(layer) == config(direct())


@pytest.mark.parametrize("type_id, params", [
    ("keras.layers.Dense", {"units": 5, "activation": "relu"}),
    ("keras.layers.Dropout", {"rate": 0.1}),
])
def test_output_shape_matches_keras(type_id, params):
    spec = default_registry()[type_id]
    x = keras.Input(shape=(10,))
    assert tuple(build_layer(spec, params)(x).shape) == (None, params.get("units", 10))


@pytest.mark.parametrize("spec", [s for s in default_registry() if s.family == "layer"],
                         ids=lambda s: s.type_id)
def test_declared_defaults_are_keras_defaults(spec):
    """Every optional parameter's default equals the Keras constructor's default."""
    import inspect

    cls = {"keras.layers.Input": keras.layers.InputLayer}.get(spec.type_id) or getattr(
        keras.layers, spec.type_id.rsplit(".", 1)[1])
    signature = inspect.signature(cls.__init__)
    for param in spec.params:
        assert param.name in signature.parameters, f"{param.name} is not a Keras argument"
        keras_default = signature.parameters[param.name].default
        if param.required:
            assert keras_default is inspect.Parameter.empty or spec.type_id == "keras.layers.Input"
        elif keras_default is not inspect.Parameter.empty:
            assert param.default == keras_default or (keras_default is None and param.default is False), \
                f"{param.name}: NodeFlow {param.default!r} vs Keras {keras_default!r}"


def test_nested_choice_arguments_have_keras_defaults():
    import inspect

    from nodes.layers.keras_args import CONSTRAINT_OPTIONS, INITIALIZER_OPTIONS, REGULARIZER_OPTIONS

    for module, options in ((keras.initializers, INITIALIZER_OPTIONS),
                            (keras.regularizers, REGULARIZER_OPTIONS),
                            (keras.constraints, CONSTRAINT_OPTIONS)):
        for option in options:
            cls = getattr(module, option.target)
            signature = inspect.signature(cls.__init__)
            for arg in option.args:
                assert signature.parameters[arg.name].default == arg.default, f"{option.name}.{arg.name}"
