"""Saving a workflow through a symbolic link writes the file the link names (the link stays),
with the file's own permissions kept, and paths stay relative to the link's folder."""

import os
import stat

from nodeflow.core import Workflow, load, save


def test_saving_through_a_link_writes_its_target_and_keeps_the_link(registry, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "team.nflow"
    wf = Workflow(registry)
    wf.add_node("data.CsvReader", {"path": "data.csv"})
    save(wf, target)
    os.chmod(target, 0o664)
    link = tmp_path / "mine.nflow"
    link.symlink_to(os.path.join("shared", "team.nflow"))  # a relative link, as ln -s makes

    opened = load(link)
    opened.set_param("csv_reader_1", "delimiter", ";")
    save(opened, link)

    assert link.is_symlink() and os.readlink(link) == os.path.join("shared", "team.nflow")
    assert load(target).nodes["csv_reader_1"].params["delimiter"] == ";"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o664
    assert sorted(p.name for p in shared.iterdir()) == ["team.nflow"]  # no temp file left behind
    # opened from the link's folder, the data path still means tmp/data.csv there
    assert load(link).resolve_path("data.csv") == str(tmp_path / "data.csv")


def test_a_new_workflow_file_gets_the_usual_mode(registry, tmp_path):
    old = os.umask(0o027)
    try:
        save(Workflow(registry), tmp_path / "new.nflow")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.nflow").st_mode) == 0o640
