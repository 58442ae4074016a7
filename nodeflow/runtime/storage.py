"""Keeping port values in the run directory between runs.

One file per output port, by port type: a table in memory as an Arrow IPC file
(``.arrow``: columnar and memory-mapped when read back, see
:mod:`nodeflow.runtime.arrow_tables`), a file-backed table as its recipe
(``.table.json``: the file it reads, that file's size and time, the selected rows
in ``.rows.npy`` beside it; no copy of the data), a model as ``.keras``, a
normalizer as ``.json``.  Networks are not stored: they are rebuilt from the
workflow, which is cheap.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SUFFIX = {"table": ".arrow", "model": ".keras", "normalizer": ".json"}
RECIPE_SUFFIX = ".table.json"  # a file-backed table: its recipe instead of its rows
ROWS_SUFFIX = ".rows.npy"
SUMMARY_SUFFIX = ".summary.json"  # beside a stored model: its layers, read without TensorFlow


def node_folder(run_dir: str | os.PathLike, node_id: str) -> Path:
    """The folder a node's stored outputs (and its own files) live in."""
    return Path(run_dir) / "nodes" / node_id


def output_path(run_dir: str | os.PathLike, node_id: str, port: str, port_type: str) -> Path:
    """Where a run keeps a node's output port value: ``<run>/nodes/<node>/<port><suffix>``
    (for a table, its recipe when it was file-backed)."""
    return value_path(node_folder(run_dir, node_id), port, port_type)


def value_path(folder: Path, name: str, port_type: str) -> Path:
    if port_type == "table":
        recipe = folder / f"{name}{RECIPE_SUFFIX}"
        if recipe.exists():
            return recipe
    return folder / f"{name}{SUFFIX[port_type]}"


def is_valid(path: Path) -> bool:
    """Whether a stored value can still be loaded: a recipe is valid while its file is unchanged."""
    if not path.exists():
        return False
    if path.name.endswith(RECIPE_SUFFIX):
        from .file_table import FileTable

        try:
            recipe = json.loads(path.read_text(encoding="utf-8"))
            FileTable.from_recipe(recipe, path.parent)
        except (OSError, ValueError, KeyError, TypeError):
            return False
    return True


def storable(port_type: str) -> bool:
    return port_type in SUFFIX


def save_value(port_type: str, value: Any, folder: Path, name: str) -> Path:
    """Write ``value`` as ``folder/name.<suffix>`` atomically; returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}{SUFFIX[port_type]}"
    tmp = folder / f".{name}.tmp{SUFFIX[port_type]}"
    if port_type == "table":
        from .arrow_tables import write_table
        from .file_table import FileTable

        recipe_path = folder / f"{name}{RECIPE_SUFFIX}"
        if isinstance(value, FileTable):
            rows_file = None
            if value.rows is not None:
                import numpy as np

                rows_file = f"{name}{ROWS_SUFFIX}"
                np.save(folder / f".{name}.tmp.npy", np.asarray(value.rows))
                os.replace(folder / f".{name}.tmp.npy", folder / rows_file)
            recipe_tmp = folder / f".{name}.tmp{RECIPE_SUFFIX}"
            recipe_tmp.write_text(json.dumps(value.to_recipe(rows_file), indent=1), encoding="utf-8")
            os.replace(recipe_tmp, recipe_path)
            path.unlink(missing_ok=True)
            return recipe_path
        recipe_path.unlink(missing_ok=True)
        write_table(value, path)
        return path
    elif port_type == "model":
        value.save(tmp)
        summary = folder / f"{name}{SUMMARY_SUFFIX}"
        summary.write_text(json.dumps(model_summary(value), indent=1), encoding="utf-8")
    elif port_type == "normalizer":
        tmp.write_text(json.dumps(value.to_json(), indent=1), encoding="utf-8")
    else:  # pragma: no cover - guarded by storable()
        raise TypeError(f"cannot store a {port_type}")
    os.replace(tmp, path)
    return path


def model_summary(model) -> dict:
    """Layers, output shapes and parameter counts of a Keras model, as plain JSON.

    The editor's model view reads this instead of loading the model, so looking at a
    trained model never imports TensorFlow into the editor."""

    def shape(tensor) -> list | None:
        try:
            return [None if d is None else int(d) for d in tensor.shape]
        except (AttributeError, TypeError, ValueError):
            return None

    layers = []
    for layer in model.layers:
        try:
            output = shape(layer.output)
        except (AttributeError, ValueError):  # a layer used more than once has no single output
            output = None
        layers.append({
            "name": layer.name,
            "class": type(layer).__name__,
            "output_shape": output,
            "params": int(layer.count_params()) if layer.built else 0,
            "trainable": bool(layer.trainable),
        })
    trainable = sum(_size(w.shape) for w in model.trainable_weights)
    total = int(model.count_params())
    return {
        "name": model.name,
        "inputs": [shape(t) for t in model.inputs],
        "outputs": [shape(t) for t in model.outputs],
        "layers": layers,
        "params": total,
        "trainable_params": trainable,
        "non_trainable_params": total - trainable,
    }


def _size(shape) -> int:
    size = 1
    for d in shape:
        size *= int(d)
    return size


def stored_columns(path: Path) -> list[str] | None:
    """Column names of a stored table, read without loading its arrays (None if unreadable)."""
    if path.name.endswith(RECIPE_SUFFIX):
        try:
            return list(json.loads(path.read_text(encoding="utf-8"))["columns"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
    from .arrow_tables import stored_columns as arrow_columns

    return arrow_columns(path)


def load_value(port_type: str, path: Path) -> Any:
    if port_type == "table":
        if path.name.endswith(RECIPE_SUFFIX):
            from .file_table import FileTable

            return FileTable.from_recipe(json.loads(path.read_text(encoding="utf-8")), path.parent)
        from .arrow_tables import read_table

        return read_table(path)
    if port_type == "model":
        from nodeflow.keras import load_keras

        return load_keras().saving.load_model(path, compile=False, safe_mode=True)
    if port_type == "normalizer":
        from .values import Normalizer

        return Normalizer.from_json(json.loads(path.read_text(encoding="utf-8")))
    raise TypeError(f"cannot load a {port_type}")  # pragma: no cover
