"""Training settings a performance-minded Keras engineer would pick, applied for the user.

The Keras Network Learner asks this module how to compile and train; the Python export
writes the same choices into its script.  Nothing here imports TensorFlow at import time.

- **XLA** (``xla``): ``auto`` passes ``jit_compile="auto"`` to Keras, which compiles with
  XLA on accelerators and leaves it off on a CPU-only machine and under op determinism.
- **Steps per execution**: Keras runs that many training steps inside one compiled loop,
  so Python's cost per step (callbacks, dispatch) is paid once per execution.  Chosen
  from an estimate of the work per step (see :func:`auto_steps_per_execution`) so one
  execution stays around a quarter of a second: batch callbacks, and with them progress
  events, "stop learning" and cancel, still come about four times a second.
- **Mixed precision** (``mixed_precision``): ``auto`` computes in float16 on GPUs with
  compute capability 7.0 or newer (tensor cores), never on the CPU, where float16 is slow.
- **Determinism** (``deterministic``): TensorFlow's op determinism only when asked for.
  A seed alone already repeats a CPU run exactly on the same machine (same thread
  count), while op determinism serializes ``tf.data`` maps holding random ops (e.g.
  augmentations) and turns XLA off.
"""

from __future__ import annotations

import inspect
import math

AUTO_ON_OFF = ("auto", "on", "off")


def jit_compile(choice: str) -> str | bool:
    """The ``jit_compile`` argument of ``model.compile`` for the learner's ``xla`` choice."""
    return {"auto": "auto", "on": True, "off": False}[choice]


def auto_steps_per_execution(model, batch_size, on_gpu=False):
    """Training steps per execution: about 0.25 s of estimated work, at least 1, at most 100.

    The work of a layer is its weights times the positions they slide over (the inner
    axes of its input or output: pixels, time steps), plus its output values; a step is
    6 flops per multiply-add (forward and backward) for every row of the batch.  Device
    speeds are those of modest hardware: 40 GFLOP/s on a CPU (what small convolutions
    reach on 2 AVX-512 cores; a laptop's 4 to 8 cores do more), 2 TFLOP/s on a GPU, so an
    execution on a faster machine ends sooner.  Self-contained: exported scripts carry a
    copy of this function.
    """
    import math

    budget = 0.25 * (2e12 if on_gpu else 4e10)  # flops in a quarter of a second
    unknown_length = 100  # a sequence axis of unknown length counts as this many steps

    def inner(shape, first, last):
        return math.prod(d if d is not None else unknown_length for d in shape[first:last])

    macs, layers = 0, list(model.layers)
    while layers:
        layer = layers.pop()
        if hasattr(layer, "layers"):  # a nested model: its own layers
            layers.extend(layer.layers)
            continue
        shapes = []
        for side in ("input", "output"):
            try:
                tensors = getattr(layer, side)
            except (AttributeError, ValueError, RuntimeError):  # e.g. a layer used twice
                continue
            for tensor in tensors if isinstance(tensors, (list, tuple)) else [tensors]:
                if getattr(tensor, "shape", None) is not None and len(tensor.shape) > 0:
                    shapes.append((side, tuple(tensor.shape)))
        positions = max([inner(shape, 1, -1) for _, shape in shapes], default=1)
        macs += layer.count_params() * positions if layer.built else 0
        macs += sum(inner(shape, 1, None) for side, shape in shapes if side == "output")
    flops = 6 * max(macs, 1) * batch_size
    return int(max(1, min(100, budget // flops)))


def steps_per_execution(model, batch_size: int, steps_per_epoch: int | None, device_name: str,
                        given: int | None = None) -> int:
    """``given`` when the user set one, else :func:`auto_steps_per_execution`, never more
    than the steps of one epoch (an execution stops at the end of the data anyway), and
    evened out over the epoch: 45 steps with an estimate of 22 run as 3 executions of 15,
    not 22, 22 and a lone step."""
    if given is not None:
        return given
    steps = auto_steps_per_execution(model, batch_size, on_gpu=device_name.startswith("GPU"))
    if not steps_per_epoch:
        return steps
    executions = math.ceil(steps_per_epoch / steps)
    return max(1, math.ceil(steps_per_epoch / executions))


def mixed_precision_helps(tf, gpu_index=0):
    """True when GPU ``gpu_index`` has compute capability 7.0 or newer (tensor cores).

    Self-contained: exported scripts carry a copy of this function.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if gpu_index >= len(gpus):
        return False
    try:
        capability = tf.config.experimental.get_device_details(gpus[gpu_index]).get("compute_capability")
    except (RuntimeError, ValueError):
        return False
    return capability is not None and tuple(int(v) for v in capability) >= (7, 0)


def mixed_precision(choice: str, device_name: str) -> bool:
    """Whether to train with the ``mixed_float16`` policy on ``device_name`` (``GPU:1``, ``CPU:0``)."""
    if choice != "auto":
        return choice == "on"
    kind, _, index = device_name.partition(":")
    if kind != "GPU":
        return False
    import tensorflow as tf

    return mixed_precision_helps(tf, int(index or 0))


def set_op_determinism(enabled: bool):
    """Turn TensorFlow's op determinism on for training when ``enabled``; returns the call
    that restores the process's own setting, so it never leaks into later nodes of a run."""
    if not enabled:
        return lambda: None
    from tensorflow.python.framework import config

    before = config.is_op_determinism_enabled()
    config.enable_op_determinism()
    return lambda: None if before else config.disable_op_determinism()


def function_source(function) -> str:
    """The source of a self-contained function above, for an exported script."""
    return inspect.getsource(function).rstrip("\n")
