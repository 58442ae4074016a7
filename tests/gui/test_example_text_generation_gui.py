"""The text generation example opens from File > Examples without a warning."""

from PySide6.QtWidgets import QMessageBox

from nodeflow.core import validate
from tests.gui.examples import open_example


def test_text_generation_opens_from_the_examples_menu_without_a_warning(window, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: warnings.append(args))
    workflow = open_example(window, "text_generation")
    assert warnings == []
    assert validate(workflow) == []
    assert {"text_generator", "savedmodel_writer"} <= set(window.canvas.views)
    assert set(window.canvas.views) == set(workflow.nodes)
    assert [b.text for b in workflow.backdrops][2].startswith("Generation:")
    assert window.windowTitle() == "text_generation.nflow \u2014 NodeFlow"
