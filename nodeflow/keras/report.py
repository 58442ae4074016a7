"""What shape inference found, as plain data that travels as JSON.

Shape inference runs where TensorFlow is (a worker process for the editor, the
``nodeflow inspect`` command); its report is read where TensorFlow must not be
(the editor).  So the report is made of plain values and round-trips through
JSON: ``ShapeReport.from_json(json.loads(json.dumps(report.to_json())))`` equals
``report``.  This module imports neither TensorFlow nor NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nodeflow.core.errors import Problem

Shape = tuple  # (None, 16): the batch axis first


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """A problem as JSON: its parts, and the sentence a person reads."""
    return {"node": problem.node, "where": problem.where, "message": problem.message,
            "text": str(problem)}


def problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(data.get("node"), data.get("where"), data["message"])


@dataclass
class NodeShapes:
    """What inference found for one network node."""

    node_id: str
    type: str
    outputs: dict[str, list[Shape]] = field(default_factory=dict)  # port -> shapes carried
    params: int = 0  # weights of the node's own layer (a model source: all of its layers)
    error: Problem | None = None
    skipped: bool = False  # an upstream node failed or an input is missing

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.node_id,
            "type": self.type,
            "outputs": {p: [list(s) for s in shapes] for p, shapes in self.outputs.items()},
            "params": self.params,
            "error": problem_to_json(self.error) if self.error else None,
            "skipped": self.skipped,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeShapes:
        return cls(
            node_id=data["id"],
            type=data["type"],
            outputs={p: [tuple(s) for s in shapes] for p, shapes in data.get("outputs", {}).items()},
            params=data.get("params", 0),
            error=problem_from_json(data["error"]) if data.get("error") else None,
            skipped=data.get("skipped", False),
        )


@dataclass
class ShapeReport:
    """Shapes per node, and the parameters of the model a learner would train.

    The totals count the weights of the model that is actually built: the layers
    between its inputs and its outputs, once each.  A read network cut short by Set
    Output Layers counts only up to the cut, so the totals are not the sum of the
    nodes' own counts.
    """

    nodes: dict[str, NodeShapes]
    problems: list[Problem]  # validation problems and shape errors, all of them
    trainable_params: int = 0
    non_trainable_params: int = 0

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``json.dumps`` it to send or print)."""
        return {
            "nodes": [n.to_json() for n in self.nodes.values()],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "problems": [problem_to_json(p) for p in self.problems],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShapeReport:
        nodes = [NodeShapes.from_json(n) for n in data.get("nodes", [])]
        return cls(
            nodes={n.node_id: n for n in nodes},
            problems=[problem_from_json(p) for p in data.get("problems", [])],
            trainable_params=data.get("trainable_params", 0),
            non_trainable_params=data.get("non_trainable_params", 0),
        )
