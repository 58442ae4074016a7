"""What a run executes: the one place that decides what a (partial) run needs.

As in KNIME, executing some nodes runs them and what they depend on, and only
that part has to be valid: a half-wired branch elsewhere does not block a finished
one.  ``nodeflow run --node X``, the editor's Execute Selected and the engine all
ask :func:`plan_run`, so they trim, validate and pick the nodes to execute the same
way.  Standard library only (no NumPy, TensorFlow or Qt): the editor plans in its
own process before it starts a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nodeflow.core.errors import Problem
from nodeflow.core.validation import topological_order, validate
from nodeflow.core.workflow import Workflow

LAYERS_ONLY = "nothing to execute: layer nodes run inside the learner that uses them"
EMPTY = "nothing to execute: the workflow has no nodes"


@dataclass
class RunPlan:
    """A run's part of a workflow and what stands in its way.

    ``workflow`` is a trimmed copy (the targets and everything upstream of them; the
    whole workflow when there are no targets), ``problems`` its validation problems,
    ``runnable`` the ids of the nodes that execute, in dependency order (layer nodes
    do not: a learner builds them into its model), and ``message`` one sentence for
    a person when the run cannot or need not start.
    """

    workflow: Workflow
    targets: list[str] | None = None
    problems: list[Problem] = field(default_factory=list)
    runnable: list[str] = field(default_factory=list)
    message: str | None = None

    @property
    def ok(self) -> bool:
        """True when the run can start and has something to execute."""
        return not self.problems and bool(self.runnable)


def plan_run(workflow: Workflow, targets: list[str] | None = None) -> RunPlan:
    """Plan executing ``targets`` (node ids) and what they need; everything when None.

    Raises ``ValueError`` for a target the workflow does not have (a caller's
    mistake, not a problem of the workflow).  The given workflow is not changed.
    """
    part = workflow.copy()
    if targets:
        unknown = [t for t in targets if t not in workflow.nodes]
        if unknown:
            raise ValueError(f"the workflow has no node {unknown[0]}; nodes: {', '.join(workflow.nodes)}")
        keep = set(targets).union(*(workflow.upstream(t) for t in targets))
        for node_id in [n for n in part.nodes if n not in keep]:
            part.remove_node(node_id)
        for edge in [e for e in part.edges if e.target not in keep]:
            part.disconnect(edge)  # dangling edges that lead nowhere the run goes
    plan = RunPlan(part, list(targets) if targets else None, validate(part))
    if plan.problems:
        first = plan.problems[0]
        more = len(plan.problems) - 1
        plan.message = f"cannot run: {first}" + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")
        plan.runnable = [n for n in part.nodes if _executes(part, n)]
        return plan
    plan.runnable = [n for n in topological_order(part) if _executes(part, n)]
    if not plan.runnable:
        plan.message = LAYERS_ONLY if part.nodes else EMPTY
    return plan


def _executes(workflow: Workflow, node_id: str) -> bool:
    spec = workflow.spec(node_id)
    return spec is not None and spec.family != "layer"
