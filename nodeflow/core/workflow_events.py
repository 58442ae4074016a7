"""What a :class:`~nodeflow.core.workflow.Workflow` tells its subscribers after each edit.

Every editing method of the workflow emits exactly one of these small, immutable
records per item it changed, after the change is made, so a view (the editor's
canvas, a list, a test) can follow the model without polling it and without Qt.
The ``index`` of an added or removed item is its place in the workflow's order
(node order, edge order, backdrop order) at the moment of the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Union

if TYPE_CHECKING:
    from .workflow import Edge


@dataclass(frozen=True)
class NodeAdded:
    node_id: str
    index: int


@dataclass(frozen=True)
class NodeRemoved:
    """Sent after the node's edges were removed (each with its own :class:`EdgeRemoved`)."""

    node_id: str
    index: int


@dataclass(frozen=True)
class NodeMoved:
    node_id: str


@dataclass(frozen=True)
class NodeChanged:
    """A parameter (``aspect="param"``, ``param`` names it), the label or the annotation."""

    node_id: str
    aspect: str
    param: str | None = None


@dataclass(frozen=True)
class EdgeAdded:
    edge: Edge
    index: int


@dataclass(frozen=True)
class EdgeRemoved:
    edge: Edge
    index: int


@dataclass(frozen=True)
class BackdropAdded:
    backdrop_id: str
    index: int


@dataclass(frozen=True)
class BackdropRemoved:
    backdrop_id: str
    index: int


@dataclass(frozen=True)
class BackdropChanged:
    """Its text, position or size."""

    backdrop_id: str


WorkflowEvent = Union[NodeAdded, NodeRemoved, NodeMoved, NodeChanged, EdgeAdded, EdgeRemoved,
                      BackdropAdded, BackdropRemoved, BackdropChanged]
Subscriber = Callable[[WorkflowEvent], None]
