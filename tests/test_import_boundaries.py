"""DESIGN.md's hard rule: the core, loading a workflow, `nodeflow validate` and
`nodeflow nodes` import neither Qt nor TensorFlow (nor Keras).

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
