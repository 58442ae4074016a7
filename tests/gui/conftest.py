"""GUI tests run without a display: Qt's offscreen platform, chosen before Qt loads."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import gc  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from nodeflow.gui.main_window import MainWindow  # noqa: E402


@pytest.fixture(autouse=True)
def _collect_qt_objects(qapp):
    """Free each test's Qt objects while the application still runs.

    Left to the interpreter's final garbage collection, PySide6 6.12 wrappers (undo
    commands, graph items) can be deallocated in an order that aborts the process
    after the test run has passed.
    """
    yield
    gc.collect()
    qapp.processEvents()


@pytest.fixture(autouse=True)
def _user_data_folder(tmp_path, monkeypatch):
    """The user's data folder (where autosaves go) is the test's own, never the real one."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1300, 800)
    win.show()
    qtbot.waitExposed(win)
    # a test never blocks on a dialog: unsaved-changes questions answer "discard"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
    yield win
    if win.runner.running:  # a failed test may leave a run going: never leave a child behind
        win.runner.kill()
        win.runner.wait(10000)
        qtbot.waitUntil(lambda: not win.runner.running, timeout=10000)
    win.document.undo_stack.setClean()
    win.close()


@pytest.fixture
def iris_copy(tmp_path):
    """A copy of the iris example in a folder of its own, for tests that save or autosave it."""
    import shutil

    from tests.conftest import WORKFLOWS

    path = tmp_path / "work" / "iris_mlp.nflow"
    path.parent.mkdir()
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    return path
