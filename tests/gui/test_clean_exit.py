"""Closing the editor ends its worker processes and the process exits 0, also while the shape
worker is still importing TensorFlow, and after a warm runner is waiting.

The exit cases run a real ``nodeflow gui`` editor in a child process (offscreen platform); a timer
in the child closes the window at the moment the case is about, so nothing here depends on timing."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import WORKFLOWS

ROOT = Path(__file__).resolve().parents[2]

# argv: the moment to close at ("shown" or "warm"), the workflow to open
EDITOR = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    app = QApplication(sys.argv[:1])
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.Discard)  # give unsaved work up
    from nodeflow.gui import main_window

    def window():
        found = [w for w in app.topLevelWidgets() if isinstance(w, main_window.MainWindow) and w.isVisible()]
        return found[0] if found else None

    def close_when_due():
        win = window()
        due = win is not None and (sys.argv[1] == "shown" or (win.runner.warm_pid and win.shapes.worker.is_ready))
        if not due:
            QTimer.singleShot(20, close_when_due)
            return
        if sys.argv[1] == "warm":
            win.document.set_param("dense_1", "units", 21)  # unsaved work
        print(json.dumps({"shape_worker": win.shapes.worker.pid, "importing": not win.shapes.worker.is_ready,
                          "runner": win.runner.warm_pid}), flush=True)
        win.close()

    QTimer.singleShot(0, close_when_due)
    sys.exit(main_window.run_editor(sys.argv[2]))
""")


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # ended, not reaped yet
    except FileNotFoundError:
        return True


def close_editor(tmp_path, moment: str) -> tuple[dict, str]:
    """Run the editor until ``moment``, close it; its report and standard error."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-c", EDITOR, moment, str(WORKFLOWS / "iris_mlp.nflow")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report, done.stderr


def assert_ended(*pids: int) -> None:
    deadline = time.monotonic() + 30
    while not all(gone(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still running after the editor closed: {pids}"
        time.sleep(0.1)


def test_closing_while_the_shape_worker_imports_tensorflow_exits_cleanly(tmp_path):
    report, stderr = close_editor(tmp_path, "shown")
    assert report["importing"] and report["shape_worker"]
    assert "Destroyed while" not in stderr and "Traceback" not in stderr
    assert_ended(report["shape_worker"])


@pytest.mark.slow
def test_closing_with_a_warm_runner_waiting_ends_it_and_exits_cleanly(tmp_path):
    report, stderr = close_editor(tmp_path, "warm")
    assert not report["importing"] and report["runner"]
    assert "Destroyed while" not in stderr and "Traceback" not in stderr
    assert_ended(report["shape_worker"], report["runner"])
    assert not list((tmp_path / "data").rglob("*.autosave"))  # the work was given up on purpose


# a stand-in warm runner: ready at once, then it waits for a run that never comes
WAITING_RUNNER = """
import json, sys
print(json.dumps({"worker": "ready"}), flush=True)
sys.stdin.readline()
"""


def test_closing_the_window_ends_the_waiting_runner_at_once(window, qtbot, monkeypatch):
    monkeypatch.setattr(window.runner, "runner_command", lambda: ["-P", "-c", WAITING_RUNNER])
    window.runner.warm_up()
    qtbot.waitUntil(lambda: window.runner.warm_pid is not None, timeout=20000)
    pid = window.runner.warm_pid

    assert window.close()

    assert gone(pid)  # ended with the window, not left for the application's exit
    assert not window.runner.keep_warm
