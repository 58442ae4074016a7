"""Model writers: TensorFlow SavedModel folders and Keras ``.keras`` files.

Both writers share one overwrite policy:

- ``overwrite = "fail"`` (the default): an existing path is an error naming the
  parameter; nothing is written.
- ``overwrite = "overwrite"``: the model is first written beside the target (a hidden
  ``.<name>.*.tmp`` entry in the same folder, so the final rename stays on one file
  system) and the old model is replaced only after that succeeded; a failed export
  leaves the previous model untouched.  A ``.keras`` file is replaced with one atomic
  ``os.replace``; a SavedModel folder is renamed aside, the new one renamed in, and the
  old one deleted (if the second rename fails the old folder is put back).
- For safety an existing folder is replaced only when it is empty or holds a SavedModel
  (``saved_model.pb``), and an existing folder is never replaced by a ``.keras`` file.

Missing parent folders are created.  After writing, each writer emits one ``output``
event with ``port="model"``, the absolute ``path`` and the ``format``: the single
report of what it wrote (the terminal, the log pane and the run log all show it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from nodeflow.core.errors import NodeFlowError, NodeRunError
from nodeflow.core.params import ChoiceParam, FileParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

MODEL_IN = Port("model", "model", "The trained or loaded Keras model to write.")

OVERWRITE = ChoiceParam(
    name="overwrite", default="fail", options=("fail", "overwrite"),
    help="What to do when the path already exists: fail stops with an error; overwrite replaces "
         "the old model, but only after the new one was written completely.",
)


def _target(context, params) -> Path:
    value = params["path"]
    if context is not None:
        value = context.resolve_path(value)
    return Path(os.path.abspath(os.path.expanduser(value)))


def _refuse_existing(target: Path, params) -> None:
    if params["overwrite"] == "fail" and (target.exists() or target.is_symlink()):
        raise NodeRunError(
            f'path: {target} already exists; set overwrite to "overwrite" to replace it, '
            f"or choose another path"
        )


def _make_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NodeRunError(f"path: cannot create the folder {target.parent}: {exc.strerror or exc}") from None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _swap_in(staged: Path, target: Path, params) -> None:
    """Put ``staged`` at ``target``; the old ``target`` goes only once the new one is there."""
    if (target.exists() or target.is_symlink()) and params["overwrite"] == "fail":
        _refuse_existing(target, params)  # appeared while we were writing
    backup = None
    if target.exists() or target.is_symlink():
        backup = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
        os.rename(target, backup)
    try:
        os.rename(staged, target)
    except OSError:
        if backup is not None:
            os.rename(backup, target)
        raise
    if backup is not None:
        _remove(backup)


def _emit(context, target: Path, fmt: str) -> None:
    if context is not None:
        from nodeflow.runtime.events import Event

        context.emit(Event.OUTPUT, port="model", path=str(target), format=fmt)


def write_saved_model(context, inputs, params):
    from nodeflow.keras import load_keras

    load_keras()
    model = inputs["model"]
    target = _target(context, params)
    _refuse_existing(target, params)
    if target.exists() and params["overwrite"] == "overwrite":
        if not target.is_dir():
            raise NodeRunError(f"path: {target} is a file; expected a folder to hold the SavedModel")
        if any(target.iterdir()) and not (target / "saved_model.pb").exists():
            raise NodeRunError(
                f"path: {target} is a folder that holds no SavedModel (no saved_model.pb); only a "
                f"SavedModel folder or an empty folder is replaced: choose another path"
            )
    _make_parent(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    staged = staging / "saved_model"
    try:
        try:
            model.export(str(staged), format="tf_saved_model", verbose=False)
        except NodeFlowError:
            raise
        except Exception as exc:  # noqa: BLE001 - any export failure is reported, old model kept
            raise NodeRunError(
                f"model: cannot export it as a SavedModel: {type(exc).__name__}: {exc}"
            ) from exc
        if context is not None:
            context.check_cancelled()
        try:
            _swap_in(staged, target, params)
        except OSError as exc:
            raise NodeRunError(f"path: cannot move the new SavedModel to {target}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _emit(context, target, "tf_saved_model")
    return {}


def write_keras(context, inputs, params):
    from nodeflow.keras import load_keras

    load_keras()
    model = inputs["model"]
    target = _target(context, params)
    if target.suffix != ".keras":
        if not target.suffix:
            hint = " (write a SavedModel folder with the TensorFlow SavedModel Writer)"
        elif target.suffix.lower() in (".h5", ".hdf5"):
            hint = "; the legacy .h5 format is not written"
        else:
            hint = ""
        raise NodeRunError(f"path: expected a file name ending in .keras, got {target.name}{hint}")
    _refuse_existing(target, params)
    if target.is_dir():
        raise NodeRunError(f"path: {target} is a folder; expected a .keras file name")
    _make_parent(target)
    staged = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp.keras")
    try:
        try:
            model.save(str(staged))
        except NodeFlowError:
            raise
        except Exception as exc:  # noqa: BLE001 - any save failure is reported, old file kept
            raise NodeRunError(
                f"model: cannot save it as a .keras file: {type(exc).__name__}: {exc}"
            ) from exc
        if context is not None:
            context.check_cancelled()
        if params["overwrite"] == "fail" and target.exists():
            _refuse_existing(target, params)  # appeared while we were writing
        try:
            os.replace(staged, target)
        except OSError as exc:
            raise NodeRunError(f"path: cannot move the new file to {target}: {exc}") from None
    finally:
        staged.unlink(missing_ok=True)
    _emit(context, target, "keras")
    return {}


SAVED_MODEL_WRITER = NodeSpec(
    type_id="io.SavedModelWriter",
    display_name="TensorFlow SavedModel Writer",
    category="IO/Write",
    family="io",
    description=(
        "Writes a Keras model as a TensorFlow SavedModel folder, the format TensorFlow Serving, "
        "TFLite converters and other TensorFlow programs load. The folder's serve function gives "
        "the same predictions as the model. An existing folder is replaced only when asked to, and "
        "only after the new export succeeded."
    ),
    inputs=(MODEL_IN,),
    params=(
        FileParam(name="path", mode="save",
                  help="The folder to write the SavedModel to (created if missing). Paths below the "
                       "workflow's folder are stored relative to it."),
        OVERWRITE,
    ),
    keywords=("savedmodel", "export", "save", "tensorflow", "serving", "model", "write"),
    run=write_saved_model,
)

KERAS_MODEL_WRITER = NodeSpec(
    type_id="io.KerasModelWriter",
    display_name="Keras Model Writer",
    category="IO/Write",
    family="io",
    description=(
        "Saves a Keras model, its architecture, weights and training configuration, to one .keras "
        "file that keras.saving.load_model reads back as the same model. An "
        "existing file is replaced only when asked to, atomically, after the new file was written."
    ),
    inputs=(MODEL_IN,),
    params=(
        FileParam(name="path", mode="save", filters=("Keras models (*.keras)",),
                  help="The .keras file to write (missing folders are created). Paths below the "
                       "workflow's folder are stored relative to it."),
        OVERWRITE,
    ),
    keywords=("keras", "save", "model", "write", "file"),
    run=write_keras,
)

NODES = (SAVED_MODEL_WRITER, KERAS_MODEL_WRITER)
