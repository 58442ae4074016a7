"""`nodeflow run workflows/iris_mlp.nflow` vs a hand-written Keras script doing the same work.

The iris workflow is tiny (120 training rows, 8 batches of 16 an epoch), so its time is
almost all per-epoch and per-step cost: what NodeFlow adds per epoch (progress events,
its tf.data feed, the run folder) shows here rather than being hidden by the arithmetic.

Both sides start a fresh Python process (start-up and TensorFlow import counted on both)
and do what the workflow does:

- read the bundled ``resources/data/iris.csv`` with ``pyarrow.csv`` (as the Sample Data
  Set node does);
- code ``species`` as 0..2 in sorted order (Category to Number);
- split 80/20 stratified with ``numpy.random.default_rng(1)``, the Partitioning node's
  draw (a random key per row, ranked within its class), so both train on the same rows;
- z-score the four measurements with the training split's mean and standard deviation
  (Normalizer, Normalizer (Apply));
- ``keras.utils.set_random_seed(1)`` (no op determinism), then Input(4) -> Dense(16, relu)
  -> Dropout(0.1, seed=1) -> Dense(3, softmax), Adam(0.01), sparse categorical
  cross-entropy, accuracy, batch 16;
- tf.data as a Keras user writes it for data this small: ``from_tensor_slices``, a full
  shuffle buffer reshuffled each epoch (seed 1), batch, prefetch (the learner feeds tables up
  to 64 MiB the same way; this script used a per-batch ``tf.gather`` map before, which is
  slower on small data: see bench/README.md); the test split as validation data after
  every epoch; ``fit`` with ``TerminateOnNaN`` (the learner's default callback);
- predict the test split (batch 256, the executor's default), score its accuracy and
  export a TensorFlow SavedModel (the writer's ``model.export``).

The hand-written script keeps Keras's defaults for ``jit_compile`` ("auto": off on a CPU)
and ``steps_per_execution`` (1); the learner picks its own steps per execution (printed).
``--steps-per-execution N`` sets N on both sides, to compare the loops step for step.

The sides are interleaved over --runs rounds, so drift in machine load hits both.  Per
child: wall time, peak RSS (its ``ru_maxrss`` from ``os.wait4``) and the steady-state
seconds per epoch (from the first epoch's end to the last's, over epochs - 1: the first
epoch's tracing left out).  Medians and the ratios NodeFlow / hand-written are printed as
a markdown table; --json FILE writes everything.

    python bench/iris_vs_keras.py [--runs 3] [--epochs 300] [--steps-per-execution N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from stream_vs_keras import measure  # this folder is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "workflows" / "iris_mlp.nflow"
DATA = ROOT / "resources" / "data" / "iris.csv"

HAND_WRITTEN = textwrap.dedent('''
    import sys, time
    import numpy as np, pyarrow.csv as pacsv, tensorflow as tf, keras

    data_file, out, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    steps_per_execution = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    table = pacsv.read_csv(data_file)
    x = np.stack([table[c].to_numpy() for c in features], axis=1)  # float64, as read
    _, y = np.unique(table["species"].to_numpy().astype(str), return_inverse=True)

    # 80/20 stratified with default_rng(1): a random key per row, ranked within its class
    n = len(y)
    rng = np.random.default_rng(1)
    _, counts = np.unique(y, return_counts=True)
    quota = np.round(int(0.8 * n + 0.5) * counts / n).astype(int)  # 40 of each 50 here
    order = np.lexsort((rng.random(n), y))
    ranks = np.arange(n) - np.concatenate(([0], np.cumsum(counts)[:-1]))[y[order]]
    train = np.zeros(n, bool)
    train[order[ranks < quota[y[order]]]] = True

    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    x = ((x - mean) / std).astype("float32")
    y = y.astype("float32")[:, None]

    keras.utils.set_random_seed(1)
    inputs = keras.Input((4,))
    h = keras.layers.Dense(16, activation="relu")(inputs)
    h = keras.layers.Dropout(0.1, seed=1)(h)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)

    def batches(rows, shuffle):
        data = tf.data.Dataset.from_tensor_slices((x[rows], y[rows]))
        if shuffle:
            data = data.shuffle(int(rows.sum()), seed=1, reshuffle_each_iteration=True)
        return data.batch(16).prefetch(tf.data.AUTOTUNE)

    class EpochClock(keras.callbacks.Callback):
        ends = []
        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.time())

    model.fit(batches(train, True), validation_data=batches(~train, False), epochs=epochs,
              callbacks=[keras.callbacks.TerminateOnNaN(), EpochClock()], verbose=0, shuffle=False)
    p = model.predict(x[~train], batch_size=256, verbose=0)
    print("accuracy", float((p.argmax(axis=1) == y[~train, 0]).mean()))
    ends = EpochClock.ends
    print("epochs", len(ends), ends[0], ends[-1])
    model.export(out + "/output/iris_mlp.savedmodel", format="tf_saved_model", verbose=False)
''')


def per_epoch(count: int, first: float, last: float) -> float:
    """Steady-state seconds per epoch: first epoch's end to the last's (tracing left out)."""
    return (last - first) / (count - 1) if count > 1 else float("nan")


def read_events(path: Path) -> dict:
    """Epoch timing, last validation accuracy and the learner's steps per execution."""
    ends, accuracy, steps = [], float("nan"), None
    for line in path.read_text().splitlines():
        event = json.loads(line)
        if event.get("event") == "epoch" and event.get("node") == "learner":
            ends.append(event["time"])
            accuracy = event.get("metrics", {}).get("val_accuracy", accuracy)
        elif event.get("event") == "log" and "step(s) per execution" in event.get("message", ""):
            steps = int(event["message"].split(" step(s) per execution")[0].split()[-1])
    return {"epochs_run": len(ends), "seconds_per_epoch": per_epoch(len(ends), ends[0], ends[-1])
            if ends else float("nan"), "accuracy": accuracy, "steps_per_execution": steps}


def read_hand_log(path: Path) -> dict:
    accuracy, count, first, last = float("nan"), 0, 0.0, 0.0
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("accuracy "):
            accuracy = float(line.split()[1])
        elif line.startswith("epochs "):
            _, count, first, last = line.split()
            count, first, last = int(count), float(first), float(last)
    return {"epochs_run": count, "seconds_per_epoch": per_epoch(count, first, last), "accuracy": accuracy}


def run(args, work: Path) -> dict:
    script = work / "hand.py"
    script.write_text(HAND_WRITTEN)
    nodeflow = [sys.executable, "-m", "nodeflow", "run", str(WORKFLOW), "--no-cache", "--quiet",
                "--set", f"learner.epochs={args.epochs}"]
    spe = []
    if args.steps_per_execution:
        nodeflow += ["--set", f"learner.steps_per_execution={args.steps_per_execution}"]
        spe = [str(args.steps_per_execution)]
    ours, theirs = [], []
    for r in range(args.runs):  # interleaved, so drift in machine load hits both sides
        base, events = work / f"nodeflow_{r}", work / f"events_{r}.jsonl"
        base.mkdir()  # the writer's relative output/iris_mlp.savedmodel lands here
        result = measure(nodeflow + ["--out", str(base / "run"), "--events", str(events),
                                     "--base-dir", str(base)], work / f"nodeflow_{r}.log", work)
        result.update(read_events(events))
        shutil.rmtree(base, ignore_errors=True)
        ours.append(result)
        print(f"  round {r + 1}: nodeflow run {result['seconds']:.1f} s, {result['peak_rss_mib']:.0f} MiB, "
              f"{result['seconds_per_epoch'] * 1e3:.1f} ms/epoch, test accuracy {result['accuracy']:.3f}, "
              f"{result['steps_per_execution']} step(s) per execution", flush=True)
        out, log = work / f"hand_{r}", work / f"hand_{r}.log"
        out.mkdir()
        result = measure([sys.executable, str(script), str(DATA), str(out), str(args.epochs), *spe], log, work)
        result.update(read_hand_log(log))
        shutil.rmtree(out, ignore_errors=True)
        theirs.append(result)
        print(f"  round {r + 1}: hand-written {result['seconds']:.1f} s, {result['peak_rss_mib']:.0f} MiB, "
              f"{result['seconds_per_epoch'] * 1e3:.1f} ms/epoch, test accuracy {result['accuracy']:.3f}",
              flush=True)
    summary = {"epochs": args.epochs, "runs": args.runs, "steps_per_execution": args.steps_per_execution,
               "nodeflow": ours, "hand_written": theirs}
    for key in ("seconds", "peak_rss_mib", "seconds_per_epoch"):
        a = statistics.median(x[key] for x in ours)
        b = statistics.median(x[key] for x in theirs)
        summary[f"nodeflow_{key}"], summary[f"hand_{key}"], summary[f"ratio_{key}"] = a, b, a / b
    return summary


def print_table(s: dict) -> None:
    spe = s["steps_per_execution"]
    steps = (f"{spe} step(s) per execution on both sides" if spe else
             f"steps per execution: NodeFlow {s['nodeflow'][0]['steps_per_execution']}, hand-written 1")
    print(f"\niris MLP, {s['epochs']} epochs, batch 16, {steps}: medians of {s['runs']} run(s)")
    print("| measure | NodeFlow | hand-written | ratio NodeFlow / hand-written |")
    print("| --- | --- | --- | --- |")
    print(f"| time (process) | {s['nodeflow_seconds']:.2f} s | {s['hand_seconds']:.2f} s | "
          f"{s['ratio_seconds']:.3f} |")
    print(f"| time per epoch (steady) | {s['nodeflow_seconds_per_epoch'] * 1e3:.1f} ms | "
          f"{s['hand_seconds_per_epoch'] * 1e3:.1f} ms | {s['ratio_seconds_per_epoch']:.3f} |")
    print(f"| peak memory | {s['nodeflow_peak_rss_mib']:,.0f} MiB | {s['hand_peak_rss_mib']:,.0f} MiB | "
          f"{s['ratio_peak_rss_mib']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs of each side (default 3)")
    parser.add_argument("--epochs", type=int, default=300, help="training epochs (default 300)")
    parser.add_argument("--steps-per-execution", type=int, default=None,
                        help="set this on both sides (default: the learner's own choice vs Keras's 1)")
    parser.add_argument("--json", type=Path, default=None, help="write the measurements to this file")
    args = parser.parse_args()
    if args.runs < 1 or args.epochs < 2:
        parser.error("expected --runs >= 1 and --epochs >= 2 (the steady epoch time needs two epochs)")
    work = Path(tempfile.mkdtemp(prefix="nf_iris_bench_"))
    try:
        summary = run(args, work)
    finally:  # scripts, logs, run folders and saved models
        shutil.rmtree(work, ignore_errors=True)
    summary["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                          "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print_table(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
