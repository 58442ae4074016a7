"""How much memory a run may use, and the check before anything is loaded whole.

A node that needs every row in memory asks :func:`require_fits` first, so data that
would not fit fails with a message naming the node's port and the size instead of the
process being killed by the operating system.  The limit is what the machine has
available now (``MemAvailable``), lowered by an address-space limit on the process
(``RLIMIT_AS``) and by ``NODEFLOW_MEMORY_LIMIT_MIB`` when set (for batch jobs sharing a
machine, and for tests).
"""

from __future__ import annotations

import os

from nodeflow.core.errors import NodeRunError

MIB = 1024 ** 2
GIB = 1024 ** 3
LIMIT_ENV = "NODEFLOW_MEMORY_LIMIT_MIB"
# the share of the available memory one table may take when loaded whole: the rest is
# for the model, TensorFlow and the copies a node makes while it works
SHARE = 0.5
# tables up to this size are loaded whole by the learner (shuffled by index, like a
# hand-written script); larger ones are streamed in blocks
STREAM_ABOVE_ENV = "NODEFLOW_STREAM_ABOVE_MIB"
STREAM_ABOVE_DEFAULT_MIB = 512


def available_bytes() -> int:
    """Memory this process may still use: the smallest of the limits that apply."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except OSError:
        pass
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            limits.append(max(0, soft - _address_space_used()))
    except (ImportError, ValueError, OSError):
        pass
    env = os.environ.get(LIMIT_ENV)
    if env:
        try:
            limits.append(int(float(env) * MIB))
        except ValueError:
            pass
    if not limits:  # not Linux: assume the table fits; the OS has the last word
        return 1 << 62
    return min(limits)


def _address_space_used() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def stream_above_bytes() -> int:
    """Above this size the learner streams a table in blocks instead of loading it whole."""
    try:
        mib = float(os.environ.get(STREAM_ABOVE_ENV, STREAM_ABOVE_DEFAULT_MIB))
    except ValueError:
        mib = STREAM_ABOVE_DEFAULT_MIB
    return min(int(mib * MIB), int(available_bytes() * SHARE))


def size_text(nbytes: float) -> str:
    if nbytes >= GIB:
        return f"{nbytes / GIB:.1f} GiB"
    if nbytes >= MIB:
        return f"{nbytes / MIB:.0f} MiB"
    return f"{nbytes / 1024:.0f} KiB"


def require_fits(nbytes: int, what: str, port: str = "table") -> None:
    """Raise a NodeRunError when ``nbytes`` would not fit in memory; ``what`` says what
    would be loaded (e.g. ``"200,000 rows of column 'image'"``)."""
    budget = int(available_bytes() * SHARE)
    if nbytes > budget:
        raise NodeRunError(
            f"{port}: this node needs the whole table in memory, {what} would take "
            f"{size_text(nbytes)}, but only {size_text(budget)} can be used "
            f"(half of the {size_text(available_bytes())} available); use nodes that stream "
            "(Row Filter, Column Filter, Partitioning, Normalizer, the learner and executor), "
            "or fewer rows or smaller images"
        )
