"""Images a node shows while it still runs: the GAN Learner's samples after each epoch.

A node that trains a generator writes ``<port>.progress.npz`` in its own folder of the
run directory after every epoch (a grid of images made from the same noise each time,
so the pictures change only as the generator learns); the editor's image-grid port view
watches that file, as the Learning Monitor follows the event stream, and shows the
node's stored output once the node has finished.  A file rather than events: a grid of
images does not belong in the JSON-lines event stream, and a file can be read by a view
opened at any time, also by one opened after the run.

The file is NumPy's ``.npz`` (read without pickles) holding ``images`` (n, h, w[, c]),
``epoch`` and ``epochs``; it is replaced atomically, so a reader never sees half of it.
NumPy and the standard library only: the editor reads it without TensorFlow.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .storage import write_file

SUFFIX = ".progress.npz"


@dataclass(frozen=True)
class Progress:
    """The images of one moment of training: after ``epoch`` of ``epochs`` (0: untrained)."""

    images: np.ndarray
    epoch: int
    epochs: int


def progress_path(folder: str | os.PathLike, port: str) -> Path:
    return Path(folder) / f"{port}{SUFFIX}"


def write_progress(folder: str | os.PathLike, port: str, images, epoch: int, epochs: int) -> Path:
    """Replace the progress images of ``port`` in ``folder`` (atomically)."""
    buffer = io.BytesIO()
    np.savez(buffer, images=np.asarray(images, dtype=np.float32), epoch=np.int64(epoch),
             epochs=np.int64(epochs))
    path = progress_path(folder, port)
    write_file(path, buffer.getvalue())
    return path


def remove_progress(folder: str | os.PathLike, port: str) -> None:
    """Forget an earlier run's progress images (a new training starts)."""
    try:
        os.unlink(progress_path(folder, port))
    except FileNotFoundError:
        pass


def read_progress(path: str | os.PathLike) -> Progress | None:
    """The progress images at ``path``; None when there are none (yet) or the file is damaged."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return Progress(np.asarray(data["images"]), int(data["epoch"]), int(data["epochs"]))
    except (OSError, ValueError, KeyError, EOFError):
        return None
