"""What the editor will sweep: the swept parameters of the open workflow and the sweep's settings.

This is editor state, not workflow state: the list lives beside the document (like a
dialog's last settings), is never written into the .nflow file and never changes the
workflow.  ``nodeflow sweep`` gets it as command-line arguments.

Decisions
---------
- A swept parameter is a path and a space text exactly as ``nodeflow sweep --param``
  takes them (``dense_1.units`` = ``int(4,64,log)``; a nested choice's argument is one
  more dot: ``learner.optimizer.learning_rate``), so what the dialog shows is what the
  command runs and a user can copy it to a terminal.
- Default spaces come from the parameter's declaration: an int spans a quarter to four
  times its value inside its limits (logarithmic when that covers a factor of 16), a
  learning rate a tenth to ten times its value on a log scale, a bounded fraction
  (``0 <= rate < 1``) its lower half, another float half to twice its value, a choice and
  a nested choice all their options, a bool ``choice(true,false)``.
- Checking a space's grammar is the sweep package's job (one parser): this module only
  asks it, and says nothing while that package is not installed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from nodeflow.core.params import BoolParam, ChoiceParam, FloatParam, IntParam, NestedChoiceParam, Param

SAMPLERS = ("tpe", "random", "grid")
DIRECTIONS = ("minimize", "maximize")

# metric names offered for a node with an output port of this view ("metrics": a scorer's
# table; "history": a learner's epochs, read as the last epoch's or the best epoch's value)
VIEW_METRICS: dict[str, tuple[str, ...]] = {
    "metrics": ("accuracy", "macro_f1", "macro_precision", "macro_recall", "mse", "rmse", "mae", "r2"),
    "history": ("val_loss", "best_val_loss", "loss"),
}
# metric names (the part after the node) where smaller is better
SMALLER_IS_BETTER = ("loss", "mse", "rmse", "mae", "error")


def sweepable(param: Param) -> bool:
    """Kinds a sweep can vary: numbers, booleans and choices."""
    return isinstance(param, (IntParam, FloatParam, BoolParam, ChoiceParam, NestedChoiceParam))


def _num(x: float) -> str:
    return f"{x:.6g}"


def _int_space(param: IntParam, value: Any) -> str:
    lo_limit = param.min if param.min is not None else -(2 ** 31)
    hi_limit = param.max if param.max is not None else 2 ** 31
    if isinstance(value, int) and value >= 1:
        lo, hi = max(lo_limit, value // 4, 1), min(hi_limit, value * 4)
    else:
        lo = max(lo_limit, 0)
        hi = min(hi_limit, lo + 10)
    if hi <= lo:
        hi = min(hi_limit, lo + 1)
    return f"int({lo},{hi},log)" if lo >= 1 and hi >= 16 * lo else f"int({lo},{hi})"


def _float_space(param: FloatParam, name: str, value: Any) -> str:
    v = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    lo_limit = -math.inf if param.min is None else param.min
    hi_limit = math.inf if param.max is None else param.max
    if "learning_rate" in name or name == "lr":
        v = v if v and v > 0 else 1e-3
        hi = min(v * 10, hi_limit * (0.5 if param.max_open else 1))
        return f"loguniform({_num(max(v / 10, lo_limit))},{_num(hi)})"
    if param.min is not None and param.max is not None and param.max - param.min <= 1:
        lo = param.min if not param.min_open else param.min + (param.max - param.min) / 100
        hi = (param.min + param.max) / 2 if param.max_open else param.max
        return f"float({_num(lo)},{_num(hi)})"
    if v is None or v == 0:
        lo, hi = max(lo_limit, 0.0), min(hi_limit, 1.0)
    elif v > 0:
        lo, hi = max(lo_limit, v / 2), min(hi_limit, v * 2)
    else:
        lo, hi = max(lo_limit, v * 2), min(hi_limit, v / 2)
    return f"float({_num(lo)},{_num(hi)})"


def default_space(param: Param, value: Any, name: str | None = None) -> str:
    """The space a newly swept parameter starts with, from its declaration and value."""
    name = name or param.name
    if isinstance(param, BoolParam):
        return "choice(true,false)"
    if isinstance(param, IntParam):
        return _int_space(param, value)
    if isinstance(param, FloatParam):
        return _float_space(param, name, value)
    if isinstance(param, NestedChoiceParam):
        return "choice(" + ",".join(o.name for o in param.options) + ")"
    if isinstance(param, ChoiceParam):
        return "choice(" + ",".join(str(o) for o in param.options) + ")"
    raise ValueError(f"{name}: a {param.kind} parameter cannot be swept")


def space_problem(text: str) -> str | None:
    """Why ``text`` is not a parameter space ``nodeflow sweep`` accepts (None: fine, or the
    sweep package, which owns the grammar, is not installed)."""
    try:
        from nodeflow.sweep import space
    except ImportError:
        return None
    try:
        space.parse(text)
    except ValueError as exc:
        return str(exc)
    return None


def metric_candidates(workflow) -> list[str]:
    """``NODE.NAME`` metrics the workflow's nodes report (found by their output ports' views,
    as ``nodeflow sweep`` reads them), scorers first."""
    found: list[tuple[int, str]] = []
    order = list(VIEW_METRICS)
    for node in workflow:
        spec = workflow.spec(node.id)
        for port in spec.outputs if spec is not None else ():
            names = list(VIEW_METRICS.get(port.view or "", ()))
            if port.view == "history":  # the learner's own metrics, on the validation data
                try:
                    metrics = workflow.param_value(node.id, "metrics") or []
                except KeyError:
                    metrics = []
                own = [m for m in metrics if isinstance(m, str)]
                names[2:2] = [f"val_{m}" for m in own] + [f"best_val_{m}" for m in own]
            found += [(order.index(port.view), f"{node.id}.{n}") for n in names]
    return [name for _rank, name in sorted(found, key=lambda item: item[0])]


def default_direction(metric: str) -> str:
    """maximize, unless the metric's name says smaller is better (a loss, an error)."""
    name = metric.rpartition(".")[2].lower()
    return "minimize" if any(word in name for word in SMALLER_IS_BETTER) else "maximize"


@dataclass
class SweptParam:
    path: str  # NODE.PARAM or NODE.PARAM.ARG
    space: str  # the space text, e.g. int(4,64,log)


class SweepSetup(QObject):
    """The swept parameters and settings of the open workflow (the Sweep dialog's model)."""

    changed = Signal()  # a parameter was added or removed, or the list was cleared

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.params: list[SweptParam] = []
        self.metric = ""
        self.direction = "maximize"
        self.trials = 20
        self.workers = 1
        self.sampler = "tpe"
        self.prune = False
        self.study = ""  # empty: the workflow's name, as nodeflow sweep's default

    def add(self, path: str, space: str) -> None:
        """Sweep ``path`` over ``space``; a path already swept keeps its place, gets the space."""
        for item in self.params:
            if item.path == path:
                item.space = space
                break
        else:
            self.params.append(SweptParam(path, space))
        self.changed.emit()

    def add_param(self, path: str, param: Param, value: Any) -> None:
        """Sweep a parameter over its default space (see :func:`default_space`)."""
        self.add(path, default_space(param, value, path.rpartition(".")[2]))

    def remove(self, path: str) -> None:
        self.params = [p for p in self.params if p.path != path]
        self.changed.emit()

    def set_space(self, path: str, space: str) -> None:
        """The user edited a space text (no ``changed``: the dialog already shows it)."""
        for item in self.params:
            if item.path == path:
                item.space = space

    def clear(self) -> None:
        if self.params or self.metric:
            self.params, self.metric, self.study = [], "", ""
            self.changed.emit()
