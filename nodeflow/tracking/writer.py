"""The process that records a run in MLflow: ``python -P -m nodeflow.tracking.writer``.

Started by :class:`nodeflow.tracking.tracker.RunTracker` when a run starts.  Reads
JSON lines on standard input: first a header (the store, the workflow's name and text
as run, the ``--set`` overrides, extra tags), then the run's events.  The end of input
ends the record (KILLED when no ``run_finished`` came: the run was interrupted or its
process died).  Writes each problem as one ``{"warning": ...}`` line on standard
output, which the run reports; after its first MLflow error it records nothing more.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    uri = "the tracking store"
    try:
        header = json.loads(sys.stdin.readline())
        uri = header["store"]["uri"]
        from nodeflow.core.fileformat import loads

        from .store import Store
        from .tracker import Recorder

        store = Store(**header["store"])
        workflow = loads(header["workflow"], base_dir=header.get("base_dir"))
        recorder = Recorder(workflow, store, header["name"], header["overrides"], header["tags"])
        for line in sys.stdin:
            recorder.handle(json.loads(line))
        recorder.end()
    except Exception as exc:  # noqa: BLE001 - reported, never raised into the run
        text = (str(exc).strip() or type(exc).__name__).splitlines()[0][:300]
        print(json.dumps({"warning": f"run not tracked in MLflow ({uri}): {type(exc).__name__}: {text}"}),
              flush=True)
        for _ in sys.stdin:  # let the run write its remaining events without a broken pipe
            pass
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    # everything is committed: skip the interpreter's shutdown, where MLflow's and
    # SQLAlchemy's exit handlers cost about half a second the run would wait for
    os._exit(status)
