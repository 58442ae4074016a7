"""Keeping port values in the run directory between runs.

One file per output port, by port type: a table as ``.npz`` (NumPy arrays, no
pickles, column names in a JSON list beside them), a model as ``.keras``, a
normalizer as ``.json``.  Networks are not stored: they are rebuilt from the
workflow, which is cheap.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SUFFIX = {"table": ".npz", "model": ".keras", "normalizer": ".json"}
SUMMARY_SUFFIX = ".summary.json"  # beside a stored model: its layers, read without TensorFlow


def node_folder(run_dir: str | os.PathLike, node_id: str) -> Path:
    """The folder a node's stored outputs (and its own files) live in."""
    return Path(run_dir) / "nodes" / node_id


def output_path(run_dir: str | os.PathLike, node_id: str, port: str, port_type: str) -> Path:
    """Where a run keeps a node's output port value: ``<run>/nodes/<node>/<port><suffix>``."""
    return node_folder(run_dir, node_id) / f"{port}{SUFFIX[port_type]}"


def storable(port_type: str) -> bool:
    return port_type in SUFFIX


def save_value(port_type: str, value: Any, folder: Path, name: str) -> Path:
    """Write ``value`` as ``folder/name.<suffix>`` atomically; returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}{SUFFIX[port_type]}"
    tmp = folder / f".{name}.tmp{SUFFIX[port_type]}"
    if port_type == "table":
        import numpy as np

        arrays = {f"c{i}": np.asarray(value[column]) for i, column in enumerate(value.column_names)}
        meta = np.array(json.dumps({"columns": value.column_names, "rows": value.num_rows}))
        with open(tmp, "wb") as handle:
            np.savez(handle, __meta__=meta, **arrays)
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
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive, archive.open("__meta__.npy") as handle:
            import numpy as np

            return list(json.loads(str(np.lib.format.read_array(handle, allow_pickle=False)))["columns"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def load_value(port_type: str, path: Path) -> Any:
    if port_type == "table":
        import numpy as np

        from .table import Table

        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            columns = {name: data[f"c{i}"] for i, name in enumerate(meta["columns"])}
        if not columns:
            return Table({})
        return Table(columns)
    if port_type == "model":
        from nodeflow.keras import load_keras

        return load_keras().saving.load_model(path, compile=False, safe_mode=True)
    if port_type == "normalizer":
        from .values import Normalizer

        return Normalizer.from_json(json.loads(path.read_text(encoding="utf-8")))
    raise TypeError(f"cannot load a {port_type}")  # pragma: no cover
