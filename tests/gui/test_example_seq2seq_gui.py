"""The seq2seq example opens from File > Examples without a warning."""

from PySide6.QtWidgets import QMessageBox

from nodeflow.core import validate


def test_seq2seq_opens_from_the_examples_menu_without_a_warning(window, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: warnings.append(args))
    action = next(a for a in window.examples_menu.actions() if a.text() == "seq2seq")
    action.trigger()
    assert warnings == []
    workflow = window.document.workflow
    assert validate(workflow) == []
    assert {"sequence_decoder", "encoder_writer", "decoder_writer"} <= set(window.canvas.views)
    assert set(window.canvas.views) == set(workflow.nodes)
    assert [b.text.split(":")[0] for b in workflow.backdrops] == ["Encoder", "Decoder, trained with teacher forcing",
                                                                  "Data", "Translation"]
    assert window.windowTitle() == "seq2seq.nflow \u2014 NodeFlow"
