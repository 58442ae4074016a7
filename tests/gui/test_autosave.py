"""Autosave and recovery: an editor killed with unsaved work offers it back at the next start.

The data folder is the test's own (XDG_DATA_HOME, set for every GUI test in conftest.py);
the editor that gets killed is a real child process with the offscreen platform."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nodeflow.core import dumps, load
from nodeflow.gui import autosave, main_window
from nodeflow.gui.document import WorkflowDocument

ROOT = Path(__file__).resolve().parents[2]

EDITOR = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    app.setApplicationName(sys.argv[1])
    app.setOrganizationName(sys.argv[2])
    from nodeflow.gui.main_window import MainWindow
    window = MainWindow(QSettings(sys.argv[3], QSettings.IniFormat))
    window.autosave.set_interval(200)
    window.show()
    window.open_file(sys.argv[4], confirmed=True)
    window.document.set_param("dense_1", "units", 21)
    window.document.set_param("learner", "epochs", 7)
    app.exec()
""")


def autosaves(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.autosave")) if folder.exists() else []


def autosaved(file: Path) -> str | None:
    """The workflow text an autosave holds (None while it cannot be read)."""
    try:
        return dumps(autosave.read_autosave(file)[0])
    except Exception:
        return None



def test_an_editor_killed_with_unsaved_work_offers_it_back(window, qtbot, tmp_path, iris_copy, monkeypatch):
    folder = autosave.default_folder()
    assert str(folder).startswith(str(tmp_path))  # never the user's real data folder
    original = iris_copy.read_bytes()
    expected = load(iris_copy)
    expected.set_param("dense_1", "units", 21, check=False)
    expected.set_param("learner", "epochs", 7, check=False)

    app = QApplication.instance()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    log = tmp_path / "child.log"
    with open(log, "wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-c", EDITOR, app.applicationName(), app.organizationName(),
             str(tmp_path / "child.ini"), str(iris_copy)],
            cwd=tmp_path, env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not any(autosaved(f) == dumps(expected) for f in autosaves(folder)):
            assert child.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no autosave appeared: " + log.read_text()
            time.sleep(0.2)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # as a crash or the OOM killer would, workers included
        child.wait(30)
    assert iris_copy.read_bytes() == original  # the autosave never writes the user's file

    questions = []
    monkeypatch.setattr(main_window, "ask_restore", lambda parent, found: questions.append(found) or True)
    assert window.offer_recovery()

    assert len(questions) == 1 and questions[0].path == iris_copy
    assert dumps(window.document.workflow) == dumps(expected)
    assert window.document.path == iris_copy and window.document.modified
    assert window.windowTitle() == "iris_mlp.nflow* \u2014 NodeFlow"
    assert iris_copy.read_bytes() == original
    # the work now lives in this session's autosave only; the killed editor's one is gone
    assert autosaves(folder) == [window.autosave.file]

    window.close()  # a clean close (unsaved-changes question answered "discard" by the fixture)
    assert autosaves(folder) == [] and list(folder.glob("*.lock")) == []


def test_discard_deletes_the_autosave_and_a_running_editor_s_autosave_is_not_offered(
        window, qtbot, iris_copy, monkeypatch):
    folder = autosave.default_folder()
    # another editor, alive in this process, with unsaved work: not offered
    alive_doc = WorkflowDocument()
    alive_doc.open(iris_copy)
    alive = autosave.Autosave(alive_doc, folder=folder)
    alive_doc.set_param("dense_1", "units", 5)
    assert alive.save_now()
    # work of an editor that is gone: an autosave nobody holds a lock for
    dead = folder / "0123.autosave"
    shutil.copy(alive.file, dead)

    monkeypatch.setattr(main_window, "ask_restore", lambda parent, found: False)
    assert not window.offer_recovery()
    assert not dead.exists()
    assert alive.file.exists()
    assert not window.document.modified and window.document.workflow.nodes == {}
    assert not window.offer_recovery()  # nothing left to offer
    alive.close()
    assert not alive.file.exists()
    alive_doc.undo_stack.clear()  # its commands freed now, with their stack, not by a later gc pass


def test_unsaved_work_is_autosaved_before_execute_and_dropped_on_save(window, qtbot, iris_copy, monkeypatch):
    assert window.open_file(iris_copy)
    assert not window.autosave.file.exists()  # nothing unsaved yet
    window.document.set_param("dense_1", "units", 9)
    started = []
    monkeypatch.setattr(window.session, "execute", lambda targets: started.append(targets) or True)
    window.canvas.viewer().setFocus()
    QTest.keyClick(window.canvas.viewer().viewport(), Qt.Key_F7, Qt.ShiftModifier)
    assert started == [None]
    assert window.autosave.file.exists()
    workflow, path, _ = autosave.read_autosave(window.autosave.file)
    assert path == iris_copy and workflow.nodes["dense_1"].params["units"] == 9

    window.canvas.viewer().setFocus()
    QTest.keyClick(window.canvas.viewer().viewport(), Qt.Key_S, Qt.ControlModifier)
    assert load(iris_copy).nodes["dense_1"].params["units"] == 9
    assert not window.autosave.file.exists()  # saved: nothing to recover


def test_the_timer_writes_unsaved_work_and_only_when_it_changed(window, qtbot, iris_copy):
    assert window.open_file(iris_copy)
    window.autosave.set_interval(50)
    window.document.set_param("dense_1", "units", 11)
    qtbot.waitUntil(window.autosave.file.exists, timeout=10000)
    stamp = window.autosave.file.stat().st_mtime_ns
    assert not window.autosave.save_now()  # unchanged since: not written again
    assert window.autosave.file.stat().st_mtime_ns == stamp
