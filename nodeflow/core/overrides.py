"""Parameter overrides ``NODE.PARAM=VALUE`` and ``NODE.PARAM.ARG=VALUE``: one definition.

``nodeflow run --set`` and ``nodeflow sweep --param`` name parameters the same way, so
both parse and apply them here.  ``NODE.PARAM`` is a node's parameter; a third part,
``NODE.PARAM.ARG``, is an argument of the option a nested choice currently holds
(``learner.optimizer.learning_rate``): the option stays, that argument changes.  When a
parameter and one of its arguments are both overridden, the parameter is applied first
(``learner.optimizer=sgd`` then ``learner.optimizer.learning_rate=0.1`` gives SGD with
that rate), whatever the order they were written in.

Values are put in unchecked (``set_param(check=False)``), so validation reports a bad
one with the node and parameter named, exactly as it would report it from the file.
An unknown node, or an argument path into a parameter that is not a nested choice, is
a mistake in the command line itself: :class:`OverrideError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import NodeFlowError
from .params import NestedChoiceParam
from .workflow import Workflow

EXAMPLE = "learner_1.epochs=20"


class OverrideError(NodeFlowError):
    """A malformed override or one that names no node of the workflow (a usage error)."""


@dataclass(frozen=True)
class Target:
    """Where an override goes: ``node.param`` or ``node.param.arg``."""

    node: str
    param: str
    arg: str | None = None

    def __str__(self) -> str:
        return f"{self.node}.{self.param}" + (f".{self.arg}" if self.arg else "")


def parse_target(text: str) -> Target:
    """``NODE.PARAM`` or ``NODE.PARAM.ARG``; raises :class:`OverrideError` otherwise."""
    parts = text.split(".")
    if len(parts) not in (2, 3) or not all(parts):
        raise OverrideError(f"{text}: expected NODE.PARAM or NODE.PARAM.ARG, e.g. "
                            f"learner.optimizer.learning_rate")
    return Target(*parts)


def parse_value(text: str) -> Any:
    """JSON when it parses as JSON (``20``, ``true``, ``[28, 28]``), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_assignment(item: str) -> tuple[Target, Any]:
    """``TARGET=VALUE`` as (target, value)."""
    target, sep, text = item.partition("=")
    if not sep:
        raise OverrideError(f"{item}: expected NODE.PARAM=VALUE, e.g. {EXAMPLE}")
    try:
        return parse_target(target), parse_value(text)
    except OverrideError:
        raise OverrideError(f"{item}: expected NODE.PARAM=VALUE, e.g. {EXAMPLE}") from None


def check_target(workflow: Workflow, target: Target) -> None:
    """Raise :class:`OverrideError` when the node is missing, or when an argument path goes
    into a parameter that has no arguments.  An unknown parameter or argument is left to
    validation, which names what the node does accept."""
    if target.node not in workflow.nodes:
        raise OverrideError(f"{target}: the workflow has no node {target.node}; nodes: "
                            f"{', '.join(workflow.nodes)}")
    if target.arg is None:
        return
    spec = workflow.spec(target.node)
    param = spec.param(target.param) if spec else None
    if param is not None and not isinstance(param, NestedChoiceParam):
        raise OverrideError(f"{target}: {target.node}.{target.param} is a {param.kind} parameter "
                            f"without arguments; expected {target.node}.{target.param}=VALUE")


def apply(workflow: Workflow, overrides: Iterable[tuple[Target, Any]]) -> None:
    """Apply overrides (checked with :func:`check_target`), parameters before their
    arguments."""
    items = list(overrides)
    for target, _ in items:
        check_target(workflow, target)
    for target, value in sorted(items, key=lambda item: item[0].arg is not None):
        if target.arg is None:
            workflow.set_param(target.node, target.param, value, check=False)
            continue
        spec = workflow.spec(target.node)
        param = spec.param(target.param) if spec else None
        try:
            current = workflow.param_value(target.node, target.param)
        except KeyError:
            current = None
        parts = param.split(current) if param is not None else None
        if parts is None:  # no option to add an argument to: validation names the parameter
            workflow.set_param(target.node, f"{target.param}.{target.arg}", value, check=False)
            continue
        name, args = parts
        workflow.set_param(target.node, target.param,
                           {"name": name, "args": {**args, target.arg: value}}, check=False)


def apply_assignments(workflow: Workflow, items: Iterable[str]) -> None:
    """Parse and apply ``--set`` texts; raises :class:`OverrideError` for a bad one."""
    apply(workflow, [parse_assignment(item) for item in items])
