"""The Table Writer's files get the permissions a plain write gives (not mkstemp's 0600), and
a link at its path stays a link: the file it names gets the table."""

import os
import stat

import numpy as np
import pytest

from nodeflow.core import Workflow
from nodeflow.runtime.context import RunContext
from nodeflow.runtime.table import Table
from nodes.io.table_writer import TABLE_WRITER

TABLE = Table({"n": np.array([1, 2, 3])})


@pytest.fixture
def write(tmp_path):
    context = RunContext(workflow=Workflow(), node_id="csv_writer_1", node_dir=tmp_path,
                         emit_event=lambda e: None)
    return lambda path: TABLE_WRITER.run(context, {"table": TABLE},
                                         TABLE_WRITER.resolve({"path": str(path), "if_exists": "overwrite"}))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_file_gets_0666_minus_the_umask(tmp_path, write, umask_022):
    write(tmp_path / "new.csv")
    assert mode(tmp_path / "new.csv") == 0o644


def test_a_replaced_file_keeps_its_mode(tmp_path, write, umask_022):
    path = tmp_path / "shared.csv"
    path.write_text("old\n")
    os.chmod(path, 0o664)
    write(path)
    assert mode(path) == 0o664 and path.read_text().startswith('"n"')


def test_writing_through_a_link_keeps_the_link(tmp_path, write):
    target = tmp_path / "real" / "table.csv"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "table.csv"
    link.symlink_to(target)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().splitlines() == ['"n"', "1", "2", "3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "table.csv"]  # no temp file left
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.csv"]
