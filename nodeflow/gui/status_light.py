"""KNIME's traffic light under each node: which of its states a node is in, at a glance.

Red: not configured, yellow: configured, green: executed.  Queued, running and failed
light the lamp of the state they come from or lead to and add a badge (a clock, a play
sign, a cross), so all six states stay apart without reading the tooltip.  The same
painting serves the canvas item and the legend.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from nodeflow.core.states import NodeState

RED, YELLOW, GREEN = QColor(226, 62, 50), QColor(240, 196, 40), QColor(72, 196, 72)
LAMPS = (RED, YELLOW, GREEN)
UNLIT = QColor(70, 70, 70)
BADGE = {"clock": QColor(150, 190, 240), "play": QColor(90, 170, 250), "cross": RED}

LAMP = 13.0  # lamp diameter, scene units
PAD = 2.5
BOX = QRectF(0, 0, 3 * LAMP + 4 * PAD, LAMP + 2 * PAD)
SIZE = QRectF(0, 0, BOX.width() + LAMP + 2 * PAD, BOX.height())  # box and badge


@dataclass(frozen=True)
class Look:
    lamp: int  # index into LAMPS
    badge: str | None = None  # "clock", "play", "cross"


LOOKS = {
    NodeState.NOT_CONFIGURED: Look(0),
    NodeState.CONFIGURED: Look(1),
    NodeState.QUEUED: Look(1, "clock"),
    NodeState.RUNNING: Look(1, "play"),
    NodeState.EXECUTED: Look(2),
    NodeState.FAILED: Look(0, "cross"),
}


def lamp_rect(index: int) -> QRectF:
    return QRectF(PAD + index * (LAMP + PAD), PAD, LAMP, LAMP)


def paint_light(painter: QPainter, state: NodeState) -> None:
    """Draw the light for ``state`` with its top-left corner at the painter's origin."""
    look = LOOKS[NodeState(state)]
    painter.save()
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(QPen(QColor(20, 20, 20), 1.0))
    painter.setBrush(QColor(38, 38, 38))
    painter.drawRoundedRect(BOX, 3, 3)
    painter.setPen(Qt.NoPen)
    for index, color in enumerate(LAMPS):
        painter.setBrush(color if index == look.lamp else UNLIT)
        painter.drawEllipse(lamp_rect(index))
    if look.badge:
        _paint_badge(painter, look.badge, QRectF(BOX.right() + PAD, PAD, LAMP, LAMP))
    painter.restore()


def _paint_badge(painter: QPainter, badge: str, rect: QRectF) -> None:
    color = BADGE[badge]
    pen = QPen(color, 1.8, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    center = rect.center()
    if badge == "clock":
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawEllipse(rect)
        painter.drawLine(center, QPointF(center.x(), rect.top() + 2.5))
        painter.drawLine(center, QPointF(rect.right() - 2.5, center.y()))
    elif badge == "play":
        painter.setPen(Qt.NoPen)
        painter.setBrush(color)
        painter.drawPolygon([rect.topLeft() + QPointF(1, 0), rect.bottomLeft() + QPointF(1, 0),
                             QPointF(rect.right(), center.y())])
    elif badge == "cross":
        painter.setPen(QPen(color, 2.4, Qt.SolidLine, Qt.RoundCap))
        painter.drawLine(rect.topLeft() + QPointF(1, 1), rect.bottomRight() - QPointF(1, 1))
        painter.drawLine(rect.topRight() + QPointF(-1, 1), rect.bottomLeft() + QPointF(1, -1))


class StatusLight(QGraphicsItem):
    """The light as a child item of a node view, below the node."""

    def __init__(self, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.state = NodeState.CONFIGURED
        self.setAcceptedMouseButtons(Qt.NoButton)

    def set_state(self, state: NodeState) -> None:
        state = NodeState(state)
        if state != self.state:
            self.state = state
            self.update()

    @property
    def color(self) -> QColor:
        """The colour of the lamp that is lit."""
        return LAMPS[LOOKS[self.state].lamp]

    def lit_center(self) -> QPointF:
        """The lit lamp's centre, in scene coordinates."""
        return self.mapToScene(lamp_rect(LOOKS[self.state].lamp).center())

    def boundingRect(self) -> QRectF:
        return SIZE.adjusted(-1, -1, 1, 1)

    def paint(self, painter, option, widget=None) -> None:
        paint_light(painter, self.state)
