"""GAN Learner: trains a generator and a discriminator against each other.

The two networks arrive as references (generator: noise -> image; discriminator:
image -> one real/fake score) and are built here; they are trained the Keras way, by a
``keras.Model`` subclass whose ``train_step`` makes one discriminator update on a batch
of real and generated images and one generator update through the discriminator, so
``fit`` gives batching, steps per execution and callbacks.  Progress goes out as the
Network Learner's batch and epoch events (its callback, reused), so the Learning
Monitor draws both losses, a cancel stops within a batch, and Stop Learning ends after
the current batch keeping both networks as trained so far.  After every epoch a grid of
images generated from fixed noise goes to the node's folder (``live_images``), which the
editor's samples view follows while training runs.
"""

from __future__ import annotations

import math

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ColumnsParam, FloatParam, IntParam, NestedChoiceParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec
from nodeflow.runtime.events import Event

from . import training_defaults
from .learner import MAX_BATCH, MAX_COUNT, MAX_SEED, OPTIMIZERS, progress_callback

GRID = 64  # images in the progress grid (8 x 8)
MAX_SAMPLES = 1_000_000
# Adam as Radford et al. (2015) train DCGANs: a small step and a short memory of the
# gradient (beta_1 0.5), because each network's target moves with the other one
GAN_ADAM = {"name": "adam", "args": {"learning_rate": 0.0002, "beta_1": 0.5}}
EXPORT_REFUSAL = ("export-python writes one network and its Network Learner; the GAN Learner trains "
                  "two networks against each other with a custom train_step, which the script does "
                  "not contain")


def _gan_class(keras, tf):
    """The adversarial ``keras.Model`` (defined on first use: it needs Keras)."""
    from keras import ops

    class GAN(keras.Model):
        """One step: the discriminator learns real (label ``1 - label_smoothing``) from generated
        (label 0); then the generator learns to make the discriminator say real."""

        def __init__(self, generator, discriminator, noise_shape, from_logits, label_smoothing, seed,
                     **kwargs):
            super().__init__(**kwargs)
            self.generator, self.discriminator = generator, discriminator
            self.noise_shape, self.real_label = tuple(noise_shape), 1.0 - label_smoothing
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)
            self.d_loss = keras.metrics.Mean(name="discriminator_loss")
            self.g_loss = keras.metrics.Mean(name="generator_loss")

        @property
        def metrics(self):
            return [self.d_loss, self.g_loss]

        def compile(self, d_optimizer, g_optimizer, **kwargs):
            super().compile(**kwargs)
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

        def noise(self, rows):
            return keras.random.normal((rows, *self.noise_shape), seed=self.seed_generator)

        def train_step(self, real):
            rows = ops.shape(real)[0]
            fake = self.generator(self.noise(rows), training=True)
            with tf.GradientTape() as tape:
                real_score = self.discriminator(real, training=True)
                fake_score = self.discriminator(fake, training=True)
                d_loss = (self.bce(ops.full_like(real_score, self.real_label), real_score)
                          + self.bce(ops.zeros_like(fake_score), fake_score))
            weights = self.discriminator.trainable_weights
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
            with tf.GradientTape() as tape:
                score = self.discriminator(self.generator(self.noise(rows), training=True), training=True)
                g_loss = self.bce(ops.ones_like(score), score)
            weights = self.generator.trainable_weights
            self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
            self.d_loss.update_state(d_loss)
            self.g_loss.update_state(g_loss)
            return {m.name: m.result() for m in self.metrics}

    return GAN


def _shapes(generator, discriminator, images):
    """``(noise shape, whether the discriminator's score is a logit)``; a NodeRunError names the
    port whose network does not fit the images (no sigmoid at the end: a logit)."""
    from .executor import _output_activations

    if len(generator.inputs) != 1 or len(generator.outputs) != 1:
        raise NodeRunError(f"generator: expected a network with one input (the noise) and one output "
                           f"(the image), got {len(generator.inputs)} input(s) and "
                           f"{len(generator.outputs)} output(s)")
    if len(discriminator.inputs) != 1 or len(discriminator.outputs) != 1:
        raise NodeRunError(f"discriminator: expected a network with one input (the image) and one "
                           f"output (the real/fake score), got {len(discriminator.inputs)} input(s) and "
                           f"{len(discriminator.outputs)} output(s)")
    noise = tuple(generator.inputs[0].shape[1:])
    if any(d is None for d in noise):
        raise NodeRunError(f"generator: its input (the noise) needs a fixed shape, got {noise}")
    made, seen = tuple(generator.outputs[0].shape[1:]), tuple(discriminator.inputs[0].shape[1:])
    row = tuple(images.shape[1:])
    for name, shape in (("generator", made), ("discriminator", seen)):
        what = "output" if name == "generator" else "input"
        if len(shape) != len(row) or any(d is not None and d != r for d, r in zip(shape, row)):
            raise NodeRunError(f"{name}: its {what} has shape {shape}, the image column's rows have "
                               f"shape {row}; both networks must work on images of the real images' shape")
    score = tuple(discriminator.outputs[0].shape[1:])
    if score not in ((1,), ()):
        raise NodeRunError(f"discriminator: expected one score per image (an output of shape (1,)), "
                           f"got {score}")
    return noise, _output_activations(discriminator, 1)[0] != "sigmoid"


def _real_images(inputs, params):
    import numpy as np

    from nodes.data._common import input_table

    table = input_table(inputs, "training")
    column = params["image_column"][0]
    if column not in table.column_names:
        raise NodeRunError(f"image_column: no column {column!r} in the training table; its columns are "
                           f"{', '.join(table.column_names)}")
    images = np.asarray(table[column])
    if images.ndim < 2 or images.dtype.kind not in "biuf":
        raise NodeRunError(f"image_column: expected a numeric image column (one array per row), got "
                           f"{images.dtype} values of shape {images.shape[1:]}")
    if table.num_rows == 0:
        raise NodeRunError("training: expected at least one row, got an empty table")
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)):
        raise NodeRunError(f"image_column: column {column} holds missing or infinite values")
    return images


def _grid_callback(keras, context, noise, epochs):
    """Writes the generator's images of the fixed ``noise`` before training and after each epoch."""
    from nodeflow.runtime.live_images import write_progress

    class SampleGrid(keras.callbacks.Callback):
        def __init__(self, generator):
            super().__init__()
            self.generator = generator

        def write(self, epoch):
            write_progress(context.node_dir, "samples", self.generator.predict_on_batch(noise), epoch, epochs)

        def on_train_begin(self, logs=None):
            self.write(0)

        def on_epoch_end(self, epoch, logs=None):
            self.write(epoch + 1)

    return SampleGrid


def run_gan(context, inputs, params):
    import numpy as np

    from nodeflow.keras import load_keras
    from nodeflow.keras.layers import keras_params
    from nodeflow.runtime.live_images import remove_progress
    from nodeflow.runtime.table import Table

    from .learner import device_description

    keras = load_keras()
    import tensorflow as tf

    seed = params["seed"]
    if seed is not None:
        keras.utils.set_random_seed(seed)
    remove_progress(context.node_dir, "samples")  # an earlier run's grid is not this one's
    images = _real_images(inputs, params)
    generator = inputs["generator"].build(name="generator")
    discriminator = inputs["discriminator"].build(name="discriminator")
    noise_shape, from_logits = _shapes(generator, discriminator, images)
    gpus = tf.config.list_logical_devices("GPU")
    device = gpus[0].name.split("device:")[-1] if gpus else "CPU:0"
    context.emit(Event.DEVICE, device=device, description=device_description(tf, device),
                 strategy=None, replicas=1)
    gan = _gan_class(keras, tf)(generator, discriminator, noise_shape, from_logits,
                                params["label_smoothing"], seed)
    optimizers = keras_params(SPEC, {"discriminator_optimizer": params["discriminator_optimizer"],
                                     "generator_optimizer": params["generator_optimizer"]})
    batch_size, epochs = params["batch_size"], params["epochs"]
    steps = math.ceil(len(images) / batch_size)
    gan.compile(optimizers["discriminator_optimizer"], optimizers["generator_optimizer"],
                steps_per_execution=training_defaults.steps_per_execution(gan, 2 * batch_size, steps, device))
    data = tf.data.Dataset.from_tensor_slices(images).shuffle(
        len(images), seed=seed, reshuffle_each_iteration=True).batch(batch_size).prefetch(tf.data.AUTOTUNE)
    rng = np.random.default_rng(seed)
    fixed = rng.standard_normal((GRID, *noise_shape)).astype(np.float32)
    context.log(f"training a GAN on {len(images):,} real images of shape {images.shape[1:]} from noise "
                f"of shape {noise_shape}, {gan.steps_per_execution} step(s) per execution; the "
                f"discriminator's score is {'a logit' if from_logits else 'a probability (sigmoid)'}")
    progress = progress_callback(keras, context, epochs, steps)
    try:
        history = gan.fit(data, epochs=epochs, verbose=0, shuffle=False,
                          callbacks=[progress, _grid_callback(keras, context, fixed, epochs)(generator)])
    except (tf.errors.OpError, ValueError) as exc:
        raise NodeRunError(f"training failed: {str(exc).strip().splitlines()[0][:300]}") from None
    if progress.stopped_early:
        context.log(f"training stopped by request after {len(history.history.get('generator_loss', []))} "
                    "epoch(s); both networks are kept as trained so far")
    noise = rng.standard_normal((params["samples"], *noise_shape)).astype(np.float32)
    made = generator.predict(noise, batch_size=256, verbose=0)
    columns = {"epoch": np.arange(1, len(history.history.get("generator_loss", [])) + 1, dtype=np.int64)}
    columns.update({k: np.asarray(v, dtype=np.float64) for k, v in history.history.items()})
    return {"generator": generator, "discriminator": discriminator,
            "samples": Table({params["image_column"][0]: made.astype(np.float32), "noise": noise}),
            "history": Table(columns)}


SPEC = NodeSpec(
    type_id="learn.GanLearner",
    display_name="GAN Learner",
    category="Learning",
    family="learn",
    description=(
        "Trains a generative adversarial network: a generator that turns random noise into images "
        "and a discriminator that tells real images from generated ones, trained against each "
        "other until the generated images look like the real ones. Connect the generator's last "
        "layer (its Input takes the noise, e.g. 32 numbers; its output has the images' shape), "
        "the discriminator's last layer (its Input takes an image; its output is one unit: a "
        "logit, or a probability when it ends in a sigmoid) and a table of real images. Both "
        "networks should see images in the same units as the table: e.g. a generator ending in "
        "tanh and a Rescaling to the data's range, a discriminator starting with the inverse "
        "Rescaling. Outputs the trained generator and discriminator, a table of generated "
        "samples, and the two losses per epoch. Stop Learning keeps both networks as trained so "
        "far; the samples view shows images from the same noise after every epoch while training "
        "runs. Set a seed to make a CPU run repeatable."
    ),
    inputs=(
        Port("generator", "network", "The generator: noise in, one image out (its last layer)."),
        Port("discriminator", "network",
             "The discriminator: an image in, one real/fake score out (its last layer)."),
        Port("training", "table", "The real images."),
    ),
    outputs=(
        Port("generator", "model", "The trained generator: noise in, an image out."),
        Port("discriminator", "model", "The trained discriminator: an image in, its real/fake score out."),
        Port("samples", "table", "Images generated from new noise (and that noise), one per row.",
             view="image_grid"),
        Port("history", "table", "One row per epoch: the discriminator's and the generator's loss.",
             view="history"),
    ),
    params=(
        ColumnsParam(name="image_column", group="Data", min_count=1, max_count=1,
                     help="The column of real images (one array per row, e.g. 8x8x1); the samples "
                          "table has generated images under the same name."),
        NestedChoiceParam(name="discriminator_optimizer", group="Loss and optimizer", default=GAN_ADAM,
                          options=OPTIMIZERS,
                          help="How the discriminator's weights are updated. The default is the "
                               "DCGAN setting: Adam with learning rate 0.0002 and beta_1 0.5."),
        NestedChoiceParam(name="generator_optimizer", group="Loss and optimizer", default=GAN_ADAM,
                          options=OPTIMIZERS,
                          help="How the generator's weights are updated (default as the discriminator's)."),
        FloatParam(name="label_smoothing", group="Loss and optimizer", default=0.1, min=0.0, max=1.0,
                   max_open=True,
                   help="One-sided label smoothing: the discriminator learns real images as "
                        "1 - this value instead of 1, so it never becomes certain and the "
                        "generator keeps getting gradients (Salimans et al., 2016). 0 for none."),
        IntParam(name="epochs", group="Training", default=50, min=1, max=MAX_COUNT,
                 help="Passes over the real images."),
        IntParam(name="batch_size", group="Training", default=64, min=1, max=MAX_BATCH,
                 help="Real images per step; each step also generates as many."),
        IntParam(name="seed", group="Training", default=None, optional=True, min=0, max=MAX_SEED,
                 help="Random seed for weights, shuffling and noise; makes CPU runs repeatable on "
                      "the same machine."),
        IntParam(name="samples", group="Output", default=100, min=1, max=MAX_SAMPLES,
                 help="Rows of the samples table: images generated from new noise after training."),
    ),
    keywords=("gan", "generative", "adversarial", "generator", "discriminator", "dcgan", "train"),
    run=run_gan,
    export_refusal=EXPORT_REFUSAL,
)

NODES = (SPEC,)
