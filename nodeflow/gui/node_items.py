"""How a node is drawn: a title readable at the default zoom, an icon for its category,
the status light under it and the output shape line under that.

NodeGraphQt's node item lays out title and ports; this subclass makes room for the icon
beside the title, uses a larger title font, grows with its title, and keeps the title
from being edited in place (a node's label belongs to the workflow model, so it is never
changed behind the document's back).
"""

from __future__ import annotations

import re
from pathlib import Path

from NodeGraphQt.qgraphics.node_base import NodeItem
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsSimpleTextItem

from nodeflow.core.spec import NodeSpec

from .status_light import BOX, SIZE, StatusLight

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"
TITLE_POINT_SIZE = 11
MIN_TITLE_PIXELS = 10.0  # the fit zoom never makes a title line smaller than this on screen
# below this on screen a title is unreadable: nodes are drawn as plain boxes (proxy mode)
PROXY_BELOW_TITLE_PIXELS = 6.0
# longer titles are elided (the tooltip has them whole): nodes stay narrower than the
# examples' column spacing (195 scene units)
MAX_TITLE_WIDTH = 120.0
ICON_ROOM = 22.0  # the icon sits left of the centred title


def title_font() -> QFont:
    font = QFont()
    font.setPointSize(TITLE_POINT_SIZE)
    return font


def title_line_height() -> float:
    return QFontMetricsF(title_font()).height()


def min_fit_scale() -> float:
    """The smallest zoom at which titles stay readable."""
    return MIN_TITLE_PIXELS / title_line_height()


def elided_title(text: str) -> str:
    return QFontMetricsF(title_font()).elidedText(text, Qt.ElideRight, MAX_TITLE_WIDTH)


def icon_path(spec: NodeSpec | None) -> str | None:
    """The icon of a node type: ``<family>/<last category part>.svg``, else the family's."""
    if spec is None:
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", spec.category.split("/")[-1].lower()).strip("-")
    for candidate in (ICONS / spec.family / f"{slug}.svg", ICONS / f"{spec.family}.svg"):
        if candidate.is_file():
            return str(candidate)
    return None


class FlowNodeItem(NodeItem):
    def __init__(self, name="node", parent=None):
        super().__init__(name, parent)
        self._text_item.setFont(title_font())
        self._text_item.set_locked(True)
        self.light = StatusLight(self)
        self.shape_text = ""
        self.shape_label = QGraphicsSimpleTextItem("", self)
        self.shape_label.setBrush(QColor(200, 200, 200))
        font = QFont()
        font.setPointSize(9)
        self.shape_label.setFont(font)

    def set_shape_text(self, text: str) -> None:
        """Shown with each " · " part on a line of its own, so that it stays about as
        wide as the node and does not run into its neighbour's."""
        self.shape_text = text
        self.shape_label.setText(text.replace(" \u00b7 ", "\n"))

    def auto_switch_mode(self):
        """Plain boxes (NodeGraphQt's proxy mode) only where titles could not be read, decided
        by the zoom alone so that every node switches together.  NodeGraphQt decides per node
        by its width on screen (under 70 px), so at an ordinary zoom (e.g. once the Learning
        Monitor takes room and the view zooms out to keep the same scene in view) narrow nodes
        lost their titles and ports while wider ones beside them kept theirs."""
        viewer = self.viewer()
        if viewer is None:
            return
        scale = viewer.transform().m11()
        self.set_proxy_mode(scale * title_line_height() < PROXY_BELOW_TITLE_PIXELS)

    def _calc_size_horizontal(self):
        width, height = super()._calc_size_horizontal()
        return width + ICON_ROOM, height

    def _align_label_horizontal(self, h_offset, v_offset):
        super()._align_label_horizontal(h_offset + ICON_ROOM / 2, v_offset)

    @NodeItem.name.setter
    def name(self, name=""):
        """A new title resizes the node (NodeGraphQt only re-centres it, so it overflowed)."""
        NodeItem.name.fset(self, name)
        if self.scene():
            self.draw_node()
            for port in self.inputs + self.outputs:
                port.redraw_connected_pipes()

    def draw_node(self):
        super().draw_node()
        rect = self.boundingRect()
        self.light.setPos(QPointF(rect.center().x() - BOX.width() / 2, rect.bottom() + 4))
        self.shape_label.setPos(QPointF(4, rect.bottom() + 6 + SIZE.height()))
