"""Keras Network Learner: trains the network wired into it on a table.

The network arrives as a reference and is built into a fresh Keras model here;
table columns become the model's inputs and targets; data reaches the model
through ``tf.data`` (shuffled with the seed, batched, prefetched).  Progress goes
out as batch and epoch events; a cancel stops within a batch, a stop request
ends training after the current batch and keeps the model trained so far.
"""

from __future__ import annotations

import math
import threading
import time

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import (
    BoolParam,
    ChoiceParam,
    ColumnsParam,
    FileParam,
    FloatParam,
    IntParam,
    JsonParam,
    NestedChoiceParam,
    Option,
    TextListParam,
    TextParam,
)
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec
from nodeflow.runtime import devices
from nodeflow.runtime.events import Event

from . import training_defaults
from .feed import raise_pipeline_error
from .callbacks import CHECKPOINT_FILE, CHECKPOINT_FOLDER, callback_calls, default_monitor

LOSSES = (
    "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "mean_squared_error",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "huber", "log_cosh", "kl_divergence", "poisson", "cosine_similarity", "hinge",
    "squared_hinge", "categorical_hinge", "dice", "tversky",
)
SPARSE_LOSSES = {"sparse_categorical_crossentropy"}

# Upper bounds, so that validation names the parameter instead of TensorFlow failing
# deep inside a run (a batch size of 2**63 overflows its int64 arithmetic).
MAX_COUNT = 1_000_000  # epochs, patience, steps per execution
MAX_BATCH = 2**24  # rows per step: far beyond any memory, well within TensorFlow's ints
MAX_SEED = 2**32 - 1  # NumPy's seeds are 32-bit


def _lr(default: float = 0.001) -> FloatParam:
    return FloatParam(name="learning_rate", default=default, min=0.0, min_open=True,
                      help="Step size of each update; the most important training setting.")


def _eps(default: float = 1e-07) -> FloatParam:
    return FloatParam(name="epsilon", default=default, min=0.0, help="Small constant for numerical stability.")


def _beta(name: str, default: float) -> FloatParam:
    return FloatParam(name=name, default=default, min=0.0, max=1.0, max_open=True,
                      help="Decay rate of the moving average of the gradient"
                           + (" (first moment)." if name == "beta_1" else " (second moment)."))


_WD = FloatParam(name="weight_decay", default=None, optional=True, min=0.0,
                 help="Decoupled weight decay; empty for none.")

OPTIMIZERS = (
    Option("adam", "Adam", "Adaptive moments: a robust default for most networks.",
           (_lr(), _beta("beta_1", 0.9), _beta("beta_2", 0.999), _eps(),
            BoolParam(name="amsgrad", default=False, help="Use the AMSGrad variant."), _WD)),
    Option("adamw", "AdamW", "Adam with decoupled weight decay; common for large models.",
           (_lr(), FloatParam(name="weight_decay", default=0.004, min=0.0, help="Decoupled weight decay."),
            _beta("beta_1", 0.9), _beta("beta_2", 0.999), _eps(),
            BoolParam(name="amsgrad", default=False, help="Use the AMSGrad variant."))),
    Option("sgd", "SGD", "Plain stochastic gradient descent, optionally with momentum.",
           (_lr(0.01), FloatParam(name="momentum", default=0.0, min=0.0, help="Momentum factor."),
            BoolParam(name="nesterov", default=False, help="Use Nesterov momentum."), _WD)),
    Option("rmsprop", "RMSprop", "Divides by a moving average of squared gradients; good for RNNs.",
           (_lr(), FloatParam(name="rho", default=0.9, min=0.0, max=1.0, help="Decay of the average."),
            FloatParam(name="momentum", default=0.0, min=0.0, help="Momentum factor."), _eps(),
            BoolParam(name="centered", default=False, help="Normalize by the gradient's variance."), _WD)),
    Option("adadelta", "Adadelta", "Adapts step sizes from a window of past updates.",
           (_lr(), FloatParam(name="rho", default=0.95, min=0.0, max=1.0, help="Decay rate."), _eps(), _WD)),
    Option("adagrad", "Adagrad", "Per-parameter step sizes shrinking with past gradients; sparse data.",
           (_lr(), FloatParam(name="initial_accumulator_value", default=0.1, min=0.0,
                              help="Starting value of the accumulators."), _eps(), _WD)),
    Option("adamax", "Adamax", "Adam with the infinity norm.",
           (_lr(), _beta("beta_1", 0.9), _beta("beta_2", 0.999), _eps(), _WD)),
    Option("nadam", "Nadam", "Adam with Nesterov momentum.",
           (_lr(), _beta("beta_1", 0.9), _beta("beta_2", 0.999), _eps(), _WD)),
    Option("lion", "Lion", "Sign-based updates; use a 3-10x smaller learning rate than Adam.",
           (_lr(), _beta("beta_1", 0.9), _beta("beta_2", 0.99), _WD)),
    Option("ftrl", "Ftrl", "Follow the regularized leader; for wide, sparse models.",
           (_lr(),
            FloatParam(name="l1_regularization_strength", default=0.0, min=0.0, help="L1 penalty."),
            FloatParam(name="l2_regularization_strength", default=0.0, min=0.0, help="L2 penalty."), _WD)),
)

NETWORK = Port("network", "network", "The network to train (connect the last layer's output).")
TRAIN = Port("training", "table", "The training data.")
VALIDATION = Port("validation", "table", "Optional validation data, scored after every epoch.",
                  optional=True)


# --------------------------------------------------------------------------- data
def _target_plan(params, model):
    """``(target columns per model output, loss per output)``, checked against the outputs."""
    loss = params["loss"]
    if params["output_targets"]:
        mapping = params["output_targets"]
        outputs = list(model.output_names)
        columns, losses = [], []
        for name in outputs:
            spec = mapping.get(name)
            if not isinstance(spec, dict) or "columns" not in spec:
                raise NodeRunError(f"output_targets: expected an entry {{\"columns\": [...], \"loss\": ...}} "
                                   f"for the model output {name}; outputs are: {', '.join(outputs)}")
            columns.append(list(spec["columns"]))
            losses.append(spec.get("loss", loss))
        return columns, losses
    if not params["target_columns"]:
        raise NodeRunError("target_columns: expected at least one target column, got none")
    if len(model.outputs) != 1:
        raise NodeRunError(f"target_columns: the network has {len(model.outputs)} outputs; map each to "
                           "its columns and loss with output_targets")
    return [list(params["target_columns"])], [loss]


def _check_targets(ys, losses, model, params):
    import numpy as np

    for y, loss, out in zip(ys, losses, model.outputs):
        units = out.shape[-1]
        steps = tuple(out.shape[1:-1])  # a sequence output has classes per step: one label each
        if loss in SPARSE_LOSSES:
            if steps and (y.ndim - 1 != len(steps)
                          or any(s is not None and s != n for s, n in zip(steps, y.shape[1:]))):
                raise NodeRunError(f"target_columns: {loss} on an output of {len(steps)}-d steps {steps} "
                                   f"expects class numbers shaped (rows, {', '.join(map(str, steps))}), "
                                   f"got {tuple(y.shape[1:])} per row")
            if not steps and (y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1)):
                raise NodeRunError(f"target_columns: {loss} expects one column of class numbers, "
                                   f"got {y.shape[1]} columns")
            if not np.all(np.equal(np.mod(y, 1), 0)):
                raise NodeRunError(f"target_columns: {loss} expects whole class numbers, got fractions")
            low, high = int(np.min(y)), int(np.max(y))
            if low < 0 or (units is not None and high >= units):
                raise NodeRunError(
                    f"target_columns: labels must lie in 0..{units - 1} for {loss} with {units} output "
                    f"units, got labels from {low} to {high}")
        elif units is not None and y.ndim == 2 and y.shape[1] != units and units != 1:
            raise NodeRunError(f"target_columns: the network's output has {units} units, the target "
                               f"columns give {y.shape[1]} values per row")


def _feed(inputs, port, params, model, targets):
    """The table on ``port`` as a :class:`.feed.Feed` (in memory or streamed from files)."""
    from nodes.data._common import any_table

    from .feed import Feed

    table = any_table(inputs, port)
    if table.num_rows == 0:
        raise NodeRunError(f"{port}: expected at least one row, got an empty table")
    return Feed(table, model, params["feature_columns"], targets, port)


def _class_weights(y, params):
    import numpy as np

    if params["class_weights"]:
        try:
            return {int(k): float(v) for k, v in params["class_weights"].items()}
        except (TypeError, ValueError):
            raise NodeRunError("class_weights: expected {\"class number\": weight, ...}") from None
    if params["class_weighting"] != "balanced":
        return None
    labels = y.reshape(-1).astype(int)
    counts = np.bincount(labels)
    present = counts > 0
    weights = np.zeros_like(counts, dtype=float)
    weights[present] = len(labels) / (present.sum() * counts[present])
    return {i: float(w) for i, w in enumerate(weights) if present[i]}


# --------------------------------------------------------------------------- training
def progress_callback(keras, context, epochs, steps):
    class Progress(keras.callbacks.Callback):
        """Batch and epoch events; cancel and stop requests checked after every batch, or after
        every execution of several steps (Keras then reports its last step, which at the end of
        an epoch may lie past the data: counted as the epoch's last batch).

        ``async_safe``: Keras then runs the batch hooks in a thread pool and the training loop
        never waits for them, as it does with no callbacks at all (a batch hook it must wait
        for costs a synchronisation per step).  What the hook does is safe there: one lock
        keeps the events in order (a late batch is skipped), ``stop_training`` is a flag the
        loop reads, and a cancel raised in the pool reaches the loop at its next batch."""

        async_safe = True

        def __init__(self):
            super().__init__()
            self.epoch = 0
            self.epoch_start = time.perf_counter()
            self.last_emit = 0.0
            self.last_batch = -1
            self.stopped_early = False
            self._lock = threading.Lock()

        def on_epoch_begin(self, epoch, logs=None):
            with self._lock:
                self.epoch = epoch
                self.epoch_start = time.perf_counter()
                self.last_batch = -1

        def on_train_batch_end(self, batch, logs=None):
            with self._lock:
                context.check_cancelled()
                now = time.perf_counter()
                batch = min(batch, steps - 1) if steps else batch
                if batch <= self.last_batch:  # overtaken by a later batch's hook
                    return
                self.last_batch = batch
                if now - self.last_emit >= 0.2 or batch + 1 == steps:
                    self.last_emit = now
                    context.emit(Event.BATCH, epoch=self.epoch + 1, epochs=epochs, batch=batch + 1,
                                 batches=steps, metrics=_floats(logs),
                                 seconds=round(now - self.epoch_start, 3))  # the learner's clock: for the ETA
                if context.stop_requested and not self.model.stop_training:
                    self.stopped_early = True
                    self.model.stop_training = True
                    context.log(f"stop requested: training ends after batch {batch + 1} of epoch "
                                f"{self.epoch + 1}, keeping the model trained so far")

        def on_epoch_end(self, epoch, logs=None):
            metrics = _floats(logs)
            context.emit(Event.EPOCH, epoch=epoch + 1, epochs=epochs, metrics=metrics,
                         seconds=round(time.perf_counter() - self.epoch_start, 3))
            bad = [k for k, v in metrics.items() if "loss" in k and not math.isfinite(v)]
            if bad:
                raise NodeRunError(
                    f"{bad[0]} became {metrics[bad[0]]} in epoch {epoch + 1}: training diverged; "
                    "lower the learning rate, normalize the inputs or check the data for missing values")

    return Progress()


def _floats(logs) -> dict:
    return {k: float(v) for k, v in (logs or {}).items() if isinstance(v, (int, float)) or hasattr(v, "__float__")}


ASYNC_SAFE = {"TerminateOnNaN"}  # Keras callbacks whose batch hooks may run in Keras's thread pool


def _callbacks(keras, context, params, has_validation):
    """The callbacks declared in :mod:`.callbacks` that the parameters switch on."""
    folder = context.node_dir / CHECKPOINT_FOLDER
    tensorboard = params["tensorboard_dir"]
    given = {"monitor": default_monitor(has_validation), "checkpoint_path": str(folder / CHECKPOINT_FILE),
             "tensorboard_dir": context.resolve_path(tensorboard) if tensorboard else None}
    calls = callback_calls(params, given)
    if any(name == "ModelCheckpoint" for name, _ in calls):
        folder.mkdir(parents=True, exist_ok=True)
    made = [getattr(keras.callbacks, name)(**kwargs) for name, kwargs in calls]
    for callback in made:
        if type(callback).__name__ in ASYNC_SAFE:
            callback.async_safe = True  # its batch hook only reads the loss and sets a flag
    return made


def _device_scope(choice):
    """``(scope, device names, strategy)`` for the ``device`` setting: the scope to build,
    compile and fit in; a ``tf.distribute.MirroredStrategy`` for several devices, else None."""
    import contextlib

    import tensorflow as tf

    gpus = len(tf.config.list_physical_devices("GPU"))
    # logical CPU devices are only asked for when named: listing them starts TensorFlow's runtime
    cpus = len(tf.config.list_logical_devices("CPU")) if "cpu:" in choice else 1
    try:
        names = devices.resolve(choice, gpus, cpus)
    except ValueError as exc:
        raise NodeRunError(f"device: {exc}") from None
    if len(names) > 1:
        strategy = tf.distribute.MirroredStrategy(devices=[f"/{name}" for name in names])
        return strategy.scope(), names, strategy
    if choice == "auto":  # one device or none: TensorFlow places operations as it does by default
        return contextlib.nullcontext(), names, None
    return tf.device(f"/{names[0]}"), names, None


def device_description(tf, device_name: str) -> str:
    """``NVIDIA H100 80GB HBM3`` for a GPU, the processor for the CPU (for the monitor)."""
    import platform

    kind, _, index = device_name.partition(":")
    if kind == "GPU":
        try:
            gpu = tf.config.list_physical_devices("GPU")[int(index)]
            return tf.config.experimental.get_device_details(gpu).get("device_name", device_name)
        except (IndexError, ValueError, RuntimeError):
            return device_name
    return platform.processor() or platform.machine() or "CPU"


def _adapt_normalization(keras, model, feed, batch_size, context):
    """Normalization layers without mean/variance learn them from the training data."""
    for layer in model.layers:
        if layer.__class__.__name__ != "Normalization" or layer.get_config().get("mean") is not None:
            continue
        probe = keras.Model(model.inputs, layer.input)
        if feed.streamed:  # one pass over the blocks; the layer accumulates the statistics
            data = feed.dataset(max(batch_size, 1024), with_targets=False).map(
                lambda x: probe(x, training=False))
        else:
            data = probe.predict(feed.dataset(max(batch_size, 1024), with_targets=False), verbose=0)
        layer.adapt(data)
        context.log(f"adapted {layer.name} to the training data")


def run_learner(context, inputs, params):
    from nodeflow.keras import load_keras
    from nodeflow.keras.layers import keras_params

    keras = load_keras()
    import tensorflow as tf

    choice = params["device"] if context.device == "auto" else context.device
    if params["seed"] is not None:
        keras.utils.set_random_seed(params["seed"])
    elif params["deterministic"]:
        keras.utils.set_random_seed(0)
        context.log("deterministic without a seed: seeded with 0")
    previous_policy = keras.config.dtype_policy()
    restore_determinism = training_defaults.set_op_determinism(params["deterministic"])
    try:
        scope, names, strategy = _device_scope(choice)
        device_name = names[0]  # the devices of one box are alike: the first decides the defaults
        replicas = strategy.num_replicas_in_sync if strategy else 1
        descriptions = list(dict.fromkeys(device_description(tf, name) for name in names))
        context.emit(Event.DEVICE, device=",".join(names), description=", ".join(descriptions),
                     strategy=type(strategy).__name__ if strategy else None, replicas=replicas)
        if strategy:
            context.log(f"training on {replicas} replicas ({type(strategy).__name__}: "
                        f"{', '.join(names)}); each step splits the batch of {params['batch_size']} "
                        "rows between them")
        if training_defaults.mixed_precision(params["mixed_precision"], device_name):
            keras.config.set_dtype_policy("mixed_float16")
            context.log(f"mixed precision on {device_name}: float16 computations, float32 weights")
        with scope:
            model = inputs["network"].build(name=context.node_id)
            targets, losses = _target_plan(params, model)
            feed = _feed(inputs, "training", params, model, targets)
            ys = feed.target_arrays()
            _check_targets(ys, losses, model, params)
            batch_size = params["batch_size"]
            cache = str(context.node_dir / "cache" / "training") if params["cache"] == "file" else None
            validation = vfeed = None
            if inputs.get("validation") is not None:
                vfeed = _feed(inputs, "validation", params, model, targets)
                _check_targets(vfeed.target_arrays(), losses, model, params)
                validation = vfeed.dataset(batch_size, cache_file=cache and cache.replace("training", "validation"))
            if cache:
                (context.node_dir / "cache").mkdir(parents=True, exist_ok=True)
                for old in (context.node_dir / "cache").iterdir():  # an earlier run's rows
                    old.unlink()
            context.log(f"training data: {feed.rows:,} rows, "
                        + ("streamed from files in blocks" if feed.streamed else "in memory")
                        + (f", {len(feed.images)} image column(s) decoded in parallel" if feed.images else ""))
            if feed.augmentations:
                from nodeflow.runtime.augment import describe

                context.log("augmenting training batches: " + "; ".join(map(describe, feed.augmentations)))
            _adapt_normalization(keras, model, feed, batch_size, context)
            optimizer = keras_params(SPEC, {"optimizer": params["optimizer"]})["optimizer"]
            if strategy and (params["steps_per_execution"] or 1) > 1:
                context.warn("steps_per_execution: Keras 3 fails with several steps per execution "
                             "under MirroredStrategy; training with one step per execution")
            try:
                model.compile(optimizer=optimizer, loss=losses if len(losses) > 1 else losses[0],
                              metrics=list(params["metrics"]) or None,
                              jit_compile=training_defaults.jit_compile(params["xla"]),
                              # Keras 3's multi-step loop fails under MirroredStrategy ("You
                              # must feed a value for placeholder tensor"): one step per call
                              steps_per_execution=1 if strategy else training_defaults.steps_per_execution(
                                  model, batch_size, feed.steps(batch_size), device_name,
                                  params["steps_per_execution"]))
            except ValueError as exc:
                raise NodeRunError(f"metrics: {exc}") from None
            context.log(f"compiled with XLA {'on' if model.jit_compile else 'off'}, "
                        f"{model.steps_per_execution} step(s) per execution")
            class_weight = _class_weights(ys[0], params) if len(ys) == 1 else None
            del ys
            train = feed.dataset(batch_size, params["shuffle"], params["seed"], training=True,
                                 cache_file=cache)
            steps = feed.steps(batch_size)
            progress = progress_callback(keras, context, params["epochs"], steps)
            callbacks = [progress, *_callbacks(keras, context, params, validation is not None)]
            if validation is None and params["validation_split"] > 0:
                context.warn("validation_split is ignored when training from a tf.data pipeline; "
                             "connect a validation table (e.g. from Partitioning) instead")
            try:
                history = model.fit(train, validation_data=validation, epochs=params["epochs"],
                                    callbacks=callbacks, class_weight=class_weight, verbose=0,
                                    shuffle=False)  # tf.data shuffles, with the seed
            except (tf.errors.OpError, ValueError) as exc:
                for source in (feed, vfeed):
                    if source is not None:
                        raise_pipeline_error(source, exc)
                raise NodeRunError(f"training failed: {str(exc).strip().splitlines()[0][:300]}") from None
    finally:
        keras.config.set_dtype_policy(previous_policy)
        restore_determinism()
    losses_seen = history.history.get("loss", [])
    if losses_seen and not math.isfinite(losses_seen[-1]):
        raise NodeRunError("loss became NaN: training diverged; lower the learning rate, normalize the "
                           "inputs or check the data for missing values")
    from nodeflow.runtime.table import Table
    import numpy as np

    epochs_run = len(losses_seen)
    columns = {"epoch": np.arange(1, epochs_run + 1, dtype=np.int64)}
    columns.update({k: np.asarray(v, dtype=np.float64) for k, v in history.history.items()})
    if progress.stopped_early:
        context.log(f"training stopped by request after {epochs_run} epoch(s)")
    return {"model": model, "history": Table(columns)}


def export_training(node_id, spec, params, inputs, ctx):
    """``compile_model`` and ``train`` functions that do what this learner does."""
    from nodeflow.keras.export import INDENT, value_code

    optimizer = value_code(spec, "optimizer", params["optimizer"], ctx.workflow)
    loss = params["loss"] if not params["output_targets"] else \
        [t.get("loss", params["loss"]) for t in params["output_targets"].values()]
    seed = params["seed"]
    columns = ", ".join(params["feature_columns"])
    targets = ", ".join(params["target_columns"]) or "see output_targets"
    on_cpu = all(item.startswith("cpu") for item in params["device"].split(","))
    helpers = []  # the learner's own functions, copied: the script stands alone
    steps = params["steps_per_execution"]
    if steps is None:
        helpers.append(training_defaults.auto_steps_per_execution)
        gpu = "False" if on_cpu else 'bool(tf.config.list_physical_devices("GPU"))'
        steps = f"auto_steps_per_execution(model, {params['batch_size']}, on_gpu={gpu})"
    strategy = _export_strategy(params["device"], ctx)
    if strategy is not None:  # Keras 3 runs one step per execution under a strategy (see run_learner)
        steps = f"1 if tf.distribute.get_strategy().num_replicas_in_sync > 1 else {steps}"
    mixed = "off" if on_cpu and params["mixed_precision"] == "auto" else params["mixed_precision"]
    if mixed == "on":
        ctx.prologue.append('keras.config.set_dtype_policy("mixed_float16")  # the learner\'s mixed precision')
    elif mixed == "auto":
        helpers.append(training_defaults.mixed_precision_helps)
        ctx.prologue += ["if mixed_precision_helps(tf):  # the learner's mixed_precision auto",
                         f'{INDENT}keras.config.set_dtype_policy("mixed_float16")']
    lines = [part for helper in helpers
             for part in (*training_defaults.function_source(helper).splitlines(), "", "")]
    lines += strategy or []
    lines += [
        "def compile_model(model: keras.Model) -> keras.Model:",
        f'{INDENT}"""Compiles as the workflow\'s learner node {node_id} does."""',
        f"{INDENT}model.compile(",
        f"{INDENT}    optimizer={optimizer},",
        f"{INDENT}    loss={loss!r},",
        f"{INDENT}    metrics={list(params['metrics'])!r},",
        f"{INDENT}    jit_compile={training_defaults.jit_compile(params['xla'])!r},",
        f"{INDENT}    steps_per_execution={steps},",
        f"{INDENT})",
        f"{INDENT}return model",
        "",
        "",
        f"def train(model: keras.Model, x, y, validation_data=None, epochs: int = {params['epochs']}):",
        f'{INDENT}"""Trains as {node_id} does. x: the columns {columns} (stacked per row, or the',
        f"{INDENT}image/sequence column as is); y: {targets}; validation_data: (x, y) or None.",
        f'{INDENT}"""',
    ]
    if seed is None and params["deterministic"]:
        seed = 0
    if seed is not None:  # seeded before the layers are made, as the learner does
        ctx.prologue.append(f"keras.utils.set_random_seed({seed})  # the learner's seed")
    if params["deterministic"]:
        ctx.prologue.append("tf.config.experimental.enable_op_determinism()")
    shuffle = (f".shuffle(len(y), seed={seed!r}, reshuffle_each_iteration=True)"
               if params["shuffle"] else "")
    lines += [
        f"{INDENT}data = tf.data.Dataset.from_tensor_slices((x, y)){shuffle}",
        f"{INDENT}data = data.batch({params['batch_size']}).prefetch(tf.data.AUTOTUNE)",
        f"{INDENT}if validation_data is not None:",
        f"{INDENT}    validation_data = tf.data.Dataset.from_tensor_slices(validation_data)"
        f".batch({params['batch_size']})",
        f"{INDENT}return model.fit(data, validation_data=validation_data, epochs=epochs, "
        "callbacks=make_callbacks(validation_data is not None), shuffle=False, verbose=2)",
    ]
    return export_callbacks(node_id, params, ctx) + ["", ""] + lines, {"tensorflow as tf"}


def _export_strategy(device: str, ctx) -> list[str] | None:
    """A ``make_strategy`` function for a learner that may train on several devices (its
    ``device`` names several, or ``auto``/``gpus`` on a machine with several GPUs), and the
    script's main set to build and compile inside its scope; None for one device."""
    from nodeflow.keras.export import INDENT

    listed = device.upper().split(",")
    if device in ("auto", "gpus"):
        devices, doc = "", f"every GPU when there are several (device {device})"
    elif len(listed) > 1:
        devices, doc = f"devices={listed!r}", f"one replica on each of {', '.join(listed)}"
    else:
        return None
    ctx.main_scope = "make_strategy().scope()"
    return [
        "def make_strategy() -> tf.distribute.Strategy:",
        f'{INDENT}"""Synchronous data-parallel training on {doc}.',
        "",
        f'{INDENT}The batch size is the global batch, split between the replicas."""',
        *([f'{INDENT}if len(tf.config.list_logical_devices("GPU")) < 2:',
           f"{INDENT}    return tf.distribute.get_strategy()  # one device: no replicas"]
          if not devices else []),
        f"{INDENT}return tf.distribute.MirroredStrategy({devices})",
        "",
        "",
    ]


def export_callbacks(node_id, params, ctx) -> list[str]:
    """A ``make_callbacks`` function building the callbacks :func:`_callbacks` builds."""
    from nodeflow.keras.export import INDENT, py

    class Code(str):  # an expression written into the script as it is
        def __repr__(self):
            return str(self)

    checkpoint = Code(f"str(HERE / {CHECKPOINT_FOLDER!r} / {CHECKPOINT_FILE!r})")
    tensorboard = params["tensorboard_dir"]
    given = {"monitor": Code("monitor"), "checkpoint_path": checkpoint,
             "tensorboard_dir": Code(ctx.path_code(tensorboard)) if tensorboard else None}
    calls = callback_calls(params, given)
    if any(name == "ModelCheckpoint" for name, _ in calls):
        ctx.uses_here = True
    lines = [
        "def make_callbacks(has_validation: bool) -> list:",
        f'{INDENT}"""The callbacks the learner node {node_id} trains with."""',
    ]
    if any(kwargs.get("monitor") is given["monitor"] for _, kwargs in calls):
        lines.append(f"{INDENT}monitor = {default_monitor(True)!r} if has_validation "
                     f"else {default_monitor(False)!r}")
    lines.append(f"{INDENT}return [")
    for name, kwargs in calls:
        arguments = ", ".join(f"{k}={py(v)}" for k, v in kwargs.items())
        lines.append(f"{INDENT}    keras.callbacks.{name}({arguments}),")
    lines.append(f"{INDENT}]")
    return lines


SPEC = NodeSpec(
    type_id="learn.NetworkLearner",
    display_name="Keras Network Learner",
    category="Learning",
    family="learn",
    description=(
        "Trains the network connected to it on a table and outputs the trained model and its "
        "learning history. Choose the feature columns that feed the network's input (numeric "
        "columns are stacked into one vector per row; an image or sequence column is used as it "
        "is), the target columns and a loss that fits them: sparse_categorical_crossentropy for "
        "class numbers 0..k-1 with a softmax output of k units, binary_crossentropy for yes/no "
        "with one sigmoid unit, mean_squared_error for numbers. Connect a validation table to "
        "watch for overfitting. Set a seed to make a CPU run repeatable. Training runs with the "
        "settings a Keras expert would pick, each under Device: XLA as Keras decides, several "
        "steps per call into TensorFlow when steps are short, and mixed precision on GPUs "
        "with tensor cores."
    ),
    inputs=(NETWORK, TRAIN, VALIDATION),
    outputs=(Port("model", "model", "The trained model."),
             Port("history", "table", "One row per epoch: the loss and metrics.", view="history")),
    params=(
        ColumnsParam(name="feature_columns", group="Data", min_count=1,
                     help="Columns fed to the network's inputs, in order: numeric columns are "
                          "stacked into one vector per row; an image or sequence column is used "
                          "as it is; several inputs take the columns in input order."),
        ColumnsParam(name="target_columns", group="Data", default=[],
                     help="Columns the network should predict (single-output networks)."),
        JsonParam(name="output_targets", group="Data", default=None, optional=True,
                  help='For several outputs: {"output layer": {"columns": [...], "loss": "..."}}.'),
        ChoiceParam(name="loss", group="Loss and optimizer", options=LOSSES,
                    help="What training minimizes; must fit the targets and the output layer."),
        NestedChoiceParam(name="optimizer", group="Loss and optimizer", default="adam",
                          options=OPTIMIZERS,
                          help="How the weights are updated from the gradients, with its settings."),
        TextListParam(name="metrics", group="Loss and optimizer", default=[],
                      help='Extra measures reported each epoch, e.g. ["accuracy"] or ["mae"].'),
        IntParam(name="epochs", group="Training", default=10, min=1, max=MAX_COUNT, help="Passes over the training data."),
        IntParam(name="batch_size", group="Training", default=32, min=1, max=MAX_BATCH, help="Rows per training step."),
        BoolParam(name="shuffle", group="Training", default=True,
                  help="Shuffle the rows before every epoch: all rows by row number when the data "
                       "fits in memory; a file-backed table too large for that is read in blocks "
                       "of 65,536 rows in random order, four blocks shuffled together."),
        ChoiceParam(name="cache", group="Training", default="none", options=("none", "file"),
                    help="file keeps the decoded rows (e.g. images) of the first epoch in a file in "
                         "the run folder and reads them from there in later epochs: faster when "
                         "decoding costs more than reading, at the cost of disk space. Rows are then "
                         "shuffled with a 10,000-row buffer."),
        IntParam(name="seed", group="Training", default=None, optional=True, min=0, max=MAX_SEED,
                 help="Random seed for weights, shuffling and dropout; makes CPU runs repeatable "
                      "on the same machine. For repeatable GPU runs switch on deterministic too."),
        BoolParam(name="deterministic", group="Training", default=False,
                  help="Use only deterministic TensorFlow operations, so GPU runs repeat exactly "
                       "too (seeded with 0 when no seed is set). Slower: XLA is off and data "
                       "pipelines with random augmentations run in one thread."),
        FloatParam(name="validation_split", group="Data", default=0.0, min=0.0, max=1.0,
                   max_open=True,
                   help="Kept for Keras users; connect a validation table instead (see warning)."),
        ChoiceParam(name="class_weighting", group="Loss and optimizer", default="none",
                    options=("none", "balanced"),
                    help="balanced weighs rare classes up so every class counts the same."),
        JsonParam(name="class_weights", group="Loss and optimizer", default=None, optional=True,
                  help='Explicit weights per class number, e.g. {"0": 1.0, "1": 5.0}.'),
        BoolParam(name="early_stopping", group="Callbacks", default=False,
                  help="Stop when the monitored value stops improving."),
        TextParam(name="monitor", group="Callbacks", default="",
                  help="Value watched by early stopping and LR reduction; empty: val_loss with "
                       "validation data, else loss."),
        IntParam(name="early_stopping_patience", group="Callbacks", default=5, min=0, max=MAX_COUNT,
                 help="Epochs without improvement before stopping."),
        BoolParam(name="restore_best_weights", group="Callbacks", default=True,
                  help="After early stopping, go back to the best epoch's weights."),
        BoolParam(name="reduce_lr_on_plateau", group="Callbacks", default=False,
                  help="Lower the learning rate when the monitored value stalls."),
        FloatParam(name="reduce_lr_factor", group="Callbacks", default=0.1, min=0.0, max=1.0,
                   min_open=True, max_open=True,
                   help="Factor the learning rate is multiplied by."),
        IntParam(name="reduce_lr_patience", group="Callbacks", default=3, min=0, max=MAX_COUNT,
                 help="Epochs to wait before lowering."),
        BoolParam(name="terminate_on_nan", group="Callbacks", default=True,
                  help="Stop and fail clearly when the loss becomes NaN."),
        BoolParam(name="checkpoint_each_epoch", group="Callbacks", default=False,
                  help="Save the model after every epoch into the run directory."),
        FileParam(name="tensorboard_dir", group="Callbacks", default=None, optional=True, mode="folder",
                  writes=True, help="Write TensorBoard logs to this folder; empty for none."),
        TextParam(name="device", group="Device", default="auto", pattern=devices.PATTERN,
                  pattern_help=devices.PATTERN_HELP, help=devices.HELP),
        ChoiceParam(name="mixed_precision", group="Device", default="auto",
                    options=training_defaults.AUTO_ON_OFF,
                    help="Compute in float16, keep the weights in float32: about twice as fast on "
                         "GPUs with tensor cores. auto: on for GPUs of compute capability 7.0 or "
                         "newer, off on the CPU."),
        ChoiceParam(name="xla", group="Device", default="auto",
                    options=training_defaults.AUTO_ON_OFF,
                    help="Compile the training step with XLA. auto: as Keras decides, on for GPUs, "
                         "off on a CPU-only machine and when deterministic is on."),
        IntParam(name="steps_per_execution", group="Device", default=None, optional=True, min=1,
                 max=MAX_COUNT,
                 help="Training steps run in one call into TensorFlow; progress, stop and cancel "
                      "are handled between calls. Empty: chosen automatically, as many as take "
                      "about a quarter of a second (at most 100 and one epoch)."),
    ),
    keywords=("fit", "train", "learn", "optimizer", "loss", "epochs"),
    run=run_learner,
    export_code=export_training,
)

NODES = (SPEC,)
