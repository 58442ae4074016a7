"""The .nflow file: byte-exact round trips, atomic saves, versions, paths, safety."""

import json
import os
import sys

import pytest

from nodeflow.core import (
    VERSION,
    Workflow,
    WorkflowFileError,
    dumps,
    fileformat,
    load,
    loads,
    save,
    validate,
)
from tests.conftest import ROOT, WORKFLOWS


def test_round_trip_of_a_workflow_built_in_code_is_byte_identical(mlp, tmp_path):
    mlp.description = "A tiny MLP — with non-ASCII text ✓"
    mlp.set_label("dense_1", "hidden")
    mlp.nodes["dense_1"].annotation = "16 would also do"
    mlp.set_param("dense_1", "kernel_initializer", {"name": "random_normal", "args": {"stddev": 0.1}})
    mlp.set_param("dense_1", "kernel_regularizer", {"name": "l2", "args": {"l2": 0.001}})
    mlp.move_node("dense_2", (312.25, -40.5))
    first = tmp_path / "a.nflow"
    save(mlp, first)
    reloaded = load(first)
    second = tmp_path / "b.nflow"
    save(reloaded, second)
    assert first.read_bytes() == second.read_bytes()
    assert validate(reloaded) == []
    assert reloaded.nodes["dense_2"].position == (312.25, -40.5)
    assert reloaded.description == mlp.description
    assert [e for e in reloaded.edges] == mlp.edges


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.nflow")), ids=lambda p: p.name)
def test_bundled_examples_are_canonical_and_valid(path, tmp_path):
    workflow = load(path)
    assert validate(workflow) == []
    assert dumps(workflow) == path.read_text(encoding="utf-8")


def test_only_non_default_parameters_are_written_but_full_files_load(mlp):
    mlp.set_param("dense_1", "use_bias", True)  # the default
    mlp.set_param("dense_1", "kernel_initializer", {"name": "glorot_uniform", "args": {"seed": None}})
    doc = json.loads(dumps(mlp))
    assert doc["nodes"][1]["params"] == {"units": 8, "activation": "relu"}
    full = dict(doc)
    spec = mlp.registry["keras.layers.Dense"]
    full["nodes"][1]["params"] = spec.resolve({"units": 8, "activation": "relu"})
    reloaded = loads(json.dumps(full))
    assert validate(reloaded) == []
    assert dumps(reloaded) == dumps(mlp)


def test_file_layout_is_diff_friendly(mlp):
    text = dumps(mlp)
    lines = text.splitlines()
    assert text.endswith("}\n")
    assert '    {"from": "input_1.output", "to": "dense_1.input"},' in lines
    assert '        "units": 8,' in lines
    assert '      "position": [150.0, 0.0],' in lines
    assert "0x" not in text  # no memory addresses


def test_a_newer_version_is_refused_with_a_clear_message():
    text = json.dumps({"format": "nodeflow.workflow", "version": VERSION + 1, "nodes": [], "edges": []})
    with pytest.raises(WorkflowFileError) as exc:
        loads(text, source="future.nflow")
    assert str(exc.value) == (
        f"future.nflow: version: this file was written by a newer NodeFlow (file format version "
        f"{VERSION + 1}); this NodeFlow reads versions 1 to {VERSION}; please upgrade NodeFlow")


def test_older_versions_pass_through_the_migration_hook(monkeypatch):
    calls = []

    def v2_to_v3(doc):
        calls.append(doc["version"])
        for node in doc["nodes"]:
            node["params"] = {"units" if k == "n_units" else k: v for k, v in node["params"].items()}
        return doc

    monkeypatch.setattr(fileformat, "VERSION", 3)
    monkeypatch.setitem(fileformat.MIGRATIONS, 2, v2_to_v3)
    old = {"format": "nodeflow.workflow", "version": 1, "edges": [],
           "nodes": [{"id": "dense_1", "type": "keras.layers.Dense", "params": {"n_units": 5}}]}
    wf = loads(json.dumps(old))  # 1 -> 2 (the real step) -> 3 (this test's)
    assert calls == [2]
    assert wf.nodes["dense_1"].params == {"units": 5}
    assert json.loads(dumps(wf))["version"] == 3


def test_version_1_files_load_and_save_as_the_current_version():
    text = (ROOT / "tests" / "data" / "small_mlp.nflow").read_text()
    assert '"version": 1' in text
    wf = loads(text)
    assert wf.backdrops == []
    assert json.loads(dumps(wf))["version"] == VERSION == 3
    assert "backdrops" not in json.loads(dumps(wf))  # written only when there are some


def test_backdrops_round_trip_and_are_checked(mlp, tmp_path):
    from nodeflow.core.workflow import Backdrop

    mlp.insert_backdrop(Backdrop(mlp.new_backdrop_id(), "The network", (-20.0, -40.0), (500.0, 120.0)))
    path = tmp_path / "notes.nflow"
    save(mlp, path)
    assert '    {"id": "note_1", "text": "The network", "position": [-20.0, -40.0], "size": [500.0, 120.0]}' \
        in path.read_text().splitlines()
    again = load(path)
    assert again.backdrops == mlp.backdrops
    bad = json.loads(path.read_text())
    bad["backdrops"] = [{"id": "note 1", "size": [0, 10]}, "x"]
    with pytest.raises(WorkflowFileError) as exc:
        loads(json.dumps(bad))
    assert [str(p) for p in exc.value.problems] == [
        'backdrops[0].id: expected a unique identifier such as note_1, got "note 1"',
        "backdrops[0].size: expected two numbers > 0, got [0, 10]",
        'backdrops[1]: expected {"id": ..., "text": ..., "position": [x, y], "size": [w, h]}, got "x"',
    ]


def test_structural_problems_are_all_reported_together():
    text = json.dumps({
        "format": "nodeflow.workflow", "version": 1, "colour": "red",
        "nodes": [{"id": "dense 1", "type": "keras.layers.Dense"},
                  {"id": "d", "type": 7, "position": [0]},
                  {"id": "d", "type": "keras.layers.Dense"}],
        "edges": [{"from": "d.output"}, {"from": "d.output", "to": "d"}],
    })
    with pytest.raises(WorkflowFileError) as exc:
        loads(text)
    assert [str(p) for p in exc.value.problems] == [
        "colour: unknown key; expected one of: format, version, description, nodes, edges, backdrops",
        'nodes[0].id: expected an identifier such as dense_1, got "dense 1"',
        "node d: type: expected a node type such as keras.layers.Dense, got 7",
        "node d: position: expected [x, y] with two numbers of magnitude < 1e9, got [0]",
        "node d: id: expected a unique id, got a second node with it",
        'edges[0]: expected {"from": "node.port", "to": "node.port"}, got {"from": "d.output"}',
        'edges[1].to: expected "node_id.port_name", got "d"',
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "line 1 column 1: invalid JSON: Expecting value"),
        ('{"format": "nodeflow.workflow", "version": 1, "nodes": [', "line 1 column 57: invalid JSON: Expecting value"),
        ("[]", "document: expected a JSON object, got a list"),
        ('{"format": "keras", "version": 1}', 'format: expected "nodeflow.workflow", got "keras"'),
        ('{"format": "nodeflow.workflow", "version": "1"}', 'version: expected an integer >= 1, got "1"'),
        ('{"format": "nodeflow.workflow", "version": 1, "nodes": [], "x": NaN}',
         "invalid JSON: NaN is not allowed in a workflow file"),
        ('{"format": "nodeflow.workflow", "version": 1, "nodes": [1e999]}',
         "invalid JSON: the number 1e999 is too large"),
        ('{"format": "nodeflow.workflow", "version": 1, "nodes": [], "nodes": []}',
         'invalid JSON: the key "nodes" appears twice in one object'),
    ],
)
def test_unreadable_text_gives_one_clear_problem(text, message):
    with pytest.raises(WorkflowFileError) as exc:
        loads(text)
    assert str(exc.value) == message


def test_invalid_utf8_and_missing_files(tmp_path):
    with pytest.raises(WorkflowFileError, match="expected UTF-8 text"):
        loads(b'{"format": "\xff"}')
    empty = '{"format": "nodeflow.workflow", "version": 1, "nodes": [], "edges": []}'
    assert loads("\ufeff" + empty).nodes == loads(b"\xef\xbb\xbf" + empty.encode()).nodes == {}
    with pytest.raises(WorkflowFileError) as exc:
        load(tmp_path / "missing.nflow")
    assert str(exc.value).endswith("missing.nflow: cannot read the file: No such file or directory")


def test_semantic_problems_still_load_so_no_work_is_lost(tmp_path):
    text = json.dumps({"format": "nodeflow.workflow", "version": 1, "nodes": [
        {"id": "x_1", "type": "vendor.Unknown", "params": {"b": 1, "a": [1, 2]}},
        {"id": "dense_1", "type": "keras.layers.Dense", "params": {"units": -3, "bogus": True}}],
        "edges": [{"from": "x_1.out", "to": "dense_1.input"}]})
    wf = loads(text)
    assert len(validate(wf)) >= 3
    path = tmp_path / "faulty.nflow"
    save(wf, path)
    again = load(path)
    assert again.nodes["x_1"].params == {"a": [1, 2], "b": 1}
    assert again.nodes["dense_1"].params == {"units": -3, "bogus": True}
    assert again.edges == wf.edges


def test_loading_never_imports_or_runs_code_from_the_file(tmp_path):
    marker = tmp_path / "pwned"
    text = json.dumps({"format": "nodeflow.workflow", "version": 1, "nodes": [
        {"id": "evil_1", "type": "os.system", "params": {"command": f"touch {marker}"}},
        {"id": "evil_2", "type": "antigravity.fly", "params": {"__class__": "__import__('os')"}}],
        "edges": []})
    wf = loads(text)
    problems = [str(p) for p in validate(wf)]
    assert problems[0].startswith('node evil_1: type: expected a known node type, got "os.system"')
    assert "antigravity" not in sys.modules
    assert not marker.exists()


def test_paths_below_the_workflow_folder_are_stored_relative(mlp, tmp_path):
    data = tmp_path / "data" / "iris.csv"
    mlp.set_param("csv_reader_1", "path", str(data))
    save(mlp, tmp_path / "wf.nflow")
    stored = json.loads((tmp_path / "wf.nflow").read_text())["nodes"][3]["params"]["path"]
    assert stored == "data/iris.csv"
    wf = load(tmp_path / "wf.nflow")
    assert wf.resolve_path(wf.param_value("csv_reader_1", "path")) == str(data)
    # "save as" into another folder rebases the relative path
    other = tmp_path / "elsewhere"
    other.mkdir()
    save(wf, other / "wf.nflow")
    stored = json.loads((other / "wf.nflow").read_text())["nodes"][3]["params"]["path"]
    assert stored == str(data)
    assert wf.resolve_path(wf.param_value("csv_reader_1", "path")) == str(data)
    save(wf, other / "wf.nflow")  # saving again in the new folder keeps pointing at the data
    assert load(other / "wf.nflow").nodes["csv_reader_1"].params["path"] == str(data)
    # a "../" path, as the bundled examples use, is rebased on "save as" into a subfolder;
    # it is not below the new folder, so it is stored absolute
    wf.set_param("csv_reader_1", "path", "../shared/iris.csv")
    (other / "sub").mkdir()
    save(wf, other / "sub" / "wf.nflow")
    again = load(other / "sub" / "wf.nflow")
    assert again.nodes["csv_reader_1"].params["path"] == str(tmp_path / "shared" / "iris.csv")
    # and a path outside the folder stays absolute
    mlp.set_param("csv_reader_1", "path", "/srv/shared/iris.csv")
    save(mlp, tmp_path / "abs.nflow")
    assert json.loads((tmp_path / "abs.nflow").read_text())["nodes"][3]["params"]["path"] == "/srv/shared/iris.csv"


def test_saving_is_atomic(mlp, tmp_path, monkeypatch):
    path = tmp_path / "wf.nflow"
    save(mlp, path)
    before = path.read_bytes()
    os.chmod(path, 0o640)
    mlp.set_param("dense_1", "units", 32)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(fileformat.os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save(mlp, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["wf.nflow"]  # no temp file left behind
    save(mlp, path)
    assert load(path).nodes["dense_1"].params["units"] == 32
    assert os.stat(path).st_mode & 0o777 == 0o640  # permissions kept


def test_empty_workflow_round_trips(registry):
    text = dumps(Workflow(registry))
    assert text == '{\n  "format": "nodeflow.workflow",\n  "version": 3,\n  "nodes": [],\n  "edges": []\n}\n'
    assert dumps(loads(text)) == text


def test_control_characters_in_names_cannot_fake_output_lines():
    text = json.dumps({"format": "nodeflow.workflow", "version": 1, "edges": [], "nodes": [
        {"id": "dense_1", "type": "keras.layers.Dense",
         "params": {"units": 2, "x\nfake.nflow: valid (1 nodes, 0 connections)": 1}}]})
    problem = validate(loads(text))[0]
    assert "\n" not in str(problem)
    assert str(problem).startswith("node dense_1: x\\nfake.nflow: valid")
