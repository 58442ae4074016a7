"""Readable left-to-right positions for a workflow: columns by depth, rows in workflow order."""

from __future__ import annotations

from .validation import topological_order
from .workflow import Workflow

COLUMN_WIDTH = 240.0
ROW_HEIGHT = 110.0


def layered_positions(workflow: Workflow, node_ids: set[str] | None = None,
                      origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    """Positions for ``node_ids`` (default: all nodes): a node's column is the longest path to
    it from the chosen nodes without inputs among them; raises ValueError for a cycle."""
    chosen = set(workflow.nodes) if node_ids is None else set(node_ids)
    depth: dict[str, int] = {}
    for node_id in topological_order(workflow):
        if node_id in chosen:
            depth[node_id] = max((depth[e.source] + 1 for e in workflow.incoming(node_id)
                                  if e.source in depth), default=0)
    rows: dict[int, int] = {}
    positions = {}
    for node_id in (n for n in workflow.nodes if n in chosen):
        column = depth[node_id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        positions[node_id] = (origin[0] + column * COLUMN_WIDTH, origin[1] + row * ROW_HEIGHT)
    return positions
