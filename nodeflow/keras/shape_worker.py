"""The shape worker: live shape inference for the editor, in a process of its own.

The editor never imports TensorFlow (a 5 s import that holds the GIL, and a model's
weights that can take gigabytes).  It starts this worker once per session as
``python -P -m nodeflow.keras.shape_worker`` and talks to it in JSON lines.  On
standard input, one request per line::

    {"client": 1, "revision": 7, "workflow": "<.nflow text>", "base_dir": "/folder" | null}
    {"client": 1, "forget": true}          (that document is closed: drop its cache)

On standard output, first ``{"ready": true}`` once TensorFlow is imported, then one
answer per request, in order::

    {"client": 1, "revision": 7, "report": <ShapeReport.to_json()>}
    {"client": 1, "revision": 7, "error": "what went wrong"}

Each client (an open document) keeps its own :class:`ShapeInference`, so an edit
rebuilds only what it changed.  Whatever a library prints goes to standard error:
standard output carries only these lines.  The worker hides GPUs from TensorFlow
(shapes never need one, and a GPU context would reserve its memory) and ends at the
end of its input, that is when the editor closes or dies.

Shapes are inferred without allocating weights, and the worker caps its own memory
(``NODEFLOW_SHAPE_MEMORY_MIB``, default 4096; 0 for no cap) so that a network that
still needs too much gets a "too large to infer shapes" problem, or at worst ends
this process, never the machine.  The cap is RLIMIT_DATA, the memory the process
writes to: address space alone (RLIMIT_AS) is mostly reservations that TensorFlow
and the allocator make in proportion to the number of cores, not memory used.
"""

from __future__ import annotations

import json
import os
import signal
import sys


MEMORY_VARIABLE = "NODEFLOW_SHAPE_MEMORY_MIB"
DEFAULT_MEMORY_MIB = 4096


def limit_memory() -> int | None:
    """Cap this process's data memory; returns the cap in bytes (None: no cap)."""
    try:
        import resource
    except ImportError:  # not on this platform (Windows)
        return None
    try:
        mib = int(os.environ.get(MEMORY_VARIABLE) or DEFAULT_MEMORY_MIB)
    except ValueError:
        mib = DEFAULT_MEMORY_MIB
    if mib <= 0:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = mib * 2**20 if hard == resource.RLIM_INFINITY else min(mib * 2**20, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    return limit


def _answer(out, message: dict) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def serve(stdin, out) -> None:
    """Answer requests from ``stdin`` on ``out`` until the end of input."""
    from nodeflow.core.fileformat import loads
    from nodeflow.keras import load_keras
    from nodeflow.keras.shapes import ShapeInference

    load_keras()
    _answer(out, {"ready": True, "pid": os.getpid()})
    inferences: dict[object, ShapeInference] = {}
    for line in iter(stdin.readline, ""):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            client = request.get("client")
        except (ValueError, AttributeError) as exc:
            _answer(out, {"error": f"bad request: {exc}"})
            continue
        if request.get("forget"):
            inferences.pop(client, None)
            continue
        answer = {"client": client, "revision": request.get("revision")}
        try:
            workflow = loads(request["workflow"], base_dir=request.get("base_dir"))
            inference = inferences.setdefault(client, ShapeInference())
            answer["report"] = inference.infer(workflow).to_json()
        except MemoryError:
            inferences.pop(client, None)  # what it built so far may be what filled the memory
            answer["error"] = "too large to infer shapes within the shape worker's memory limit"
        except Exception as exc:  # noqa: BLE001 - any failure is reported, the worker goes on
            answer["error"] = f"{type(exc).__name__}: {exc}"
        _answer(out, answer)


def main() -> int:
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before TensorFlow loads
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the editor decides when this ends
    limit_memory()
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints, native ones too, to stderr
    try:
        serve(sys.stdin, out)
    except BrokenPipeError:  # the editor went away mid-answer
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
