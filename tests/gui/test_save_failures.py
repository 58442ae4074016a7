"""A save that fails (folder gone, disk full) is shown in a dialog and loses nothing: the window
stays open, the document stays modified with the edit in it, and a close that waited for the
save is cancelled."""

import errno
import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from nodeflow.core import load
from nodeflow.gui import main_window
from tests.conftest import WORKFLOWS
from tests.gui.test_main_window import drop_from_repository



@pytest.fixture
def errors(monkeypatch):
    """The texts of the error dialogs shown (the real one would block the test)."""
    shown = []
    monkeypatch.setattr(main_window.QMessageBox, "critical",
                        lambda parent, title, text, *a, **k: shown.append(f"{title}: {text}"))
    return shown


def drop_dense(window) -> str:
    """An edit as a person makes it: a Dense node dragged from the repository onto the canvas."""
    before = set(window.document.workflow.nodes)
    drop_from_repository(window, "keras.layers.Dense", (900, 600))
    (added,) = set(window.document.workflow.nodes) - before
    return added


def press_ctrl_s(window):
    viewer = window.canvas.viewer()
    viewer.setFocus()
    QTest.keyClick(viewer.viewport(), Qt.Key_S, Qt.ControlModifier)


def test_ctrl_s_into_a_vanished_folder_shows_the_error_and_keeps_the_edit(window, iris_copy, errors):
    assert window.open_file(iris_copy)
    added = drop_dense(window)
    shutil.rmtree(iris_copy.parent)

    press_ctrl_s(window)

    assert len(errors) == 1
    assert "iris_mlp.nflow" in errors[0] and f"{iris_copy.parent} does not exist" in errors[0]
    assert window.isVisible()
    assert window.document.modified and added in window.document.workflow.nodes
    assert window.windowTitle() == "iris_mlp.nflow* \u2014 NodeFlow"

    iris_copy.parent.mkdir()  # the folder is back (a network drive reconnected): Ctrl+S saves
    press_ctrl_s(window)
    assert len(errors) == 1
    assert added in load(iris_copy).nodes
    assert not window.document.modified
    assert window.windowTitle() == "iris_mlp.nflow \u2014 NodeFlow"


def test_a_full_disk_names_the_reason_and_leaves_the_file_as_it_was(window, iris_copy, errors, monkeypatch):
    assert window.open_file(iris_copy)
    original = iris_copy.read_bytes()
    drop_dense(window)

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("nodeflow.core.fileformat.os.fsync", no_space)
    press_ctrl_s(window)

    assert len(errors) == 1 and "no space left on the device" in errors[0]
    assert iris_copy.read_bytes() == original
    assert sorted(p.name for p in iris_copy.parent.iterdir()) == ["iris_mlp.nflow"]  # no temp file left
    assert window.document.modified


def test_save_as_that_fails_keeps_the_workflow_untitled_and_modified(window, tmp_path, errors, monkeypatch):
    added = drop_dense(window)
    target = tmp_path / "no-such-folder" / "mine.nflow"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), main_window.FILE_FILTER))

    press_ctrl_s(window)  # untitled: Ctrl+S asks for a name

    assert len(errors) == 1 and "mine.nflow" in errors[0]
    assert window.document.path is None
    assert window.document.modified and added in window.document.workflow.nodes
    assert window.windowTitle() == "Untitled* \u2014 NodeFlow"
    assert not target.exists()


def test_closing_when_the_save_fails_keeps_the_window_and_the_work(window, iris_copy, errors, monkeypatch):
    assert window.open_file(iris_copy)
    added = drop_dense(window)
    shutil.rmtree(iris_copy.parent)
    questions = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, *a, **k: questions.append(title) or QMessageBox.Save)

    assert not window.close()

    assert questions == ["Unsaved changes"]
    assert len(errors) == 1 and "does not exist" in errors[0]
    assert window.isVisible()
    assert window.document.modified and added in window.document.workflow.nodes
    assert window.autosave.timer.isActive()  # the session was not half shut down

    # opening another workflow waits for the same save: cancelled too, the work stays
    assert not window.open_file(WORKFLOWS / "iris_mlp.nflow")
    assert added in window.document.workflow.nodes and window.document.path == iris_copy.resolve()

    # giving the work up is still possible
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
    assert window.close()
    assert not window.isVisible()
