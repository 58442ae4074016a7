"""Where a new node goes: the nearest free spot to where a person expects it.

Nodes added from the repository (Enter, double-click) go right of the selected node, as
in KNIME, or near the view centre; a node already there pushes the new one to the
nearest free cell of a grid around that spot (below first), so nodes never land on top
of each other.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF

GAP = 40.0  # free space kept around a node, in scene units
_RINGS = 12  # how far the search goes, in grid cells


def free_position(rect: QRectF, occupied: list[QRectF], gap: float = GAP) -> QPointF:
    """The top-left corner nearest to ``rect``'s where a rectangle of its size keeps
    ``gap`` from every occupied one."""
    step_x, step_y = rect.width() + gap, rect.height() + gap
    cells = sorted(((i, j) for i in range(-_RINGS, _RINGS + 1) for j in range(-_RINGS, _RINGS + 1)),
                   key=lambda c: (c[0] ** 2 + c[1] ** 2, c[1] < 0, c[0] < 0, -c[1]))
    half = gap / 2
    for i, j in cells:
        candidate = rect.translated(i * step_x, j * step_y)
        padded = candidate.adjusted(-half, -half, half, half)
        if not any(padded.intersects(other.adjusted(-half, -half, half, half)) for other in occupied):
            return candidate.topLeft()
    return rect.topLeft()
