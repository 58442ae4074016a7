"""export-python refuses, naming the node, a workflow whose nodes do work the script would
silently leave out (generating text, decoding sequences, adversarial training)."""

import pytest

from nodeflow.core import load
from nodeflow.keras.export import export_python
from nodeflow.keras.translator import TranslationError
from tests.conftest import WORKFLOWS

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("example, node, says", [
    ("text_generation", "text_generator", "sampling text"),
    ("seq2seq", "sequence_decoder", "decoding with the encoder"),
    ("gan_digits", "gan", "GAN Learner"),
])
def test_export_refuses_naming_the_node(example, node, says):
    workflow = load(WORKFLOWS / f"{example}.nflow")
    with pytest.raises(TranslationError) as caught:
        export_python(workflow)
    assert f"node {node}: cannot be exported" in str(caught.value) and says in str(caught.value)
