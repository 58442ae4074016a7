"""`nodeflow run` vs a hand-written Keras/tf.data script on generated data at scale (issue #11).

Two cases, each on data the script generates itself (numpy + Pillow / pyarrow, low memory):

images  a folder of COUNT PNG images SIZE x SIZE (RGB) in 10 class sub-folders, a small
        CNN trained for 1 epoch with batch 64.  NodeFlow: Image Folder Reader -> Category
        to Number -> Keras Network Learner.  Hand-written: keras.utils.image_dataset_from_directory
        + prefetch, the same CNN.
csv     a CSV of ROWS rows x 30 numeric columns (f0..f29) plus an integer label (10 classes),
        an MLP trained for EPOCHS epochs with batch 64.  NodeFlow: CSV Reader -> Keras Network
        Learner.  Hand-written (--hand-csv): "whole" reads the file with pyarrow.csv (multi-
        threaded) into one float32 matrix and feeds tf.data with index-shuffled batches
        (tf.gather) and prefetch; "stream" reads record batches with pyarrow.dataset through
        a generator (shuffled within each block) and never holds the whole table.

Both sides train on every row (no split, no prediction, no saved model), without a seed
unless --seed is given (then both seed with keras.utils.set_random_seed).  The hand-written
scripts use Keras defaults (jit_compile "auto" is off on a CPU-only machine,
steps_per_execution 1); NodeFlow applies its own training defaults (steps_per_execution
chosen automatically).  Each side runs in a fresh child process (start-up and TensorFlow import counted
on both); the sides are interleaved over --rounds rounds so drift in machine load hits
both.  Measured per child: wall time, peak RSS (the child's ru_maxrss from os.wait4) and,
for NodeFlow, the size of its run folder (`--no-cache --out <fresh dir>`).  Medians and
the ratios NodeFlow / hand-written are printed; --json FILE writes everything.

NodeFlow streams both cases (file-backed tables), so its side always runs.  The
hand-written "whole" CSV script loads everything and is refused when it would need more
than --mem-limit-gib (default 16; about 1 KiB per row).

    python bench/stream_vs_keras.py images --count 20000 --size 64 --rounds 3
    python bench/stream_vs_keras.py csv --rows 1000000 --epochs 2 --rounds 3
    python bench/stream_vs_keras.py csv --rows 5000000 --data /tmp/nfdata --json out.json

--data DIR keeps the generated data in DIR and reuses it on the next call (the default is a
temporary folder removed at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIB = 1024 ** 3
MIB = 1024 ** 2
CLASSES = 10
FEATURES = 30
BATCH = 64
CSV_CHUNK = 100_000

# --------------------------------------------------------------------------- data
# One colour and one shape per class; an image is a noisy background with the class's
# shape at a random place and size, so the content depends on the class but is not trivial.
COLOURS = [(220, 40, 40), (40, 200, 60), (50, 70, 220), (230, 210, 40), (200, 60, 200),
           (40, 200, 210), (240, 140, 30), (120, 120, 120), (150, 90, 40), (250, 250, 250)]


def _write_images(job):
    """Write images ``start..stop`` (class = index % 10) into ``root``; run in a worker."""
    root, start, stop, size = job
    import numpy as np
    from PIL import Image, ImageDraw

    for i in range(start, stop):
        label = i % CLASSES
        rng = np.random.default_rng(i)
        base = rng.integers(0, 60, 3)
        pixels = np.clip(base + rng.normal(0, 12, (size, size, 3)), 0, 255).astype(np.uint8)
        img = Image.fromarray(pixels, "RGB")
        draw = ImageDraw.Draw(img)
        r = int(rng.integers(size // 6, size // 3))
        cx, cy = (int(v) for v in rng.integers(r, size - r, 2))
        colour = tuple(int(np.clip(c + rng.normal(0, 20), 0, 255)) for c in COLOURS[label])
        box = (cx - r, cy - r, cx + r, cy + r)
        kind = label % 3
        if kind == 0:
            draw.ellipse(box, fill=colour)
        elif kind == 1:
            draw.rectangle(box, fill=colour)
        else:
            draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
        img.save(root / f"class_{label}" / f"img_{i:07d}.png", compress_level=1)


def make_images(folder: Path, count: int, size: int) -> Path:
    root = folder / f"images_{count}_{size}"
    if (root / ".complete").exists():
        print(f"reusing {root}", flush=True)
        return root
    if root.exists():
        shutil.rmtree(root)
    for label in range(CLASSES):
        (root / f"class_{label}").mkdir(parents=True)
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    step = 500
    jobs = [(root, i, min(i + step, count), size) for i in range(0, count, step)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_write_images, jobs))
    (root / ".complete").write_text("")
    print(f"wrote {count} PNG images {size}x{size} to {root} in {time.perf_counter() - start:.1f} s "
          f"({folder_size(root) / MIB:.0f} MiB)", flush=True)
    return root


def make_csv(folder: Path, rows: int) -> Path:
    path = folder / f"table_{rows}.csv"
    done = folder / f".table_{rows}.complete"
    if done.exists() and path.exists():
        print(f"reusing {path}", flush=True)
        return path
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    start = time.perf_counter()
    centres = np.random.default_rng(0).normal(0, 1, (CLASSES, FEATURES))
    schema = pa.schema([(f"f{i}", pa.float64()) for i in range(FEATURES)] + [("label", pa.int64())])
    with pacsv.CSVWriter(path, schema) as writer:
        for offset in range(0, rows, CSV_CHUNK):
            n = min(CSV_CHUNK, rows - offset)
            rng = np.random.default_rng(offset + 1)
            labels = rng.integers(0, CLASSES, n)
            x = np.round(centres[labels] + rng.normal(0, 1.5, (n, FEATURES)), 3)
            columns = [pa.array(x[:, i]) for i in range(FEATURES)] + [pa.array(labels)]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
    done.write_text("")
    print(f"wrote {rows} rows x {FEATURES + 1} columns to {path} in {time.perf_counter() - start:.1f} s "
          f"({path.stat().st_size / MIB:.0f} MiB)", flush=True)
    return path


def folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# --------------------------------------------------------------------------- NodeFlow side
def image_workflow(images: Path, size: int, epochs: int, seed):
    from nodeflow.core import Workflow

    wf = Workflow(description=f"issue #11 benchmark: small CNN on {images.name}")
    wf.add_node("data.ImageFolderReader", {"path": str(images), "target_size": [size, size]},
                node_id="reader")
    wf.add_node("data.CategoryToNumber", {"columns": ["label"]}, node_id="codes")
    wf.connect("reader", "table", "codes", "table")
    layers = [
        ("keras.layers.Input", {"shape": [size, size, 3]}),
        ("keras.layers.Rescaling", {"scale": 1 / 255}),
        ("keras.layers.Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"}),
        ("keras.layers.MaxPooling2D", {}),
        ("keras.layers.Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}),
        ("keras.layers.MaxPooling2D", {}),
        ("keras.layers.Conv2D", {"filters": 64, "kernel_size": 3, "padding": "same", "activation": "relu"}),
        ("keras.layers.GlobalAveragePooling2D", {}),
        ("keras.layers.Dense", {"units": CLASSES, "activation": "softmax"}),
    ]
    last = _chain(wf, layers)
    _learner(wf, last, "codes", ["image"], epochs, seed)
    return wf


def csv_workflow(path: Path, epochs: int, seed):
    from nodeflow.core import Workflow

    wf = Workflow(description=f"issue #11 benchmark: MLP on {path.name}")
    wf.add_node("data.CsvReader", {"path": str(path)}, node_id="reader")
    last = _chain(wf, [
        ("keras.layers.Input", {"shape": [FEATURES]}),
        ("keras.layers.Dense", {"units": 64, "activation": "relu"}),
        ("keras.layers.Dense", {"units": 64, "activation": "relu"}),
        ("keras.layers.Dense", {"units": CLASSES, "activation": "softmax"}),
    ])
    _learner(wf, last, "reader", [f"f{i}" for i in range(FEATURES)], epochs, seed)
    return wf


def _chain(wf, layers) -> str:
    previous = None
    for i, (type_id, params) in enumerate(layers):
        node = wf.add_node(type_id, params, position=(200.0 * i, 0.0))
        if previous:
            wf.connect(previous, "output", node.id, "input")
        previous = node.id
    return previous


def _learner(wf, network: str, table: str, features, epochs: int, seed) -> None:
    wf.add_node("learn.NetworkLearner", {
        "feature_columns": features, "target_columns": ["label"],
        "loss": "sparse_categorical_crossentropy", "optimizer": {"name": "adam", "args": {"learning_rate": 0.001}},
        "metrics": ["accuracy"], "epochs": epochs, "batch_size": BATCH, "seed": seed,
    }, node_id="learner")
    wf.connect(network, "output", "learner", "network")
    wf.connect(table, "table", "learner", "training")


# --------------------------------------------------------------------------- hand-written side
PROLOGUE = '''
    import sys, time
    import numpy as np, tensorflow as tf, keras
    SEED = {seed!r}
    if SEED is not None:
        keras.utils.set_random_seed(SEED)
'''

# the same compile and fit for both hand-written scripts
TRAIN = '''
    model = keras.Model(x, y)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(ds, epochs={epochs}, verbose=0)
    print("accuracy", history.history["accuracy"][-1])
'''

HAND_IMAGES = PROLOGUE + '''
    ds = keras.utils.image_dataset_from_directory(
        sys.argv[1], labels="inferred", label_mode="int", image_size=({size}, {size}),
        batch_size={batch}, shuffle=True, seed=SEED)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    x = keras.Input(({size}, {size}, 3))
    h = keras.layers.Rescaling(1 / 255)(x)
    h = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    y = keras.layers.Dense({classes}, activation="softmax")(h)
''' + TRAIN

MLP = '''
    x = keras.Input(({features},))
    h = keras.layers.Dense(64, activation="relu")(x)
    h = keras.layers.Dense(64, activation="relu")(h)
    y = keras.layers.Dense({classes}, activation="softmax")(h)
''' + TRAIN

HAND_CSV_WHOLE = PROLOGUE + '''
    import pyarrow.csv as pacsv
    table = pacsv.read_csv(sys.argv[1])  # multi-threaded
    n = table.num_rows
    features = np.empty((n, {features}), np.float32)
    for i in range({features}):
        features[:, i] = table.column(f"f{{i}}").to_numpy()
    labels = table.column("label").to_numpy().astype(np.int32)
    del table
    xs, ys = tf.constant(features), tf.constant(labels)
    del features, labels
    ds = (tf.data.Dataset.range(n).shuffle(n, seed=SEED, reshuffle_each_iteration=True)
          .batch({batch})
          .map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)), num_parallel_calls=tf.data.AUTOTUNE)
          .prefetch(tf.data.AUTOTUNE))
''' + MLP

HAND_CSV_STREAM = PROLOGUE + '''
    import pyarrow.csv as pacsv, pyarrow.dataset as pads
    source = pads.dataset(sys.argv[1], format=pads.CsvFileFormat(
        read_options=pacsv.ReadOptions(block_size=8 << 20)))
    names = [f"f{{i}}" for i in range({features})]

    def blocks():
        rng = np.random.default_rng(SEED)
        for batch in source.to_batches(columns=names + ["label"]):
            n = batch.num_rows
            x = np.empty((n, {features}), np.float32)
            for i, name in enumerate(names):
                x[:, i] = batch.column(name).to_numpy()
            y = batch.column("label").to_numpy().astype(np.int32)
            order = rng.permutation(n)  # shuffled within each block
            yield x[order], y[order]

    ds = (tf.data.Dataset.from_generator(blocks, output_signature=(
              tf.TensorSpec((None, {features}), tf.float32), tf.TensorSpec((None,), tf.int32)))
          .rebatch({batch}).prefetch(tf.data.AUTOTUNE))
''' + MLP


def hand_script(case: str, args) -> str:
    values = dict(seed=args.seed, batch=BATCH, classes=CLASSES, features=FEATURES,
                  epochs=args.epochs, size=getattr(args, "size", 0))
    template = HAND_IMAGES if case == "images" else (
        HAND_CSV_WHOLE if args.hand_csv == "whole" else HAND_CSV_STREAM)
    return textwrap.dedent(template).format(**values)


# --------------------------------------------------------------------------- measuring
def measure(command, log: Path, cwd: Path) -> dict:
    """Run ``command`` as a child; its wall time and peak RSS (this child and what it waited for)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()
            child.wait()
            raise
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{' '.join(map(str, command))} failed with exit code {child.returncode}:\n{tail}")
    return {"seconds": elapsed, "peak_rss_mib": usage.ru_maxrss / 1024}  # Linux: KiB


def read_events(path: Path) -> dict:
    """Seconds per node and the last epoch's training accuracy from a run's event stream."""
    seconds, accuracy = {}, float("nan")
    for line in path.read_text().splitlines():
        event = json.loads(line)
        if event.get("event") == "node_status" and "seconds" in event:
            seconds[event["node"]] = event["seconds"]
        elif event.get("event") == "epoch":
            accuracy = event.get("metrics", {}).get("accuracy", accuracy)
    top = dict(sorted(seconds.items(), key=lambda kv: -kv[1])[:3])  # layer nodes take ~0 s
    return {"node_seconds": top, "accuracy": accuracy}


def run_case(case: str, args, data_dir: Path, work: Path) -> dict:
    if case == "csv" and args.hand_csv == "whole":
        hand_estimate = args.rows * 1.0 * 1024 + 0.75 * GIB  # measured ~0.9 KiB per row at 1M rows
        if hand_estimate > args.mem_limit_gib * GIB:
            raise SystemExit(f"the hand-written 'whole' script would need about {hand_estimate / GIB:.1f} GiB "
                             f"(more than --mem-limit-gib {args.mem_limit_gib:g}); use --hand-csv stream")
    if case == "images":
        source = make_images(data_dir, args.count, args.size)
        title = f"{args.count:,} PNG images {args.size}x{args.size}, small CNN, {args.epochs} epoch(s), batch {BATCH}"
    else:
        source = make_csv(data_dir, args.rows)
        title = (f"CSV {args.rows:,} rows x {FEATURES} numbers, MLP, {args.epochs} epoch(s), batch {BATCH} "
                 f"(hand-written: {args.hand_csv})")
    data_bytes = folder_size(source)
    from nodeflow.core import save

    wf = image_workflow(source, args.size, args.epochs, args.seed) if case == "images" else \
        csv_workflow(source, args.epochs, args.seed)
    flow = work / f"{case}.nflow"
    save(wf, flow)
    script = work / f"hand_{case}.py"
    script.write_text(hand_script(case, args))

    # the generated workflow reads data kept outside its own folder (--data): trusted here
    nodeflow = [sys.executable, "-m", "nodeflow", "run", str(flow), "--no-cache", "--quiet", "--allow-outside"]
    hand = [sys.executable, str(script), str(source)]
    ours, theirs = [], []
    for r in range(args.rounds):  # interleaved, so drift in machine load hits both sides
        out, events = work / f"run_{case}_{r}", work / f"events_{case}_{r}.jsonl"
        result = measure(nodeflow + ["--out", str(out), "--events", str(events)],
                         work / f"nodeflow_{case}_{r}.log", work)
        result["run_folder_bytes"] = folder_size(out)
        result.update(read_events(events))
        shutil.rmtree(out, ignore_errors=True)
        ours.append(result)
        nodes = ", ".join(f"{k} {v:.1f} s" for k, v in result["node_seconds"].items())
        print(f"  round {r + 1}: nodeflow run {result['seconds']:.1f} s, {result['peak_rss_mib']:.0f} MiB, "
              f"run folder {result['run_folder_bytes'] / MIB:.0f} MiB, accuracy {result['accuracy']:.3f} "
              f"({nodes})", flush=True)
        log = work / f"hand_{case}_{r}.log"
        result = measure(hand, log, work)
        result["accuracy"] = next((float(line.split()[1]) for line in log.read_text(errors="replace").splitlines()
                                   if line.startswith("accuracy ")), float("nan"))
        theirs.append(result)
        print(f"  round {r + 1}: hand-written {result['seconds']:.1f} s, {result['peak_rss_mib']:.0f} MiB, "
              f"accuracy {result['accuracy']:.3f}", flush=True)
    summary = {"case": case, "title": title, "data_bytes": data_bytes, "rounds": args.rounds,
               "nodeflow": ours, "hand_written": theirs}
    for key in ("seconds", "peak_rss_mib"):
        b = statistics.median(x[key] for x in theirs)
        summary[f"hand_{key}"] = b
        if ours:
            a = statistics.median(x[key] for x in ours)
            summary[f"nodeflow_{key}"] = a
            summary[f"ratio_{key}"] = a / b
    if ours:
        summary["run_folder_bytes"] = statistics.median(x["run_folder_bytes"] for x in ours)
    return summary


def print_table(s: dict) -> None:
    print(f"\n{s['title']}: medians of {s['rounds']} round(s); data {s['data_bytes'] / MIB:,.0f} MiB")
    print("| case | NodeFlow | hand-written | ratio |")
    print("| --- | --- | --- | --- |")
    print(f"| time | {s['nodeflow_seconds']:.1f} s | {s['hand_seconds']:.1f} s | {s['ratio_seconds']:.3f} |")
    print(f"| peak memory | {s['nodeflow_peak_rss_mib']:,.0f} MiB | {s['hand_peak_rss_mib']:,.0f} MiB | "
          f"{s['ratio_peak_rss_mib']:.2f} |")
    print(f"| run folder | {s['run_folder_bytes'] / MIB:,.0f} MiB | (data {s['data_bytes'] / MIB:,.0f} MiB) | "
          f"{s['run_folder_bytes'] / s['data_bytes']:.1f}x the data |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="case", required=True)
    images = sub.add_parser("images", help="a folder of PNG images, small CNN")
    images.add_argument("--count", type=int, default=2000, help="number of images (default 2000)")
    images.add_argument("--size", type=int, default=64, help="height and width in pixels (default 64)")
    images.add_argument("--epochs", type=int, default=1)
    table = sub.add_parser("csv", help="a CSV of numbers, MLP")
    table.add_argument("--rows", type=int, default=100_000, help="number of rows (default 100000)")
    table.add_argument("--epochs", type=int, default=2)
    table.add_argument("--hand-csv", choices=("whole", "stream"), default="whole",
                       help="the hand-written side reads the whole file (default) or streams it")
    for p in (images, table):
        p.add_argument("--rounds", type=int, default=3)
        p.add_argument("--data", type=Path, default=None,
                       help="keep the generated data in this folder and reuse it (default: a temporary folder)")
        p.add_argument("--seed", type=int, default=None,
                       help="seed both sides (NodeFlow then forces op determinism; the hand-written side too)")
        p.add_argument("--mem-limit-gib", type=float, default=16.0,
                       help="refuse the hand-written 'whole' CSV script when it would need more (default 16)")
        p.add_argument("--json", type=Path, default=None, help="write the measurements to this file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="nf_stream_bench_"))
    data_dir = args.data or (work / "data")
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        summary = run_case(args.case, args, data_dir.resolve(), work)
    finally:  # logs, run folders and, without --data, the generated data
        shutil.rmtree(work, ignore_errors=True)
    summary["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                          "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print_table(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
