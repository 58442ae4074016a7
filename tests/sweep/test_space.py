"""The parameter-space grammar of `nodeflow sweep --param`: each form, and its errors."""

import pytest

from nodeflow.sweep.space import Space, SpaceError, parse


@pytest.mark.parametrize("text, expected", [
    ("loguniform(1e-4, 1e-1)", Space("loguniform(1e-4, 1e-1)", "float", 1e-4, 0.1, log=True)),
    ("uniform(0,0.5)", Space("uniform(0,0.5)", "float", 0.0, 0.5)),
    ("float(0, 0.5)", Space("float(0, 0.5)", "float", 0.0, 0.5)),
    ("float(1e-3,1,log)", Space("float(1e-3,1,log)", "float", 1e-3, 1.0, log=True)),
    ("float(0,1,step=0.25)", Space("float(0,1,step=0.25)", "float", 0.0, 1.0, step=0.25)),
    ("int(16,256,log)", Space("int(16,256,log)", "int", 16, 256, log=True)),
    ("int(1, 9, step=2)", Space("int(1, 9, step=2)", "int", 1, 9, step=2)),
    ("int(3,3)", Space("int(3,3)", "int", 3, 3)),
])
def test_numeric_forms(text, expected):
    assert parse(text) == expected


def test_choice_values_read_like_set_values():
    space = parse('choice(adam, sgd, 16, true, [3, 3], "x,y")')
    assert space.kind == "choice"
    assert space.choices == ("adam", "sgd", 16, True, [3, 3], "x,y")
    assert not space.primitive and space.decode(space.encode([3, 3])) == [3, 3]


def test_edges_and_grids():
    assert parse("int(16,256,log)").corners() == [16, 256]
    assert parse("int(1,10,step=4)").corners() == [1, 9]  # the largest value on the grid
    assert parse("int(1,10,step=4)").grid() == [1, 5, 9]
    assert parse("float(0,1,step=0.5)").grid() == [0.0, 0.5, 1.0]
    assert parse("choice(a,b)").grid() == ["a", "b"]
    assert parse("loguniform(1e-4,1e-1)").grid() is None
    assert parse("int(1,10)").grid() is None


@pytest.mark.parametrize("text, message", [
    ("int(16)", "'int(16)': expected int(LOW, HIGH[, log | step=K]), got 1 argument(s)"),
    ("int(256,16)", "expected LOW <= HIGH, got 256 > 16"),
    ("loguniform(0,1)", "expected LOW > 0 on a log scale, got 0"),
    ("int(-1,8,log)", "expected LOW > 0 on a log scale, got -1"),
    ("normal(0,1)", "unknown form 'normal'"),
    ("16..256", "'16..256': expected one of loguniform(LOW, HIGH)"),
    ("int(1.5,4)", "expected LOW as an integer, got '1.5'"),
    ("float(a,1)", "expected LOW as a number, got 'a'"),
    ("float(0,inf)", "expected HIGH as a finite number"),
    ("int(1,8,step=0)", "expected step=K with K > 0, got 0"),
    ("int(1,8,linear)", "expected log or step=K as the third argument, got 'linear'"),
    ("choice()", "expected choice(A, B, ...) with at least one value"),
    ("choice(a,a)", "expected choice(...) with distinct values"),
    ("choice([1,2)", "expected balanced brackets and quotes"),
])
def test_errors_name_the_text_and_what_was_expected(text, message):
    with pytest.raises(SpaceError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert repr(text) in str(caught.value)
