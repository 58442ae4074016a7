"""``--apply-best OUT.nflow``: a copy of the workflow with the best trial's values set.

The copy is made with the core model and written by the project's file writer
(atomically; file paths rebased to OUT's folder), so it is a workflow like any other.
The values are validated first: a copy that would not run is not written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodeflow.core import load, save, validate
from nodeflow.core import overrides as override
from nodeflow.core.errors import ProblemsError


def apply_best(workflow_path: Path, values: dict[str, Any], out: Path) -> None:
    workflow = load(workflow_path)
    override.apply(workflow, [(override.parse_target(p), v) for p, v in values.items()])
    problems = validate(workflow)
    if problems:
        raise ProblemsError(problems, str(out))
    save(workflow, out)
