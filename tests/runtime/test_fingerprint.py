"""Node fingerprints: what changes them, and that the engine and the editor agree."""

import os

from nodeflow.core import Edge
from nodeflow.runtime.engine import Engine, read_state
from nodeflow.runtime.fingerprint import node_keys
from tests.runtime.conftest import mlp_workflow


def test_the_engine_stores_the_fingerprints_node_keys_computes(iris_numeric, tmp_path):
    wf = mlp_workflow(iris_numeric)
    Engine(wf, tmp_path / "run").run(["reader"])  # a CSV reader: no TensorFlow needed
    assert read_state(tmp_path / "run")["reader"]["key"] == node_keys(wf)["reader"]


def test_an_edit_changes_the_node_and_what_follows_it_only(iris_numeric):
    wf = mlp_workflow(iris_numeric)
    before = node_keys(wf)
    assert set(before) == set(wf.nodes) and len(set(before.values())) == len(before)
    wf.set_param("hidden", "units", 8)
    after = node_keys(wf)
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"hidden", "probabilities", "learner"}


def test_a_changed_input_file_changes_the_reader(iris_numeric):
    wf = mlp_workflow(iris_numeric)
    before = node_keys(wf)
    stat = os.stat(iris_numeric)
    os.utime(iris_numeric, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    after = node_keys(wf)
    assert after["reader"] != before["reader"] and after["learner"] != before["learner"]
    assert after["hidden"] == before["hidden"]


def test_relative_paths_resolve_against_the_given_folder(iris_numeric):
    """The editor fingerprints an unsaved snapshot against the folder it runs from."""
    wf = mlp_workflow(iris_numeric)
    expected = node_keys(wf)
    wf.base_dir = None
    assert node_keys(wf)["reader"] != expected["reader"]
    assert node_keys(wf, base_dir=iris_numeric.parent) == expected


def test_nodes_on_a_cycle_have_no_fingerprint(iris_numeric):
    wf = mlp_workflow(iris_numeric)
    wf.insert_edge(Edge("probabilities", "output", "hidden", "input"))  # as a hand-edited file could
    assert set(node_keys(wf)) == {"reader", "input_1"}  # the learner follows the cycle: none either


def test_a_path_spelled_relative_or_absolute_names_the_same_file(iris_numeric, tmp_path):
    """Saving rewrites a path below the workflow's folder as relative: nothing the node
    reads changed, so neither does its fingerprint."""
    wf = mlp_workflow(iris_numeric)  # the reader's path is relative to the workflow's folder
    relative = node_keys(wf)
    wf.set_param("reader", "path", str(iris_numeric.resolve()))
    assert node_keys(wf) == relative
    wf.set_param("reader", "path", iris_numeric.name)
    wf.base_dir = str(tmp_path / "elsewhere")  # the same spelling elsewhere is another file
    assert node_keys(wf)["reader"] != relative["reader"]
