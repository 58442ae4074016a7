"""A warm ``nodeflow run``: everything imported ahead, waiting for its run.

Importing TensorFlow, Keras and the node catalogue takes seconds, which Execute in
the editor should not wait for.  The editor keeps one of these processes ready per
session, started as ``python -P -m nodeflow.run_worker`` (``-P``: the current
directory is never on ``sys.path``).  It imports what a run needs, trains a tiny
model once (:func:`rehearse`), writes ``{"worker": "ready"}`` on standard output,
then reads one line on standard input::

    {"argv": ["run", "SNAPSHOT.nflow", "--out", "RUN_DIR", "--events", "-", ...]}

and runs exactly that ``nodeflow`` command: the events on standard output, the log
on standard error, the control files and the exit status are those of
``nodeflow run``.  Then it exits.  A finished run leaves process-wide state behind
(Keras's global dtype policy, op determinism, GPU memory held by TensorFlow's
allocator), so the editor starts a fresh warm runner for the next run instead of
reusing this one.  The end of input without a request (the editor closed) ends it
quietly.
"""

from __future__ import annotations

import json
import signal
import sys


def preload() -> None:
    """Import what every run needs, so that the run starts with its first node."""
    import numpy  # noqa: F401
    import pyarrow  # noqa: F401

    from nodeflow.core import default_registry
    from nodeflow.keras import load_keras

    load_keras()
    import nodeflow.keras.translator  # noqa: F401
    import nodeflow.runtime.engine  # noqa: F401
    import nodeflow.runtime.reporting  # noqa: F401

    list(default_registry())  # imports every node module


def rehearse() -> None:
    """Train and run a tiny model once, then forget it, so that a run's first batch
    does not also pay for what TensorFlow and Keras set up on first use (autograph's
    conversion of Keras's training step, kernels, tf.data), about a third of the work
    before the first batch.  ``clear_session`` leaves Keras's global state (names, graph) as
    in a fresh process.  Skipped when TensorFlow sees a GPU: running anything would
    make it reserve the GPU's memory while the runner only waits.  Its output is
    dropped and its failure ignored: it is not the user's run."""
    import contextlib
    import os
    import warnings

    import numpy as np
    import tensorflow as tf

    from nodeflow.keras import load_keras

    keras = load_keras()
    if tf.config.list_physical_devices("GPU"):
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull, warnings.catch_warnings(), contextlib.suppress(Exception):
            os.dup2(devnull.fileno(), 2)
            warnings.simplefilter("ignore")
            x, y = np.zeros((8, 6, 6, 1), "float32"), np.zeros((8,), "int64")
            data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(8, seed=0).batch(4)
            inputs = keras.Input((6, 6, 1))
            hidden = keras.layers.Flatten()(keras.layers.Conv2D(2, 3, activation="relu")(inputs))
            model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.fit(data.prefetch(tf.data.AUTOTUNE), validation_data=data, epochs=1, verbose=0)
            model.predict(x, verbose=0)
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        keras.backend.clear_session()


def _request_waiting() -> bool:
    import select

    try:
        return bool(select.select([sys.stdin], [], [], 0)[0])
    except (OSError, ValueError):  # no select() on pipes (Windows): rehearse
        return False


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # idle: only the editor ends it (end of input)
    preload()
    if not _request_waiting():  # a cold start (the run is asked for already) does not rehearse
        rehearse()
    print(json.dumps({"worker": "ready"}), flush=True)
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    try:
        argv = json.loads(line)["argv"]
        if not isinstance(argv, list) or not argv or argv[0] != "run":
            raise ValueError(f"expected the arguments of a `nodeflow run` command, got {argv!r}")
    except (ValueError, KeyError, TypeError) as exc:
        print(f"nodeflow run worker: bad request: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh `nodeflow run`
    from nodeflow.cli import end_process, main as nodeflow

    code = nodeflow([str(a) for a in argv])
    end_process(code)  # the run's process ends as a fresh `nodeflow run` does
    return code


if __name__ == "__main__":
    raise SystemExit(main())
