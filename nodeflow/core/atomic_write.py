"""Replacing a file atomically, with the permissions a plain ``open(path, "w")`` would give.

A writer that simply opens its target can leave half a file behind when it is killed;
writing a temporary file beside the target, fsyncing it and renaming it over the target
never does.  Two details make such a write behave like an ordinary one otherwise:

- **Mode.**  ``tempfile.mkstemp`` creates its file with mode 0600, so a rename would
  turn a shared 0644 file private.  An existing file keeps its permissions; a new one
  gets 0o666 minus the umask, as ``open`` gives it.
- **Links.**  A rename replaces a symbolic link with a regular file.  The link is
  followed instead: the new content goes to the file it names (the temporary file
  beside that file, so the rename stays on one file system) and the link stays.

The workflow file, the Table Writer and the trust store all write this way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def file_mode(path: str | os.PathLike) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0o666 & ~umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)  # the only way to read it; set back at once
        os.umask(umask)
        return 0o666 & ~umask


def write_target(path: str | os.PathLike) -> Path:
    """Where writing ``path`` really goes: the file a symbolic link names (links followed,
    also a chain of them), else ``path`` itself."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)


@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a binary file whose content replaces ``path`` when the block ends without an
    exception (fsynced, renamed, the folder fsynced); on an exception the target is left
    as it was and the temporary file is removed."""
    target = write_target(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, file_mode(target))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(directory)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path) as handle:
        handle.write(data)


def fsync_dir(directory: str | os.PathLike) -> None:
    """Make a rename inside ``directory`` durable (a no-op where folders cannot be opened)."""
    if not hasattr(os, "O_DIRECTORY"):
        return  # Windows: directories cannot be opened for fsync
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
