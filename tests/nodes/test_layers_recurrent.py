"""Recurrent layer nodes built through the translator equal the same layers made in Keras."""

import inspect

import pytest

from nodeflow.core.params import NestedChoiceParam
from nodeflow.core.spec import snake_case

from tests.nodes.layer_harness import LayerCase, check_layer_case, wire

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras
L = keras.layers

# the harness names the node under test "under_test"; a Bidirectional node names its wrapped
# layer after the node, so the direct layers below do the same
NODE = "under_test"


def _called(layer, shape):
    """The layer after a call on an input of ``shape``: a built wrapper's config holds its
    inner layers' build configs, so the direct layer must be built as the translated one is."""
    layer(keras.Input(shape=shape))
    return layer

CASES = [
    LayerCase("keras.layers.LSTM", {"units": 8}, lambda: L.LSTM(8), [[5, 3]]),
    LayerCase(
        "keras.layers.LSTM",
        {"units": 4, "activation": "relu", "recurrent_activation": "hard_sigmoid",
         "unit_forget_bias": False, "recurrent_initializer": {"name": "orthogonal", "args": {"gain": 0.5}},
         "recurrent_regularizer": {"name": "l2", "args": {"l2": 0.001}}, "dropout": 0.2,
         "recurrent_dropout": 0.1, "seed": 3, "return_sequences": True, "return_state": True,
         "go_backwards": True, "use_cudnn": "false"},
        lambda: L.LSTM(4, activation="relu", recurrent_activation="hard_sigmoid",
                       unit_forget_bias=False,
                       recurrent_initializer=keras.initializers.Orthogonal(gain=0.5),
                       recurrent_regularizer=keras.regularizers.L2(0.001), dropout=0.2,
                       recurrent_dropout=0.1, seed=3, return_sequences=True, return_state=True,
                       go_backwards=True, use_cudnn=False),
        [[None, 3]], id="LSTM-states-and-options"),
    LayerCase("keras.layers.LSTM", {"units": 4}, lambda: L.LSTM(4), [[5, 3], [4], [4]],
              id="LSTM-initial-state"),
    LayerCase("keras.layers.GRU", {"units": 6}, lambda: L.GRU(6), [[7, 2]]),
    LayerCase(
        "keras.layers.GRU",
        {"units": 3, "reset_after": False, "use_bias": False, "return_sequences": True,
         "return_state": True, "unroll": True, "kernel_constraint": "non_neg"},
        lambda: L.GRU(3, reset_after=False, use_bias=False, return_sequences=True,
                      return_state=True, unroll=True,
                      kernel_constraint=keras.constraints.NonNeg()),
        [[4, 2], [3]], id="GRU-options-initial-state"),
    LayerCase("keras.layers.SimpleRNN", {"units": 5}, lambda: L.SimpleRNN(5), [[6, 2]]),
    LayerCase(
        "keras.layers.SimpleRNN",
        {"units": 2, "activation": None, "return_sequences": True, "go_backwards": True,
         "activity_regularizer": "l1"},
        lambda: L.SimpleRNN(2, activation=None, return_sequences=True, go_backwards=True,
                            activity_regularizer=keras.regularizers.L1()),
        [[6, 2]], id="SimpleRNN-options"),
    LayerCase("keras.layers.ConvLSTM1D", {"filters": 4, "kernel_size": 3},
              lambda: L.ConvLSTM1D(4, 3), [[5, 10, 2]]),
    LayerCase("keras.layers.ConvLSTM2D", {"filters": 4, "kernel_size": [3, 3]},
              lambda: L.ConvLSTM2D(4, (3, 3)), [[3, 8, 8, 1]]),
    LayerCase(
        "keras.layers.ConvLSTM2D",
        {"filters": 2, "kernel_size": 3, "strides": [2, 1], "padding": "same",
         "return_sequences": True, "return_state": True, "recurrent_dropout": 0.1},
        lambda: L.ConvLSTM2D(2, 3, strides=(2, 1), padding="same", return_sequences=True,
                             return_state=True, recurrent_dropout=0.1),
        [[3, 8, 8, 1]], id="ConvLSTM2D-options"),
    LayerCase("keras.layers.ConvLSTM3D", {"filters": 2, "kernel_size": 2, "dilation_rate": 2},
              lambda: L.ConvLSTM3D(2, 2, dilation_rate=2), [[2, 5, 5, 5, 1]]),
    LayerCase("keras.layers.Bidirectional", {"layer": "LSTM", "units": 8},
              lambda: _called(L.Bidirectional(L.LSTM(8, name=NODE)), (5, 3)), [[5, 3]]),
    LayerCase(
        "keras.layers.Bidirectional",
        {"layer": "GRU", "units": 4, "merge_mode": "sum", "reset_after": False, "dropout": 0.1,
         "return_sequences": True, "kernel_initializer": {"name": "he_normal", "args": {"seed": 1}},
         "bias_regularizer": {"name": "l1_l2", "args": {"l1": 0.01}}, "trainable": False},
        lambda: _called(L.Bidirectional(
            L.GRU(4, reset_after=False, dropout=0.1, return_sequences=True,
                  kernel_initializer=keras.initializers.HeNormal(seed=1),
                  bias_regularizer=keras.regularizers.L1L2(l1=0.01), name=NODE),
            merge_mode="sum", trainable=False), (5, 3)),
        [[5, 3]], id="Bidirectional-GRU-options"),
    LayerCase(
        "keras.layers.Bidirectional",
        {"layer": "SimpleRNN", "units": 3, "activation": "relu", "merge_mode": None},
        lambda: _called(L.Bidirectional(L.SimpleRNN(3, activation="relu", name=NODE),
                                        merge_mode=None), (5, 3)),
        [[5, 3]], id="Bidirectional-SimpleRNN-no-merge"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_matches_keras(case):
    check_layer_case(case)


def _translate(case, output=None):
    from nodeflow.keras.translator import translate

    wf = wire(case)
    return wf, translate(wf, output=output)


@pytest.mark.parametrize("type_id, params, ports, shapes", [
    ("keras.layers.LSTM", {"units": 4, "return_state": True}, ("output", "state_h", "state_c"),
     [(None, 4)] * 3),
    ("keras.layers.GRU", {"units": 3, "return_sequences": True, "return_state": True},
     ("output", "state"), [(None, 5, 3), (None, 3)]),
    ("keras.layers.SimpleRNN", {"units": 2, "return_state": True}, ("output", "state"),
     [(None, 2)] * 2),
])
def test_state_ports_carry_the_states(type_id, params, ports, shapes):
    from nodeflow.keras.translator import translate

    wf = wire(LayerCase(type_id, params, lambda: None, [[5, 3]]))
    translation = translate(wf)  # every unconnected network port is a model output
    assert [p for _, p in translation.output_nodes] == list(ports)
    assert [tuple(t.shape) for t in translation.model.outputs] == shapes


def test_connected_state_port_without_return_state_is_an_error():
    from nodeflow.core import Workflow, default_registry
    from nodeflow.keras.translator import TranslationError, translate

    wf = Workflow(default_registry())
    wf.add_node("keras.layers.Input", {"shape": [5, 3]}, node_id="seq")
    wf.add_node("keras.layers.LSTM", {"units": 4}, node_id="enc")
    wf.add_node("keras.layers.Dense", {"units": 2}, node_id="head")
    wf.connect("seq", "output", "enc", "input")
    wf.connect("enc", "state_c", "head", "input")
    with pytest.raises(TranslationError, match="return_state"):
        translate(wf)


def test_encoder_states_start_a_decoder():
    """The sequence-to-sequence pattern: encoder states -> decoder's initial_state."""
    import numpy as np

    from nodeflow.core import Workflow, default_registry
    from nodeflow.keras.translator import translate

    wf = Workflow(default_registry())
    wf.add_node("keras.layers.Input", {"shape": [None, 3]}, node_id="src")
    wf.add_node("keras.layers.Input", {"shape": [None, 2]}, node_id="tgt")
    wf.add_node("keras.layers.LSTM", {"units": 4, "return_state": True}, node_id="enc")
    wf.add_node("keras.layers.LSTM", {"units": 4, "return_sequences": True}, node_id="dec")
    wf.connect("src", "output", "enc", "input")
    wf.connect("tgt", "output", "dec", "input")
    wf.connect("enc", "state_h", "dec", "initial_state")
    wf.connect("enc", "state_c", "dec", "initial_state")
    model = translate(wf, output=("dec", "output")).model
    assert tuple(model.outputs[0].shape) == (None, None, 4)
    out = model.predict([np.zeros((2, 6, 3)), np.zeros((2, 5, 2))], verbose=0)
    assert out.shape == (2, 5, 4)


def test_use_cudnn_choices_become_keras_values():
    from nodeflow.core import default_registry
    from nodeflow.keras.layers import build_layer

    spec = default_registry()["keras.layers.GRU"]
    assert build_layer(spec, {"units": 2, "use_cudnn": "true"}).use_cudnn is True
    assert build_layer(spec, {"units": 2}).use_cudnn == "auto"


# --------------------------------------------------------------------------- Bidirectional
def _non_default(spec, params):
    return {k: spec.param(k).canonical(v) for k, v in params.items() if not spec.param(k).is_default(v)}


@pytest.mark.parametrize("case", [c for c in CASES if c.type_id == "keras.layers.Bidirectional"], ids=str)
def test_bidirectional_import_params_reproduce_the_case(case):
    from nodeflow.core import default_registry
    from nodeflow.keras.layers import build_layer
    from tests.nodes.layer_harness import config

    spec = default_registry()["keras.layers.Bidirectional"]
    imported = spec.import_params(case.direct().get_config())
    assert not [p for n, v in imported.items() for p in spec.param(n).check(v)]
    assert _non_default(spec, imported) == _non_default(spec, case.params)
    rebuilt = _called(build_layer(spec, imported, name=NODE), tuple(case.input_shapes[0]))
    assert config(rebuilt) == config(case.direct())


def test_bidirectional_import_refuses_what_it_cannot_express():
    from nodeflow.core import default_registry

    spec = default_registry()["keras.layers.Bidirectional"]
    with pytest.raises(ValueError, match="return_state"):
        spec.import_params(L.Bidirectional(L.LSTM(3, return_state=True)).get_config())
    with pytest.raises(ValueError, match="backward"):
        spec.import_params(L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(
            5, go_backwards=True)).get_config())
    with pytest.raises(ValueError, match="Conv"):
        spec.import_params({"layer": {"class_name": "ConvLSTM1D", "config": {}}})


def test_bidirectional_refuses_options_of_other_wrapped_layers():
    from nodeflow.core import default_registry
    from nodeflow.keras.layers import build_layer

    spec = default_registry()["keras.layers.Bidirectional"]
    with pytest.raises(ValueError, match="reset_after applies only to GRU"):
        build_layer(spec, {"layer": "LSTM", "units": 2, "reset_after": False})


def test_bidirectional_parameters_are_keras_arguments():
    """The catalogue-wide check reads Bidirectional's own signature; the node's other
    parameters belong to the wrapped layer and must match its arguments and defaults."""
    from nodeflow.core import default_registry

    spec = default_registry()["keras.layers.Bidirectional"]
    own = inspect.signature(L.Bidirectional.__init__).parameters
    for param in spec.params:
        if param.name in ("layer", "merge_mode", "trainable", "shares_weights_with"):
            continue
        wrapped = [c for c in ("LSTM", "GRU", "SimpleRNN")
                   if param.name in inspect.signature(getattr(L, c).__init__).parameters]
        assert wrapped, f"{param.name} is an argument of no wrappable layer"
        assert param.name not in own
        for cls in wrapped:
            default = inspect.signature(getattr(L, cls).__init__).parameters[param.name].default
            if default is inspect.Parameter.empty:
                assert param.required, param.name
            elif isinstance(param, NestedChoiceParam) and isinstance(default, str):
                assert param.default == snake_case(default), param.name
            else:
                assert param.default == default, f"{param.name} ({cls})"


# --------------------------------------------------------------------------- Python export
def check_export(case):
    """The exported script builds the node's layer with the same config as the translator."""
    from nodeflow.keras.export import export_python
    from nodeflow.keras.translator import translate
    from tests.nodes.layer_harness import config

    wf = wire(case)
    output = ("under_test", wf.registry[case.type_id].outputs[0].name)
    translated = translate(wf, output=output).layers["under_test"]
    namespace = {}
    exec(compile(export_python(wf, output=output), "<export>", "exec"), namespace)
    exported = namespace["build_model"]().get_layer("under_test")
    assert config(exported) == config(translated)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_python_export_matches(case):
    check_export(case)
