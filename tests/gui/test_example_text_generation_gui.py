"""The text generation example opens from File > Examples without a warning."""

from PySide6.QtWidgets import QMessageBox

from nodeflow.core import validate


def test_text_generation_opens_from_the_examples_menu_without_a_warning(window, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: warnings.append(args))
    action = next(a for a in window.examples_menu.actions() if a.text() == "text_generation")
    action.trigger()
    assert warnings == []
    workflow = window.document.workflow
    assert validate(workflow) == []
    assert {"text_generator", "savedmodel_writer"} <= set(window.canvas.views)
    assert set(window.canvas.views) == set(workflow.nodes)
    assert [b.text for b in workflow.backdrops][2].startswith("Generation:")
    assert window.windowTitle() == "text_generation.nflow \u2014 NodeFlow"
