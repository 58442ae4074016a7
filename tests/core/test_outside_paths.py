"""Paths a workflow reads or writes outside its folder are found (relative, absolute, through
``..`` and symbolic links), and the trust store remembers which of them the user accepted."""

import json
import os

import pytest

from nodeflow.core import Workflow, load, save
from nodeflow.core.outside import BUNDLED, OutsidePath, outside_paths
from nodeflow.core.trust import is_trusted, store_path, trust


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch):
    """Never the user's own trust store."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def layout(tmp_path):
    """tmp/project/ (the workflow's folder, with data.csv) beside tmp/victim/precious.txt."""
    project, victim = tmp_path / "project", tmp_path / "victim"
    project.mkdir()
    victim.mkdir()
    (project / "data.csv").write_text("a,b\n1,2\n")
    (victim / "precious.txt").write_text("keep me\n")
    return project, victim


def saved(registry, folder, nodes):
    """A workflow with ``nodes`` (type, params) saved in ``folder`` and loaded back."""
    wf = Workflow(registry)
    for type_id, params in nodes:
        wf.add_node(type_id, params)
    path = folder / "wf.nflow"
    save(wf, path)
    return load(path)


def test_writers_and_readers_leaving_the_folder_are_listed_with_resolved_paths(registry, layout):
    project, victim = layout
    wf = saved(registry, project, [
        ("data.CsvReader", {"path": "data.csv"}),  # inside: not listed
        ("data.CsvReader", {"path": "/etc/passwd"}),
        ("io.CsvWriter", {"path": "../victim/precious.txt", "if_exists": "overwrite"}),
        ("io.CsvWriter", {"path": "sub/../../victim/other.csv"}),
        ("io.KerasModelWriter", {"path": "models/net.keras"}),  # inside, not there yet
    ])
    assert outside_paths(wf) == [
        OutsidePath("csv_reader_2", "path", "reads", os.path.realpath("/etc/passwd")),
        OutsidePath("csv_writer_1", "path", "writes", str(victim.resolve() / "precious.txt")),
        OutsidePath("csv_writer_2", "path", "writes", str(victim.resolve() / "other.csv")),
    ]
    assert outside_paths(wf, nodes=["csv_reader_1", "csv_writer_1"]) == [outside_paths(wf)[1]]


def test_a_link_inside_the_folder_that_leads_out_counts_as_outside(registry, layout):
    project, victim = layout
    (project / "innocent.txt").symlink_to(victim / "precious.txt")
    (project / "out").symlink_to(victim, target_is_directory=True)
    wf = saved(registry, project, [("io.CsvWriter", {"path": "innocent.txt", "if_exists": "overwrite"}),
                                   ("io.CsvWriter", {"path": "out/new.csv"})])
    assert [(i.node, i.path) for i in outside_paths(wf)] == [
        ("csv_writer_1", str(victim.resolve() / "precious.txt")),
        ("csv_writer_2", str(victim.resolve() / "new.csv"))]


def test_folder_parameters_say_whether_the_node_reads_or_writes_them(registry, layout):
    project, victim = layout
    wf = saved(registry, project, [("data.ImageFolderReader", {"path": str(victim)}),
                                   ("learn.NetworkLearner", {"tensorboard_dir": str(victim / "logs")})])
    assert [(i.node, i.param, i.access) for i in outside_paths(wf)] == [
        ("image_folder_reader_1", "path", "reads"), ("network_learner_1", "tensorboard_dir", "writes")]


def test_reading_nodeflows_bundled_resources_is_not_listed_but_writing_there_is(registry, layout):
    project, _ = layout
    model = os.path.join(BUNDLED, "models", "digits_0to4_base.keras")
    wf = saved(registry, project, [("io.CsvWriter", {"path": os.path.join(BUNDLED, "x.csv")}),
                                   ("data.CsvReader", {"path": model})])
    assert [(i.node, i.access) for i in outside_paths(wf)] == [("csv_writer_1", "writes")]


def test_the_shipped_examples_stay_inside_their_folder(registry):
    from tests.conftest import WORKFLOWS

    for path in sorted(WORKFLOWS.glob("*.nflow")):
        assert outside_paths(load(path, registry)) == [], path.name


def test_trust_covers_the_accepted_paths_and_a_changed_set_asks_again(registry, layout, config_home):
    project, victim = layout
    wf = saved(registry, project, [("io.CsvWriter", {"path": "../victim/precious.txt"})])
    items = outside_paths(wf)
    workflow_file = project / "wf.nflow"
    assert is_trusted(workflow_file, []) and is_trusted(None, [])  # nothing outside: nothing to ask
    assert not is_trusted(workflow_file, items)
    trust(workflow_file, items)
    assert store_path() == config_home / "nodeflow" / "trusted.json"
    assert is_trusted(str(workflow_file), items)
    assert not is_trusted(project / "other.nflow", items)  # per workflow file
    wf.set_param("csv_writer_1", "path", "../victim/elsewhere.csv")
    assert not is_trusted(workflow_file, outside_paths(wf))  # the set changed
    trust(workflow_file, outside_paths(wf))
    assert is_trusted(workflow_file, items) and is_trusted(workflow_file, outside_paths(wf))


def test_a_damaged_trust_store_trusts_nothing_and_is_rewritten(registry, layout, config_home):
    project, _ = layout
    wf = saved(registry, project, [("io.CsvWriter", {"path": "../victim/precious.txt"})])
    store_path().parent.mkdir(parents=True)
    store_path().write_text("{not json")
    assert not is_trusted(project / "wf.nflow", outside_paths(wf))
    trust(project / "wf.nflow", outside_paths(wf))
    assert json.loads(store_path().read_text())["workflows"]
    assert is_trusted(project / "wf.nflow", outside_paths(wf))


def test_paths_resolve_as_the_runtime_opens_them_when_the_folder_is_reached_through_a_link(
        registry, tmp_path):
    """``..`` goes up from the folder as opened (the runtime normalizes the text first), not
    from the folder the link leads to."""
    real = tmp_path / "deep" / "a" / "project"
    real.mkdir(parents=True)
    (tmp_path / "project").symlink_to(real, target_is_directory=True)
    wf = saved(registry, tmp_path / "project", [("io.CsvWriter", {"path": "../victim/precious.txt"})])
    assert wf.resolve_path("../victim/precious.txt") == str(tmp_path / "victim" / "precious.txt")
    assert [i.path for i in outside_paths(wf)] == [str(tmp_path.resolve() / "victim" / "precious.txt")]
