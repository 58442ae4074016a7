"""GUI tests run without a display: Qt's offscreen platform, chosen before Qt loads."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import gc  # noqa: E402

import pytest  # noqa: E402


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
