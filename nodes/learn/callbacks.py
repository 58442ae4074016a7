"""The Keras Network Learner's callbacks, declared once as data.

Each row names the learner parameter that switches a callback on, the
``keras.callbacks`` class, and where each of its arguments comes from: a learner
parameter, or a value only the caller knows (``Given``): the default monitor
(``val_loss`` with validation data, else ``loss``), where checkpoints go, the
TensorBoard folder.  The learner builds the callbacks from :func:`callback_calls`
at run time, and ``nodeflow export-python`` writes the same calls into the script,
so the two cannot drift apart.  No Keras import here: rows are names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHECKPOINT_FOLDER = "checkpoints"  # in the learner's run folder; beside an exported script
CHECKPOINT_FILE = "epoch_{epoch:03d}.keras"  # Keras fills in the epoch number


@dataclass(frozen=True)
class Given:
    """An argument value the caller supplies (see :func:`callback_calls`)."""

    name: str


@dataclass(frozen=True)
class Callback:
    switch: str  # learner parameter that turns it on (a bool, or a path that is not empty)
    target: str  # class in keras.callbacks
    args: dict[str, str | Given] = field(default_factory=dict)  # Keras argument -> source


CALLBACKS = (
    Callback("terminate_on_nan", "TerminateOnNaN"),
    Callback("early_stopping", "EarlyStopping", {
        "monitor": Given("monitor"), "patience": "early_stopping_patience",
        "restore_best_weights": "restore_best_weights"}),
    Callback("reduce_lr_on_plateau", "ReduceLROnPlateau", {
        "monitor": Given("monitor"), "factor": "reduce_lr_factor", "patience": "reduce_lr_patience"}),
    Callback("checkpoint_each_epoch", "ModelCheckpoint", {"filepath": Given("checkpoint_path")}),
    Callback("tensorboard_dir", "TensorBoard", {"log_dir": Given("tensorboard_dir")}),
)


def callback_calls(params: dict[str, Any], given: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``[(keras.callbacks class name, keyword arguments), ...]`` for the switched-on callbacks.

    ``given`` holds ``monitor`` (used when the learner's monitor parameter is empty),
    ``checkpoint_path`` and ``tensorboard_dir``; an exporter passes code for them.
    """
    values = dict(given)
    values["monitor"] = params["monitor"] or given["monitor"]
    calls = []
    for callback in CALLBACKS:
        if not params[callback.switch]:
            continue
        calls.append((callback.target, {
            arg: values[source.name] if isinstance(source, Given) else params[source]
            for arg, source in callback.args.items()}))
    return calls


def default_monitor(has_validation: bool) -> str:
    """What early stopping and learning-rate reduction watch when the monitor is empty."""
    return "val_loss" if has_validation else "loss"
