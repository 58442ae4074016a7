"""The devices a learner trains on, read from its ``device`` setting (defined once here
for the learner's parameter and ``nodeflow run --device``).

- ``auto``: every GPU TensorFlow sees, else the CPU;
- ``cpu``, ``gpu``: the CPU, the first GPU;
- ``gpus``: every GPU TensorFlow sees;
- ``gpu:N``, ``cpu:N``: one device; ``cpu:N`` is a logical CPU device, which exists only
  when the process split its CPU before TensorFlow started
  (``tf.config.set_logical_device_configuration``, as Keras's own distribution tests do);
- a list such as ``gpu:0,gpu:1``: one replica of the model per device.

More than one device means synchronous data-parallel training with
``tf.distribute.MirroredStrategy``; the batch size stays the global batch, split
between the replicas.  Standard library only: the editor and ``nodeflow validate``
check the text without TensorFlow; the learner passes in what TensorFlow sees.
"""

from __future__ import annotations

import re

PATTERN = r"auto|cpu|gpus?|(?:cpu|gpu):\d+(?:,(?:cpu|gpu):\d+)*"
PATTERN_HELP = "auto, cpu, gpu, gpus, gpu:N, cpu:N or a list such as gpu:0,gpu:1"
HELP = ("Where to train: auto uses every GPU TensorFlow sees (else the CPU), cpu the CPU, gpu "
        "the first GPU, gpus every GPU, gpu:N one GPU; a list such as gpu:0,gpu:1 trains one "
        "replica per device with MirroredStrategy, the batch size being the global batch. cpu:N "
        "names a logical CPU device (only there when the process split its CPU, as tests do).")


def is_valid(text: str) -> bool:
    return re.fullmatch(PATTERN, text) is not None


def resolve(choice: str, gpus: int, cpus: int = 1) -> list[str]:
    """TensorFlow device names (``["GPU:0", "GPU:1"]``) for ``choice``, given how many GPUs
    and logical CPU devices TensorFlow sees; a ``ValueError`` names what is missing."""
    if not is_valid(choice):
        raise ValueError(f"expected {PATTERN_HELP}, got {choice!r}")
    if choice == "auto":
        return [f"GPU:{i}" for i in range(gpus)] or ["CPU:0"]
    if choice == "gpus":
        if not gpus:
            raise ValueError("expected at least one GPU for gpus, but TensorFlow sees none")
        return [f"GPU:{i}" for i in range(gpus)]
    names = []
    for item in ("cpu:0" if choice == "cpu" else "gpu:0" if choice == "gpu" else choice).split(","):
        kind, index = item.split(":")
        seen = gpus if kind == "gpu" else cpus
        if int(index) >= seen:
            what = "GPU(s)" if kind == "gpu" else "logical CPU device(s)"
            raise ValueError(f"expected an available {kind.upper()}, got {item} but TensorFlow sees "
                             f"{seen} {what}")
        names.append(f"{kind.upper()}:{int(index)}")
    if len(set(names)) != len(names):
        raise ValueError(f"expected each device once, got {choice}")
    if len({name.split(':')[0] for name in names}) > 1:
        raise ValueError(f"expected only GPUs or only CPUs, got {choice}")
    return names
