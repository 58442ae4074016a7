"""Valid-looking but extreme workflow files fail cleanly: long ids, huge or deeply nested
values, absurd keys, and long chains of layers, which must still validate and plan."""

import json
import subprocess
import sys

import pytest

from nodeflow.core import fileformat, validate
from nodeflow.core.params import MAX_DEPTH, MAX_TEXT
from nodeflow.core.workflow import MAX_ID_LENGTH, Workflow
from nodeflow.runtime.plan import plan_run


def _doc(nodes, edges=()):
    return {"format": "nodeflow.workflow", "version": 3, "nodes": nodes,
            "edges": [{"from": a, "to": b} for a, b in edges]}


def _write(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _nested(depth):
    value = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _nodeflow(*args):
    return subprocess.run([sys.executable, "-m", "nodeflow", *args], capture_output=True, text=True,
                          timeout=300)


def chain(length: int) -> Workflow:
    """Input -> Dense(4) / Activation alternating, ``length`` layers long."""
    wf = Workflow()
    prev = wf.add_node("keras.layers.Input", {"shape": [4]}, node_id="input_1").id
    for i in range(length):
        node = (wf.add_node("keras.layers.Dense", {"units": 4}) if i % 2 == 0
                else wf.add_node("keras.layers.Activation", {"activation": "relu"}))
        wf.connect(prev, "output", node.id, "input")
        prev = node.id
    return wf


def test_a_node_id_longer_than_the_limit_is_reported_by_validate():
    wf = Workflow()
    long_id = "d" * (MAX_ID_LENGTH + 1)
    wf.add_node("keras.layers.Input", {"shape": [4]}, node_id="d" * MAX_ID_LENGTH)
    problems = [str(p) for p in validate(fileformat.loads(fileformat.dumps(wf).replace(
        "d" * MAX_ID_LENGTH, long_id)))]
    assert len(problems) == 1
    assert f"expected an id of at most {MAX_ID_LENGTH} characters, got {MAX_ID_LENGTH + 1}" in problems[0]
    assert validate(wf) == []  # 100 characters are fine
    with pytest.raises(Exception, match="at most 100 characters"):
        wf.add_node("keras.layers.Input", {"shape": [4]}, node_id=long_id)


def test_run_refuses_an_id_longer_than_a_file_name_can_be(tmp_path):
    long_id = "reader_" + "x" * 300  # a folder of this name cannot exist
    path = _write(tmp_path / "long.nflow", _doc([
        {"id": long_id, "type": "data.CsvReader", "params": {"path": "t.csv"}}]))
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    result = _nodeflow("run", str(path), "--out", str(tmp_path / "run"))
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "expected an id of at most 100 characters, got 307" in result.stdout + result.stderr
    assert len((result.stdout + result.stderr).splitlines()[0]) < 400


def test_a_long_text_parameter_is_named_in_the_problem():
    wf = Workflow()
    wf.add_node("data.CsvReader", {"path": "a.csv"}, node_id="reader")
    wf.set_param("reader", "encoding", "x" * (MAX_TEXT + 1), check=False)
    assert [str(p) for p in validate(wf)] == [
        f"node reader: encoding: expected texts of at most {MAX_TEXT:,} characters, got one of 10,001"]


def test_deep_nesting_is_refused_by_validation_and_copied_without_error():
    for depth, ok in ((MAX_DEPTH, True), (MAX_DEPTH + 1, False), (990, False), (5000, False)):
        wf = Workflow()
        wf.add_node("keras.GenericLayer", {"class_name": "Dense", "config": {"units": 1}}, node_id="g")
        wf.set_param("g", "config", _nested(depth), check=False)
        problems = [str(p) for p in validate(wf) if p.where == "config"]
        assert (problems == []) is ok, (depth, problems)
        if not ok:
            assert problems == [f"node g: config: expected values nested at most {MAX_DEPTH} levels "
                                "deep, got deeper ones"]
        clone = wf.copy()  # copying never fails, whatever validation says
        assert clone.nodes["g"].params["config"] is not wf.nodes["g"].params["config"]
        part = wf.extract(["g"])
        assert "g" in part.nodes


def test_copy_is_independent_at_every_level():
    wf = Workflow()
    wf.add_node("keras.GenericLayer", {"class_name": "Dense", "config": {"units": [1, {"x": [2]}]}},
                node_id="g")
    clone = wf.copy()
    clone.nodes["g"].params["config"]["units"][1]["x"].append(3)
    assert wf.nodes["g"].params["config"] == {"units": [1, {"x": [2]}]}
    assert clone.nodes["g"].params["config"] == {"units": [1, {"x": [2, 3]}]}


def test_a_huge_key_gives_a_short_message_quickly(tmp_path):
    key = "k" * 5_000_000
    path = _write(tmp_path / "key.nflow", _doc([
        {"id": "input_1", "type": "keras.layers.Input", "params": {"shape": [4], key: 1}}]))
    result = _nodeflow("validate", str(path))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert len(output) < 2_000, len(output)
    assert "unknown parameter of keras.layers.Input" in output


def test_an_unknown_type_of_megabytes_is_reported_shortly():
    wf = fileformat.loads(json.dumps(_doc([{"id": "n", "type": "keras.layers." + "D" * 1_000_000}])))
    (problem,) = validate(wf)
    assert len(str(problem)) < 300
    assert "expected a known node type" in str(problem)


@pytest.mark.slow
def test_a_chain_of_5000_layers_validates_plans_and_round_trips(tmp_path):
    wf = chain(5000)
    assert validate(wf) == []
    path = tmp_path / "chain.nflow"
    fileformat.save(wf, path)
    loaded = fileformat.load(path)
    assert len(loaded.nodes) == 5001
    assert validate(loaded) == []
    plan = plan_run(loaded, [next(reversed(loaded.nodes))])
    assert plan.problems == [] and len(plan.workflow.nodes) == 5001
    assert loaded.upstream(next(reversed(loaded.nodes))) == set(loaded.nodes) - {next(reversed(loaded.nodes))}


def test_wiring_a_cycle_into_a_long_chain_is_still_refused():
    wf = chain(3000)
    last = next(reversed(wf.nodes))
    assert "would make a cycle" in str(wf.connect_problems(last, "output", "dense_1", "input",
                                                           replacing=wf.incoming("dense_1"))[0])


@pytest.mark.keras
@pytest.mark.slow
def test_a_chain_longer_than_the_recursion_limit_becomes_a_keras_model():
    """Keras maps a functional graph recursively, one frame per layer: 1,200 layers exceed
    Python's default limit of 1,000 frames unless the translator makes room."""
    from nodeflow.keras.translator import translate

    limit = sys.getrecursionlimit()
    model = translate(chain(1200)).model
    assert len(model.layers) == 1201
    assert model.output.shape == (None, 4)
    assert sys.getrecursionlimit() == limit  # put back afterwards


@pytest.mark.keras
@pytest.mark.slow
def test_validate_and_inspect_a_chain_of_5000_layers(tmp_path):
    """A run of it works too (bench: about 8 minutes, nearly all of it TensorFlow tracing the
    graph for the first step), too slow for CI."""
    path = tmp_path / "chain.nflow"
    fileformat.save(chain(5000), path)
    result = _nodeflow("validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid (5001 nodes, 5000 connections)" in result.stdout
    result = _nodeflow("inspect", str(path))
    assert result.returncode == 0, result.stderr
    assert "Total params: 50,000" in result.stdout  # 2,500 Dense(4) on 4 inputs: 20 each
