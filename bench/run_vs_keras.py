"""`nodeflow run` vs a hand-written Keras script doing the same work.

Both sides start a fresh Python process (start-up and TensorFlow import counted on
both), read the bundled digits data, split it 80/20 stratified, train the same CNN
for the same epochs and batch size with tf.data, predict the test split, and save a
SavedModel and a .keras file.  Target (issue #4): ratio at most 1.10 on CPU; issue #11:
at most 1.00.  Like the workflow's learner (seed 1, ``deterministic`` off), the script seeds
Keras but leaves TensorFlow's op determinism off.

``nodeflow`` ends its process without the interpreter's teardown once its work is written
(about a second with TensorFlow loaded).  A second hand-written variant does the same
(``os._exit`` after its last line), so the report also shows the ratio without that
advantage: what the pipeline and training alone cost.

    python bench/run_vs_keras.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HAND_WRITTEN = textwrap.dedent('''
    import numpy as np, tensorflow as tf, keras, sys
    out = sys.argv[1]
    data = np.load(sys.argv[2])
    images, labels = data["images"].astype("float32"), data["labels"].astype("int64")
    images = images.reshape(len(images), 8, 8, 1)
    rng = np.random.default_rng(1)
    train = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        train[rng.permutation(rows)[: round(0.8 * len(rows))]] = True
    keras.utils.set_random_seed(1)  # as the learner does with a seed (no op determinism)
    x = keras.Input((8, 8, 1))
    h = keras.layers.Rescaling(0.0625)(x)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dropout(0.3, seed=1)(h)
    y = keras.layers.Dense(10, activation="softmax")(h)
    model = keras.Model(x, y)
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    ds = tf.data.Dataset.from_tensor_slices((images[train], labels[train].astype("float32")))
    ds = ds.shuffle(int(train.sum()), seed=1).batch(32).prefetch(tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices((images[~train], labels[~train].astype("float32"))).batch(32)
    model.fit(ds, validation_data=val, epochs=EPOCHS, verbose=0)
    p = model.predict(images[~train], batch_size=32, verbose=0)
    print("accuracy", float((p.argmax(1) == labels[~train]).mean()))
    model.export(out + "/hand.savedmodel", format="tf_saved_model", verbose=False)
    model.save(out + "/hand.keras")
''')


FAST_EXIT = "\nimport os\nsys.stdout.flush()\nos._exit(0)\n"


def timed(command, cwd) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command} failed:\n{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    shutil.copy(ROOT / "workflows" / "digits_cnn.nflow", work / "digits_cnn.nflow")
    (work / "output").mkdir()
    script = work / "hand.py"
    script.write_text(HAND_WRITTEN.replace("EPOCHS", str(args.epochs)))
    fast_script = work / "hand_fast_exit.py"
    fast_script.write_text(HAND_WRITTEN.replace("EPOCHS", str(args.epochs)) + FAST_EXIT)
    data = ROOT / "resources" / "data" / "digits.npz"
    nodeflow = [sys.executable, "-m", "nodeflow", "run", "digits_cnn.nflow", "--no-cache", "--quiet",
                "--set", f"learner.epochs={args.epochs}"]
    hand = [sys.executable, str(script), str(work / "output"), str(data)]
    hand_fast = [sys.executable, str(fast_script), str(work / "output"), str(data)]
    ours, theirs, theirs_fast = [], [], []
    for _ in range(args.runs):  # interleaved, so drift in machine load hits every side
        ours.append(timed(nodeflow, work))
        theirs.append(timed(hand, work))
        theirs_fast.append(timed(hand_fast, work))
    a, b, c = (statistics.median(t) for t in (ours, theirs, theirs_fast))
    print(f"digits CNN, {args.epochs} epochs, {args.runs} runs each (median): nodeflow run {a:.2f} s, "
          f"hand-written Keras {b:.2f} s, ratio {a / b:.3f}; hand-written ending with os._exit "
          f"{c:.2f} s, ratio {a / c:.3f}")


if __name__ == "__main__":
    main()
