"""What the example GUI tests do as a person would: open a bundled example from File >
Examples, wait until the editor has checked it, and open a port view of a finished run."""

import json

from nodeflow.core import load
from nodeflow.core.states import NodeState
from tests.gui.test_canvas_port_views import double_click
from tests.gui.test_main_window import port_point


def open_example(window, name: str):
    """File > Examples > ``name``; the workflow the editor then shows."""
    action = next(a for a in window.examples_menu.actions() if a.text() == name)
    action.trigger()
    return window.document.workflow


def assert_every_node_configured(window, qtbot) -> None:
    """Once the live shapes come back: no shape errors, no node left not configured, no
    problem in the status bar."""
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=120000)  # shapes from the worker
    assert {n: s.error for n, s in window.last_report.nodes.items() if s.error is not None} == {}
    states = {n: window.session.node_state(n)[0] for n in window.document.workflow.nodes}
    assert NodeState.NOT_CONFIGURED not in states.values(), states
    assert "problem" not in window.statusBar().currentMessage()


def run_and_open_port_view(window, qtbot, path, document: dict, node: str, port: str):
    """``document`` saved at ``path`` and run headless, then opened in the editor and the
    view of ``node``'s output ``port`` opened by double-clicking the port: ``(result, view)``."""
    from nodeflow.runtime.engine import Engine, default_run_dir

    path.write_text(json.dumps(document), encoding="utf-8")
    result = Engine(load(path), default_run_dir(path)).run()
    assert result.nodes[node].status == "executed"
    assert window.open_file(path)
    double_click(window.canvas.viewer().viewport(), port_point(window, node, port, True))
    qtbot.waitUntil(lambda: bool(window.port_views), timeout=10000)
    return result, window.port_views[-1].view
