"""DESIGN.md's hard rules: the core, loading a workflow, `nodeflow validate` and
`nodeflow nodes` import neither Qt nor TensorFlow (nor Keras); `nodeflow validate`
does not import NumPy either (it is about start-up time); the editor never imports
TensorFlow, even while it shows live shapes.

Each check runs in a fresh interpreter, so modules imported by other tests
cannot hide a violation.
"""

import ast
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT, WORKFLOWS

FORBIDDEN = ("PySide6", "shiboken6", "Qt", "NodeGraphQt", "tensorflow", "keras")

PROBE = """
import sys
{body}
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})
print("FORBIDDEN:" + ",".join(bad))
"""

CASES = {
    "core": "import nodeflow.core",
    "load_and_validate": f"""
        from nodeflow.core import load, validate, dumps, default_registry
        wf = load({str(next(WORKFLOWS.glob('*.nflow')))!r})
        validate(wf); dumps(wf); list(default_registry())
        import nodeflow.keras  # the translator package itself imports TensorFlow lazily
    """,
    "cli_validate": f"""
        from nodeflow.cli import main
        main(["validate", {str(next(WORKFLOWS.glob('*.nflow')))!r}])
    """,
    "cli_nodes": """
        from nodeflow.cli import main
        main(["nodes", "--json"])
    """,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_headless_paths_import_no_qt_and_no_tensorflow(case):
    code = PROBE.format(body=textwrap.dedent(CASES[case]), forbidden=FORBIDDEN)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "FORBIDDEN:"


def test_the_probe_would_notice_an_import():
    """Guard against a probe that cannot fail."""
    code = PROBE.format(body="import json\nsys.modules['tensorflow'] = json", forbidden=FORBIDDEN)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().endswith("FORBIDDEN:tensorflow")


def test_core_uses_only_the_standard_library():
    """nodeflow.core may import nothing outside the standard library and itself."""
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    paths = sorted((ROOT / "nodeflow" / "core").glob("*.py"))
    assert len(paths) >= 7
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name}:{node.lineno} imports {name}"


def test_validate_imports_no_numpy():
    """Loading the node catalogue must not pull in NumPy: nodes import it when they run."""
    code = PROBE.format(body=textwrap.dedent(CASES["cli_validate"]), forbidden=("numpy",))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "FORBIDDEN:"


EDITOR = """
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from nodeflow.gui.main_window import MainWindow
window = MainWindow(settings=QSettings({settings!r}, QSettings.IniFormat))
window.show()
window.open_file({workflow!r}, confirmed=True)
def shapes():
    report = window.last_report
    node = report.nodes.get("conv2d_1") if report is not None else None
    return node.outputs if node is not None else None
deadline = time.monotonic() + 240
while not shapes() and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.02)
print("SHAPES:" + repr(shapes()))
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
print("FORBIDDEN:" + ",".join(bad))
window.document.undo_stack.setClean()
window.close()
"""


def test_the_editor_shows_shapes_without_importing_tensorflow(tmp_path):
    code = EDITOR.format(settings=str(tmp_path / "settings.ini"), workflow=str(WORKFLOWS / "digits_cnn.nflow"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-2] == "SHAPES:{'output': [(None, 8, 8, 32)]}", result.stderr
    assert lines[-1] == "FORBIDDEN:"
