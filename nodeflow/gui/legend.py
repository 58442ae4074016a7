"""The legend of the status lights (View > Status Legend): each state, its light and what
it means, drawn by the same code as the lights on the canvas."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QWidget

from nodeflow.core.states import NodeState

from .status_light import SIZE, paint_light

OBJECT_NAME = "status-legend"


def light_pixmap(state: NodeState, zoom: float = 2.0) -> QPixmap:
    pixmap = QPixmap(int(SIZE.width() * zoom) + 2, int(SIZE.height() * zoom) + 2)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.translate(1, 1)
    painter.scale(zoom, zoom)
    paint_light(painter, state)
    painter.end()
    return pixmap


class StatusLegend(QDialog):
    """A small non-modal window; one row per state."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(OBJECT_NAME)
        self.setWindowTitle("Node status legend")
        self.setModal(False)
        grid = QGridLayout(self)
        self.rows: dict[NodeState, tuple[QLabel, QLabel, QLabel]] = {}
        for row, state in enumerate(NodeState):
            light, name, text = QLabel(), QLabel(f"<b>{state.value.capitalize()}</b>"), QLabel(state.help)
            light.setPixmap(light_pixmap(state))
            for column, label in enumerate((light, name, text)):
                grid.addWidget(label, row, column)
            self.rows[state] = (light, name, text)


def show_legend(parent: QWidget) -> StatusLegend:
    """Show the window's legend (one per window), raised if it is open already."""
    legend = parent.findChild(StatusLegend, OBJECT_NAME) or StatusLegend(parent)
    legend.show()
    legend.raise_()
    return legend
