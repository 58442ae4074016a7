"""`nodeflow validate` on hand-made bad files: every problem kind, the message
format `FILE: node ID: PARAM: expected ..., got ...`, and exit codes 0 / 2 / 3."""

import subprocess
import sys
from pathlib import Path

import pytest

from nodeflow.cli import main
from tests.conftest import WORKFLOWS

DATA = Path(__file__).parent / "data"

EXPECTED = {
    "unknown_type.nflow": [
        'node dense_1: type: expected a known node type, got "keras.layers.Dense2" '
        "(did you mean keras.layers.Dense?)"],
    "unknown_param.nflow": [
        "node dense_1: activatoin: unknown parameter of keras.layers.Dense; expected one of: units, "
        "activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, "
        "bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, lora_rank, "
        "lora_alpha, trainable, shares_weights_with (did you mean activation?)"],
    "ill_typed_param.nflow": [
        'node input_1: shape: expected a list of one or more integers >= 1 (null for any size), got "4"',
        'node dense_1: units: expected an integer >= 1, got "eight"',
        'node dense_1: use_bias: expected true or false, got "yes"'],
    "out_of_range.nflow": [
        "node dense_1: units: expected an integer >= 1, got -3",
        "node dropout_1: rate: expected a number >= 0.0 and < 1.0, got 1.0"],
    "missing_param.nflow": [
        "node dense_1: units: missing required parameter; expected an integer >= 1"],
    "missing_input.nflow": [
        "node dense_1: input port input: missing required connection; expected a network input, got none"],
    "incompatible_ports.nflow": [
        "node dense_1: input port input: expected a network, got a table from csv_reader_1.table"],
    "cycle.nflow": [
        "node dense_1: connections: expected an acyclic graph, got a cycle: "
        "dense_1 -> dense_2 -> add_like -> dense_1"],
    "dangling_edge.nflow": [
        "edge dense_1.output -> dense_7.input: expected an existing input node, "
        "got dense_7 which is not in the workflow"],
    "newer_version.nflow": [
        "version: this file was written by a newer NodeFlow (file format version 9); "
        "this NodeFlow reads versions 1 to 3; please upgrade NodeFlow"],
    "truncated.nflow": [
        "line 2 column 20: invalid JSON: Expecting property name enclosed in double quotes"],
}


def test_every_hand_made_bad_file_is_covered():
    assert sorted(p.name for p in DATA.glob("*.nflow")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_reports_each_problem_and_exits_3(name, capsys):
    path = DATA / name
    assert main(["validate", str(path)]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{path}: {line}" for line in EXPECTED[name]]


def test_valid_files_exit_0(capsys):
    examples = sorted(str(p) for p in WORKFLOWS.glob("*.nflow"))
    assert examples
    assert main(["validate", *examples]) == 0
    out = capsys.readouterr().out
    assert all(f"{p}: valid (" in out for p in examples)
    assert main(["validate", "--quiet", *examples]) == 0
    assert capsys.readouterr().out == ""


def test_all_files_are_checked_even_after_a_bad_one(capsys):
    good = str(next(WORKFLOWS.glob("*.nflow")))
    assert main(["validate", str(DATA / "cycle.nflow"), good, "missing.nflow"]) == 3
    out = capsys.readouterr().out
    assert f"{good}: valid" in out
    assert "missing.nflow: cannot read the file: No such file or directory" in out


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "nodeflow", *args], capture_output=True, text=True,
                          timeout=60)


def test_exit_codes_as_a_process():
    assert run_cli("validate", str(DATA / "cycle.nflow")).returncode == 3
    assert run_cli("validate", str(next(WORKFLOWS.glob("*.nflow")))).returncode == 0
    bad_args = run_cli("validate")
    assert bad_args.returncode == 2
    assert "the following arguments are required: WF.nflow" in bad_args.stderr
    assert run_cli("frobnicate").returncode == 2


@pytest.mark.parametrize("command", ["validate", "nodes"])
def test_every_sub_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: nodeflow {command}" in capsys.readouterr().out


def test_version(capsys):
    from nodeflow import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"nodeflow {__version__}"
