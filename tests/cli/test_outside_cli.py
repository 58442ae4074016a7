"""`nodeflow run` refuses a workflow that writes outside its folder until the user allows it
(--allow-outside, or trust recorded on this machine); `nodeflow validate` lists such paths."""

import os
import subprocess
import sys

import pytest

from nodeflow.core import Workflow, load, save
from nodeflow.core.outside import outside_paths
from nodeflow.core.trust import trust

PRECIOUS = "keep me\n"
WRITTEN = '"a","b"\n1,2\n'  # what the Table Writer makes of data.csv


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}


def nodeflow(env, *args):
    return subprocess.run([sys.executable, "-m", "nodeflow", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def write_hostile_project(registry, tmp_path):
    """A workflow someone sent: it copies its data over ../victim/precious.txt.
    Returns the saved workflow file and the file it would overwrite."""
    project, victim = tmp_path / "project", tmp_path / "victim"
    project.mkdir()
    victim.mkdir()
    (project / "data.csv").write_text("a,b\n1,2\n")
    (victim / "precious.txt").write_text(PRECIOUS)
    wf = Workflow(registry)
    wf.add_node("data.CsvReader", {"path": "data.csv"}, position=(0, 0))
    wf.add_node("io.CsvWriter", {"path": "../victim/precious.txt", "if_exists": "overwrite"},
                position=(300, 0))
    wf.connect("csv_reader_1", "table", "csv_writer_1", "table")
    save(wf, project / "wf.nflow")
    return project / "wf.nflow", victim / "precious.txt"


@pytest.fixture
def hostile(registry, tmp_path):
    return write_hostile_project(registry, tmp_path)


def test_run_refuses_before_running_anything_and_lists_the_paths(hostile, env, tmp_path):
    workflow, precious = hostile
    result = nodeflow(env, "run", str(workflow), "--out", str(tmp_path / "run"))
    assert result.returncode == 2, result.stderr
    assert precious.read_text() == PRECIOUS
    assert not (tmp_path / "run").exists()  # nothing ran, not even the reader
    line = next(ln for ln in result.stderr.splitlines() if "csv_writer_1" in ln)
    assert line.split() == ["csv_writer_1", "path", "writes", str(precious.resolve())]
    assert "--allow-outside" in result.stderr


def test_allow_outside_runs_this_once_without_trusting(hostile, env, tmp_path):
    workflow, precious = hostile
    result = nodeflow(env, "run", str(workflow), "--out", str(tmp_path / "run"), "--allow-outside")
    assert result.returncode == 0, result.stderr
    assert precious.read_text() == WRITTEN
    precious.write_text(PRECIOUS)
    again = nodeflow(env, "run", str(workflow), "--out", str(tmp_path / "run2"))
    assert again.returncode == 2 and precious.read_text() == PRECIOUS  # no trust recorded


def test_a_trusted_workflow_runs_and_a_changed_one_is_refused_again(hostile, env, tmp_path, monkeypatch):
    workflow, precious = hostile
    monkeypatch.setenv("XDG_CONFIG_HOME", env["XDG_CONFIG_HOME"])
    trust(workflow, outside_paths(load(workflow)))  # what the editor's Run records
    result = nodeflow(env, "run", str(workflow), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert precious.read_text() == WRITTEN
    precious.write_text(PRECIOUS)
    changed = nodeflow(env, "run", str(workflow), "--out", str(tmp_path / "run"),
                       "--set", "csv_writer_1.path=../victim/other.csv")
    assert changed.returncode == 2 and "other.csv" in changed.stderr
    assert not (precious.parent / "other.csv").exists()


def test_validate_lists_outside_paths_as_information(hostile, env):
    workflow, precious = hostile
    result = nodeflow(env, "validate", str(workflow))
    assert result.returncode == 0, result.stdout
    assert f"csv_writer_1  path  writes  {precious.resolve()}" in result.stdout
