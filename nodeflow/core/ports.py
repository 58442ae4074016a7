"""Port data types and port declarations.

A port type names what travels along a connection.  Compatibility is data: the
table ``ACCEPTS`` lists, per input type, which output types may feed it.  The
canvas refuses, and validation reports, any other connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class PortType:
    name: str
    description: str
    color: str  # "#rrggbb", read by the canvas so every view agrees


PORT_TYPES: dict[str, PortType] = {
    t.name: t
    for t in (
        PortType(
            "network",
            "a Keras graph under construction: a layer's output carries every layer upstream of it",
            "#c0504d",
        ),
        PortType(
            "table",
            "rows x named columns; each column is an array whose first axis is the rows",
            "#4f81bd",
        ),
        PortType("model", "a trained or loaded Keras model", "#9bbb59"),
        PortType("normalizer", "fitted normalization parameters to apply to other tables", "#f79646"),
    )
}

# special views of table outputs, named by a port's ``view``
PORT_VIEWS = {
    "history": "one row per epoch: plotted as learning curves",
    "confusion_matrix": "true class rows x predicted class columns: drawn as a heat map",
    "metrics": "metric / class / value rows: shown beside the node's confusion matrix",
    "image_grid": "an image column drawn as a grid; while the node trains, the images it makes each epoch",
    "forecast": "time / truth / forecast rows: plotted over time after the history",
    "roc": "threshold / fpr / tpr rows: drawn as a ROC curve with its AUC",
}

# views that can be opened while their node still runs: they follow what it writes as it goes
LIVE_VIEWS = frozenset({"image_grid"})

# input port type -> output port types it accepts
ACCEPTS: dict[str, frozenset[str]] = {name: frozenset({name}) for name in PORT_TYPES}


def can_connect(output_type: str, input_type: str) -> bool:
    return output_type in ACCEPTS.get(input_type, frozenset())


@dataclass(frozen=True)
class Port:
    """An input or output of a node type.

    ``optional`` inputs may stay unconnected; ``multi`` inputs take several
    connections, ordered as the edges appear in the workflow (that order is the
    order of a Keras merge layer's inputs).  ``view`` names how the editor shows
    an output's value besides the plain view of its type (see ``PORT_VIEWS``).
    """

    name: str
    type: str
    help: str = ""
    optional: bool = False
    multi: bool = False
    view: str | None = None

    def __post_init__(self):
        if not IDENTIFIER.fullmatch(self.name):
            raise ValueError(f"port name {self.name!r}: expected an identifier")
        if self.view is not None and self.view not in PORT_VIEWS:
            raise ValueError(f"port {self.name}: expected a view among {', '.join(PORT_VIEWS)}, "
                             f"got {self.view!r}")
        if self.type not in PORT_TYPES:
            raise ValueError(
                f"port {self.name}: expected a type among {', '.join(PORT_TYPES)}, got {self.type!r}"
            )

    def describe(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "optional": self.optional,
            "multi": self.multi,
            "help": self.help,
            **({"view": self.view} if self.view else {}),
        }
