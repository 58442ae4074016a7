"""The seq2seq example opens from File > Examples without a warning."""

from PySide6.QtWidgets import QMessageBox

from nodeflow.core import validate
from tests.gui.examples import open_example


def test_seq2seq_opens_from_the_examples_menu_without_a_warning(window, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: warnings.append(args))
    workflow = open_example(window, "seq2seq")
    assert warnings == []
    assert validate(workflow) == []
    assert {"sequence_decoder", "encoder_writer", "decoder_writer"} <= set(window.canvas.views)
    assert set(window.canvas.views) == set(workflow.nodes)
    assert [b.text.split(":")[0] for b in workflow.backdrops] == ["Encoder", "Decoder, trained with teacher forcing",
                                                                  "Data", "Translation"]
    assert window.windowTitle() == "seq2seq.nflow \u2014 NodeFlow"
