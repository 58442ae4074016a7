"""docs/nflow.schema.json describes the structural level of the .nflow format.

The schema and the loader must agree: every shipped workflow passes both, every
structurally broken document is refused by both, and the few checks a JSON
Schema cannot express (documented in the schema's ``$comment`` and in
docs/file-format.md) are refused by the loader alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from nodeflow.core import WorkflowFileError, dumps, load, loads

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "docs" / "nflow.schema.json"
EXAMPLE = ROOT / "workflows" / "iris_mlp.nflow"
WORKFLOW_FILES = sorted((ROOT / "workflows").glob("*.nflow"))


def _json_files(paths) -> dict[str, object]:
    """The documents of the files that are JSON at all (the rest never reach a structure check)."""
    docs = {}
    for path in paths:
        try:
            docs[str(path.relative_to(ROOT))] = json.loads(path.read_text(encoding="utf-8-sig"))
        except ValueError:
            pass
    return docs


HAND_MADE = _json_files(sorted((ROOT / "tests").rglob("*.nflow")))  # e.g. the CLI's broken files


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def edited(change) -> dict:
    """The example document after ``change(doc)`` edited it in place."""
    doc = example()
    change(doc)
    return doc


def node(doc: dict, node_id: str = "dense_1") -> dict:
    return next(n for n in doc["nodes"] if n["id"] == node_id)


def loader_accepts(doc) -> bool:
    try:
        loads(json.dumps(doc), source="case.nflow")
    except WorkflowFileError:
        return False
    return True


# --------------------------------------------------------------------------- the schema itself
def test_the_schema_is_a_valid_draft_2020_12_schema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_there_are_example_workflows():
    assert EXAMPLE in WORKFLOW_FILES


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_example_workflow_matches_the_schema(validator, path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(doc)] == []


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_what_nodeflow_writes_matches_the_schema(validator, path):
    written = json.loads(dumps(load(path)))
    assert [e.message for e in validator.iter_errors(written)] == []


# --------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("name", HAND_MADE)
def test_schema_and_loader_agree_on_the_test_suites_workflow_files(validator, name):
    doc = HAND_MADE[name]
    assert validator.is_valid(doc) == loader_accepts(doc)


BROKEN = {
    # top level
    "document is a list": lambda doc: None,  # wrapped in a list by the test
    "format missing": lambda doc: doc.pop("format"),
    "format misspelt": lambda doc: doc.update(format="nodeflow.workflows"),
    "version as a text": lambda doc: doc.update(version="1"),
    "version 0": lambda doc: doc.update(version=0),
    "version newer than supported": lambda doc: doc.update(version=99),
    "nodes missing": lambda doc: doc.pop("nodes"),
    "nodes is an object": lambda doc: doc.update(nodes={"dense_1": {}}),
    "unknown top-level key": lambda doc: doc.update(comment="hello"),
    "description is a number": lambda doc: doc.update(description=42),
    "edges is null": lambda doc: doc.update(edges=None),
    # nodes
    "node is a text": lambda doc: doc["nodes"].append("dense_9"),
    "node id starts with a digit": lambda doc: node(doc).update(id="1dense"),
    "node id has a dot": lambda doc: node(doc).update(id="dense.1"),
    "node id ends in a newline": lambda doc: node(doc).update(id="dense_1\n"),
    "node id is not ASCII": lambda doc: node(doc).update(id="dénse_1"),
    "node id missing": lambda doc: node(doc).pop("id"),
    "node type missing": lambda doc: node(doc).pop("type"),
    "node type empty": lambda doc: node(doc).update(type=""),
    "node type is a number": lambda doc: node(doc).update(type=7),
    "unknown node key": lambda doc: node(doc).update(parameters={}),
    "label is a number": lambda doc: node(doc).update(label=3),
    "annotation is a list": lambda doc: node(doc).update(annotation=["a note"]),
    "position with one number": lambda doc: node(doc).update(position=[1.0]),
    "position with three numbers": lambda doc: node(doc).update(position=[1.0, 2.0, 3.0]),
    "position with a boolean": lambda doc: node(doc).update(position=[True, 0.0]),
    "position with a text": lambda doc: node(doc).update(position=["0", 0.0]),
    "position too far out": lambda doc: node(doc).update(position=[0.0, -1e9]),
    "position is an object": lambda doc: node(doc).update(position={"x": 0, "y": 0}),
    "params is a list": lambda doc: node(doc).update(params=[["units", 16]]),
    # edges
    "edge is a list": lambda doc: doc["edges"].append(["input_1.output", "dense_1.input"]),
    "edge without to": lambda doc: doc["edges"][0].pop("to"),
    "edge with an extra key": lambda doc: doc["edges"][0].update(label="x"),
    "edge endpoint without port": lambda doc: doc["edges"][0].update({"from": "input_1"}),
    "edge endpoint with two dots": lambda doc: doc["edges"][0].update(to="dense_1.input.0"),
    "edge endpoint with a bad port name": lambda doc: doc["edges"][0].update(to="dense_1.0input"),
    "edge endpoint is a number": lambda doc: doc["edges"][0].update(to=1),
}


@pytest.mark.parametrize("case", BROKEN)
def test_structurally_broken_documents_are_refused_by_schema_and_loader(validator, case):
    doc = edited(BROKEN[case])
    if case == "document is a list":
        doc = [doc]
    assert not validator.is_valid(doc), "the schema accepts it"
    assert not loader_accepts(doc), "the loader accepts it"


FINE = {
    "the example as shipped": lambda doc: None,
    "smallest file": lambda doc: [doc.clear(),
                                  doc.update(format="nodeflow.workflow", version=1, nodes=[])],
    "edges left out": lambda doc: doc.pop("edges"),
    "null description, label and annotation": lambda doc: [
        doc.update(description=None), node(doc).update(label=None, annotation=None)],
    "position and params left out": lambda doc: [node(doc).pop("position"), node(doc).pop("params")],
    "integer position": lambda doc: node(doc).update(position=[-999999999, 999999999]),
    "keys in another order": lambda doc: doc.update(
        {k: doc.pop(k) for k in ("edges", "nodes", "description", "version", "format")}),
    # problems of meaning load fine; validation reports them
    "unknown node type with free-form params": lambda doc: doc["nodes"].append(
        {"id": "mystery_1", "type": "acme.Thing", "params": {"a b": [1, {"c": None}], "": True}}),
    "ill-typed parameter value": lambda doc: node(doc)["params"].update(units="sixteen"),
    "dangling edge": lambda doc: doc["edges"].append({"from": "ghost_1.output", "to": "dense_1.input"}),
    "duplicate edge": lambda doc: doc["edges"].append(dict(doc["edges"][0])),
}


@pytest.mark.parametrize("case", FINE)
def test_structurally_sound_documents_pass_schema_and_loader(validator, case):
    doc = edited(FINE[case])
    assert [e.message for e in validator.iter_errors(doc)] == []
    assert loader_accepts(doc)


LOADER_ONLY = {
    "two nodes with one id": lambda doc: doc["nodes"].append({"id": "dense_1", "type": "x.Y"}),
    "version written as 1.0": lambda doc: doc.update(version=1.0),
}


@pytest.mark.parametrize("case", LOADER_ONLY)
def test_checks_no_json_schema_can_express_are_left_to_the_loader(validator, case):
    """Documented in the schema's $comment and in docs/file-format.md."""
    doc = edited(LOADER_ONLY[case])
    assert validator.is_valid(doc)
    assert not loader_accepts(doc)
