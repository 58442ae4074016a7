"""Parameter types: what each accepts and the exact wording of what it refuses."""

import pytest

from nodeflow.core.params import (
    BoolParam,
    ChoiceParam,
    ColumnsParam,
    FileParam,
    FloatParam,
    IntParam,
    NestedChoiceParam,
    Option,
    ShapeParam,
    TextListParam,
    TextParam,
    same_value,
)

UNITS = IntParam(name="units", min=1)
RATE = FloatParam(name="rate", min=0.0, max=1.0, max_open=True)
INIT = NestedChoiceParam(
    name="kernel_initializer",
    default="glorot_uniform",
    options=(
        Option("glorot_uniform", "GlorotUniform", args=(IntParam(name="seed", default=None, optional=True),)),
        Option("random_normal", "RandomNormal", args=(
            FloatParam(name="mean", default=0.0),
            FloatParam(name="stddev", default=0.05, min=0.0),
        )),
    ),
)


@pytest.mark.parametrize(
    "param, value, message",
    [
        (UNITS, -3, "expected an integer >= 1, got -3"),
        (UNITS, 2.5, "expected an integer >= 1, got 2.5"),
        (UNITS, True, "expected an integer >= 1, got true"),
        (UNITS, "8", 'expected an integer >= 1, got "8"'),
        (UNITS, None, "expected an integer >= 1, got null"),
        (IntParam(name="k", min=1, max=5), 6, "expected an integer >= 1 and <= 5, got 6"),
        (RATE, 1.0, "expected a number >= 0.0 and < 1.0, got 1.0"),
        (RATE, -0.1, "expected a number >= 0.0 and < 1.0, got -0.1"),
        (RATE, float("nan"), "expected a number >= 0.0 and < 1.0, got NaN"),
        (BoolParam(name="use_bias", default=True), 1, "expected true or false, got 1"),
        (ChoiceParam(name="a", default="relu", options=("relu", "tanh")), "Relu",
         'expected one of "relu", "tanh", got "Relu"'),
        (TextParam(name="delimiter", default=",", pattern="(?s).", pattern_help="a single character"),
         ";;", 'expected a single character, got ";;"'),
        (TextParam(name="t", default="x", allow_empty=False), "", 'expected a non-empty text, got ""'),
        (FileParam(name="path"), "", 'expected a file path, got ""'),
        (ShapeParam(name="shape", allow_none=True), [28, 0], "expected a list of one or more integers >= 1 (null for any size), got [28, 0]"),
        (ShapeParam(name="shape"), [], "expected a list of one or more integers >= 1, got []"),
        (ShapeParam(name="shape", min_len=2, max_len=2), [3], "expected a list of 2 integers >= 1, got [3]"),
        (ColumnsParam(name="columns", min_count=1), [], "expected a list of >= 1 distinct column names, got []"),
        (ColumnsParam(name="columns"), ["a", "a"], 'expected a list of distinct column names, got ["a", "a"]'),
        (TextListParam(name="markers", default=[]), [1], "expected a list of distinct texts, got [1]"),
    ],
)
def test_refused_values_say_what_was_expected_and_found(param, value, message):
    assert param.check(value) == [(param.name, message)]


@pytest.mark.parametrize(
    "param, value",
    [
        (UNITS, 1),
        (UNITS, 10**12),
        (RATE, 0),
        (RATE, 0.999),
        (ShapeParam(name="shape", allow_none=True), [None, 28]),
        (IntParam(name="seed", default=None, optional=True), None),
        (INIT, "random_normal"),
        (INIT, {"name": "random_normal", "args": {"stddev": 0.1}}),
        (ColumnsParam(name="c"), ["sepal_length", "species"]),
    ],
)
def test_accepted_values(param, value):
    assert param.check(value) == []


def test_nested_choice_reports_the_argument_path():
    bad = {"name": "random_normal", "args": {"stddev": -1, "sd": 2}}
    assert INIT.check(bad) == [
        ("kernel_initializer.stddev", "expected a number >= 0.0, got -1"),
        ("kernel_initializer.sd", "unknown argument of random_normal; expected one of: mean, stddev"),
    ]
    assert INIT.check("he_normal")[0][1].startswith('expected one of "glorot_uniform", "random_normal"')


def test_nested_choice_canonical_form_drops_default_arguments():
    assert INIT.canonical({"name": "random_normal", "args": {"mean": 0.0, "stddev": 0.1}}) == {
        "name": "random_normal", "args": {"stddev": 0.1}}
    assert INIT.canonical({"name": "random_normal", "args": {"stddev": 0.05}}) == "random_normal"
    assert INIT.is_default({"name": "glorot_uniform", "args": {"seed": None}})
    assert not INIT.is_default({"name": "glorot_uniform", "args": {"seed": 3}})
    option, args = INIT.resolved({"name": "random_normal", "args": {"stddev": 0.1}})
    assert option.target == "RandomNormal" and args == {"mean": 0.0, "stddev": 0.1}


def test_required_and_defaults():
    assert UNITS.required and "default" not in UNITS.describe()
    assert not INIT.required and INIT.describe()["default"] == "glorot_uniform"
    assert not UNITS.is_default(1)


def test_same_value_does_not_confuse_booleans_with_numbers():
    assert not same_value(True, 1)
    assert not same_value(0, False)
    assert same_value(1, 1.0)
    assert same_value([1, None], [1, None])
    assert not same_value("1", 1)


def test_parameters_are_grouped_in_declared_order_with_a_default_group():
    from nodeflow.core.params import DEFAULT_GROUP, group_params

    params = (
        IntParam(name="epochs", group="Training", default=1),
        IntParam(name="units", default=1),
        TextListParam(name="columns", group="Data", default=[]),
        BoolParam(name="shuffle", group="Training", default=True),
    )
    assert [(g, [p.name for p in ps]) for g, ps in group_params(params)] == [
        ("Training", ["epochs", "shuffle"]), (DEFAULT_GROUP, ["units"]), ("Data", ["columns"])]
    assert DEFAULT_GROUP == "Options" and params[0].describe()["group"] == "Training"


def test_a_node_type_refuses_an_empty_group():
    from nodeflow.core.errors import RegistryError
    from nodeflow.core.spec import NodeSpec

    with pytest.raises(RegistryError, match="parameter units: group: expected a non-empty text"):
        NodeSpec(type_id="test.Blank", display_name="Blank", category="Test", description="A test.",
                 family="layer", params=(IntParam(name="units", group=" ", default=1),),
                 build=lambda params, name=None: None)
