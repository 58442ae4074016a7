"""Problems and exceptions shared by every layer of NodeFlow.

A :class:`Problem` is one thing wrong with a workflow, phrased for the person who
has to fix it: which node, which parameter or port, what was expected and what was
found.  Validation collects all problems of a file instead of stopping at the
first, so the exceptions below carry lists of problems.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


MESSAGE_LIMIT = 2_000  # characters of one problem's message; the rest is elided


def abbreviate(text: str, limit: int = 80) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when cut.

    Every name, key or value a message quotes from a file goes through here, so a
    five-million-character key gives a short line, not a 20 MB one.
    """
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "\u2026"


def show_value(value: object, limit: int = 60) -> str:
    """Render a found value the way it would appear in a .nflow file, shortened."""
    if isinstance(value, str) and len(value) > 4 * limit:
        value = value[: 4 * limit]  # no need to encode megabytes to show a few dozen characters
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return abbreviate(text, limit)


def expected_got(expected: str, found: object) -> str:
    """The standard sentence: ``expected an integer >= 1, got -3``."""
    return f"expected {expected}, got {show_value(found)}"


@dataclass(frozen=True, order=True)
class Problem:
    """One reportable defect.

    ``node`` is the node id when the problem belongs to a node; ``where`` names
    the parameter, port, edge or file location; ``message`` says what was expected
    and what was found.  ``str()`` gives ``node dense_1: units: expected ...``.
    """

    node: str | None
    where: str | None
    message: str

    def __str__(self) -> str:
        parts = []
        if self.node is not None:
            parts.append(f"node {abbreviate(self.node, 120)}")
        if self.where:
            parts.append(abbreviate(self.where, 240))
        parts.append(abbreviate(self.message, MESSAGE_LIMIT))
        return _printable(": ".join(parts))


def _printable(text: str) -> str:
    """Escape control characters, so a key like "a\\nb" in a file cannot fake an output line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class NodeFlowError(Exception):
    """Base class of every error NodeFlow raises on purpose."""


class ProblemsError(NodeFlowError):
    """An error that carries one or more :class:`Problem` records."""

    def __init__(self, problems: list[Problem] | Problem, source: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(self._summary())

    def _summary(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(prefix + str(p) for p in self.problems)


class WorkflowFileError(ProblemsError):
    """A .nflow file could not be read into a workflow (syntax, structure, version)."""


class WorkflowEditError(ProblemsError):
    """An edit of a workflow was refused (e.g. an incompatible connection)."""


class RegistryError(NodeFlowError):
    """The node catalogue is inconsistent (e.g. one type id declared twice)."""


class NodeRunError(NodeFlowError):
    """A node could not do its work with the data it was given (missing file, bad column...).

    Raised by a node's ``run`` with a message saying what was expected and what was
    found; the runtime adds the node id when it reports the failure.
    """
