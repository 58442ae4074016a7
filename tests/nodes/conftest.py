"""Fixtures for calling a node's run() directly, without the engine."""

import pytest

from nodeflow.core import Workflow
from nodeflow.runtime.context import RunContext


@pytest.fixture
def events():
    return []


@pytest.fixture
def ctx(tmp_path, events):
    """A RunContext for node ``node_1``; what the node emits lands in ``events`` (and ``ctx.events``)."""
    context = RunContext(workflow=Workflow(), node_id="node_1", node_dir=tmp_path, emit_event=events.append)
    context.events = events
    return context
