"""How NodeFlow writes tensor shapes and parameter counts, everywhere.

One formatter for ``nodeflow inspect``, the editor's live shape labels and status
bar, and error messages, so a shape reads the same wherever a person meets it:
``(None, 28, 28, 1)`` as Keras's summary writes it, the batch axis first.
Standard library only: the editor imports it without TensorFlow or NumPy.
"""

from __future__ import annotations

from collections.abc import Iterable


def shape_text(shape: Iterable) -> str:
    """``(None, 16)``; a one-axis shape keeps Python's tuple comma: ``(16,)``."""
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + (",)" if len(dims) == 1 else ")")


def shapes_text(shapes: Iterable[Iterable]) -> str:
    """Several shapes, comma separated: ``(None, 8), (None, 8)``."""
    return ", ".join(shape_text(s) for s in shapes)


def node_label(node_shapes) -> str:
    """``(None, 16) · 80 params`` for one node's inference result (a ``NodeShapes``):
    what the editor writes under a node; empty when the node was skipped."""
    if node_shapes.error is not None:
        return "shape error"
    if node_shapes.skipped:
        return ""
    text = shapes_text(s for port in node_shapes.outputs.values() for s in port)
    return f"{text} · {node_shapes.params:,} params" if node_shapes.params else text


def parameter_summary(total: int, trainable: int, non_trainable: int) -> str:
    """``33,189 (trainable 12,345 · non-trainable 20,844)``, split as Keras's summary does."""
    return f"{total:,} (trainable {trainable:,} · non-trainable {non_trainable:,})"
