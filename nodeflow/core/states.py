"""The states a node shows in the editor, as KNIME's traffic lights do.

One enum for the canvas (status light and legend), the run session and the
properties panel.  It is a ``str`` enum so a state compares equal to its text
("executed") and can be written to logs and tests as plain text.
"""

from __future__ import annotations

from enum import Enum


class NodeState(str, Enum):
    NOT_CONFIGURED = "not configured"  # a parameter or a connection is missing or wrong
    CONFIGURED = "configured"  # ready to run, not executed (or changed since)
    QUEUED = "queued"  # part of the run under way, waiting for its inputs
    RUNNING = "running"
    EXECUTED = "executed"  # its outputs are stored and match its configuration
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value

    @property
    def help(self) -> str:
        """One line for the legend."""
        return _HELP[self]


_HELP = {
    NodeState.NOT_CONFIGURED: "a parameter or an input is missing or wrong",
    NodeState.CONFIGURED: "ready to execute",
    NodeState.QUEUED: "waiting in the run under way",
    NodeState.RUNNING: "executing now",
    NodeState.EXECUTED: "executed; its outputs can be viewed",
    NodeState.FAILED: "execution failed; right-click for the error",
}
