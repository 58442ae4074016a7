"""Keeping port values in the run directory between runs.

One file per output port, by port type: a table in memory as an Arrow IPC file
(``.arrow``: columnar and memory-mapped when read back, see
:mod:`nodeflow.runtime.arrow_tables`), a file-backed table as its recipe
(``.table.json``: the file it reads, that file's size and time, the selected rows
in ``.rows.npy`` beside it; no copy of the data), a model as ``.keras``, a
normalizer as ``.json``.  Networks are not stored: they are rebuilt from the
workflow, which is cheap.

The run folder may come from someone else (a shipped ``runs/`` folder), so nothing in
it is trusted: every write below it goes through a name that is not a symbolic link
(:func:`open_new`, :func:`write_file`, :func:`real_dir`, :func:`remove_links`: a link is
replaced, never followed), and a stored output is reused only when it is a regular file
whose real path stays inside the run folder and that still reads as what it claims to
be (:func:`is_valid`: an Arrow footer, a JSON document, a zip directory).  The run
folder itself may be a link (people put runs on another disk): what is inside is not.

A node's outputs are committed together (:func:`commit_outputs`): after they are
written, a ``commit.json`` beside them names a fresh token and every file's size,
all of it is fsynced, and only then does the engine record the same token in
``state.json``.  A state entry whose token the folder does not carry (a run killed
between the two writes) or whose files changed size is not reused.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import uuid
from pathlib import Path
from typing import Any

SUFFIX = {"table": ".arrow", "model": ".keras", "normalizer": ".json"}
RECIPE_SUFFIX = ".table.json"  # a file-backed table: its recipe instead of its rows
ROWS_SUFFIX = ".rows.npy"
SUMMARY_SUFFIX = ".summary.json"  # beside a stored model: its layers, read without TensorFlow
COMMIT_FILE = "commit.json"  # in a node's folder: the token state.json must carry, file sizes


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


def is_valid(path: Path, root: Path | None = None) -> bool:
    """Whether a stored value can still be loaded, checked cheaply: a regular file (not a
    link, inside ``root`` when given) that opens as its format says (an Arrow file's
    footer, a zip's directory with the Keras config, a JSON document); a recipe is
    valid while the file it reads is unchanged and inside ``root`` too."""
    if not _regular_inside(path, root):
        return False
    name = path.name
    try:
        if name.endswith(RECIPE_SUFFIX):
            from .file_table import FileTable

            recipe = json.loads(path.read_text(encoding="utf-8"))
            if root is not None:
                files = [Path(recipe["file"])]
                if recipe.get("rows"):
                    files.append(path.parent / recipe["rows"])
                if not all(_regular_inside(f, root) for f in files):
                    return False
            FileTable.from_recipe(recipe, path.parent)
        elif name.endswith(".arrow"):
            import pyarrow as pa
            import pyarrow.ipc as ipc

            with pa.memory_map(str(path), "r") as source:
                ipc.open_file(source).schema  # noqa: B018 - reads the footer
        elif name.endswith(".keras"):
            import zipfile

            with zipfile.ZipFile(path) as archive:
                json.loads(archive.read("config.json"))
                size = path.stat().st_size
                if any(info.header_offset + info.compress_size > size for info in archive.infolist()):
                    return False
        elif name.endswith(".json"):
            json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - anything unreadable is simply not reused
        return False
    return True


def _regular_inside(path: Path, root: Path | None) -> bool:
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
    except OSError:
        return False
    return root is None or inside(path, root)


def inside(path: str | os.PathLike, root: str | os.PathLike) -> bool:
    """Whether ``path``, with every link resolved, is ``root`` or below it."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


# -- writing inside the run folder ------------------------------------------------------
def open_new(path: str | os.PathLike, mode: str = "w", **kwargs):
    """Open ``path`` for writing as a new regular file: whatever has that name (a link
    included) is unlinked first, and the file is created exclusively without following
    links, so a planted link can never redirect the write."""
    path = os.fspath(path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        shutil.rmtree(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    return os.fdopen(os.open(path, flags, 0o666), mode, **kwargs)


def write_file(path: str | os.PathLike, data: str | bytes) -> None:
    """Replace ``path`` atomically (hidden temp file, fsync, rename): a link at ``path`` is
    replaced by the file, not followed; a failed write leaves no temp file behind."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open_new(tmp, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def real_dir(folder: str | os.PathLike, root: str | os.PathLike) -> Path:
    """Make ``folder`` (``root`` or below it) exist as real folders all the way down from
    ``root``: a link on the way is removed and replaced by a folder; a file there is an
    error naming it."""
    folder, root = Path(folder), Path(root)
    root.mkdir(parents=True, exist_ok=True)
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            current.unlink()
        try:
            current.mkdir()
        except FileExistsError:
            if not current.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "expected a folder NodeFlow keeps outputs in, "
                                         "found a file", str(current)) from None
    return folder


def remove_links(folder: str | os.PathLike) -> None:
    """Unlink every symbolic link below ``folder`` (a folder NodeFlow alone writes in),
    without following any."""
    for root, dirs, files in os.walk(folder):  # os.walk does not descend into linked folders
        for name in dirs + files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                os.unlink(path)


def fsync_path(path: str | os.PathLike) -> None:
    """Flush a written file (or a folder's entries) to the disk."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:  # a folder cannot be opened on Windows: nothing to flush there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit_outputs(folder: Path) -> str:
    """Seal what a node left in ``folder`` (see the module docstring): fsync every file
    in it, write ``commit.json`` with a fresh token and the sizes, fsync the folder.
    Returns the token for the state entry."""
    token = uuid.uuid4().hex
    sizes = {}
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and not entry.name.startswith(".") \
                and entry.name not in (COMMIT_FILE, "traceback.txt"):
            fsync_path(entry.path)
            sizes[entry.name] = entry.stat(follow_symlinks=False).st_size
    write_file(folder / COMMIT_FILE, json.dumps({"commit": token, "files": sizes}, indent=1, sort_keys=True))
    fsync_path(folder)
    return token


def committed(folder: Path, token: str | None, root: Path) -> bool:
    """Whether ``folder`` carries the commit ``token`` (from state.json) with all its
    files at the sizes it recorded."""
    path = folder / COMMIT_FILE
    if not token or not _regular_inside(path, root):
        return False
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("commit") != token:
            return False
        for name, size in document["files"].items():
            if os.lstat(folder / name).st_size != size:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return True


def uncommit(folder: Path) -> None:
    """Forget a node's commit before its outputs are replaced."""
    _unlink(folder / COMMIT_FILE)


def is_temp(name: str) -> bool:
    """A writer's temporary name: hidden and ``.tmp`` in it (``.x.tmp``, ``.x.1a2b.tmp``,
    ``.x.tmp.keras``, staging folders alike)."""
    return name.startswith(".") and ".tmp" in name


def remove_stale_temps(folder: str | os.PathLike, before: float, match=is_temp,
                       recursive: bool = False) -> list[str]:
    """Remove temp files and staging folders in ``folder`` (below it too when
    ``recursive``) that ``match`` their name and were last modified before ``before``
    (a time.time()): what a killed run or save left.  Returns what it removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if match(entry.name) and info.st_mtime < before:
            try:
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(entry.path)
            except OSError:
                pass
        elif recursive and stat.S_ISDIR(info.st_mode):
            removed += remove_stale_temps(entry.path, before, match, recursive)
    return removed


def _unlink(path: str | os.PathLike) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def storable(port_type: str) -> bool:
    return port_type in SUFFIX


def save_value(port_type: str, value: Any, folder: Path, name: str) -> Path:
    """Write ``value`` as ``folder/name.<suffix>`` atomically; returns the path.

    ``folder`` is a node's folder with no links in it (the engine sees to that); every
    temp file is created afresh and removed again when the write fails."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}{SUFFIX[port_type]}"
    tmp = folder / f".{name}.tmp{SUFFIX[port_type]}"
    try:
        if port_type == "table":
            from .arrow_tables import write_table
            from .file_table import FileTable

            recipe_path = folder / f"{name}{RECIPE_SUFFIX}"
            if isinstance(value, FileTable):
                rows_file = None
                if value.rows is not None:
                    import numpy as np

                    rows_file = f"{name}{ROWS_SUFFIX}"
                    rows_tmp = folder / f".{name}.tmp.npy"
                    with open_new(rows_tmp, "wb") as handle:
                        np.save(handle, np.asarray(value.rows))
                    os.replace(rows_tmp, folder / rows_file)
                write_file(recipe_path, json.dumps(value.to_recipe(rows_file), indent=1))
                path.unlink(missing_ok=True)
                return recipe_path
            recipe_path.unlink(missing_ok=True)
            _unlink(folder / f".{path.name}.tmp")  # write_table's temp name
            write_table(value, path)
            return path
        elif port_type == "model":
            _unlink(tmp)
            value.save(tmp)
            write_file(folder / f"{name}{SUMMARY_SUFFIX}", json.dumps(model_summary(value), indent=1))
        elif port_type == "normalizer":
            with open_new(tmp, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(value.to_json(), indent=1))
        else:  # pragma: no cover - guarded by storable()
            raise TypeError(f"cannot store a {port_type}")
        os.replace(tmp, path)
    except BaseException:
        remove_stale_temps(folder, float("inf"))
        raise
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
