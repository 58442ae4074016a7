"""Table columns -> the arrays a Keras model takes, with errors that name the column.

Shared by the learner and the executor so both read tables the same way:

- ``feature_columns`` are consumed in order by the model's inputs, in the order of
  ``model.inputs``; an input of shape ``(None, k)`` takes numeric columns (scalars or
  ``(rows, m)`` vectors) until it has ``k`` values per row, stacked into one float32
  matrix; any other input (images, sequences, text) takes exactly one column, fed as
  it is; the result must fit the input's shape or the error says what was expected;
- targets (``feature_matrix``) are numeric columns stacked the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nodeflow.core.errors import NodeRunError
from nodeflow.core.shape_text import shape_text

if TYPE_CHECKING:  # NumPy is imported where a node runs, not when the catalogue loads
    import numpy as np


def feature_matrix(table, columns, param: str):
    """The named columns as one float32 array with rows first."""
    import numpy as np
    if not columns:
        raise NodeRunError(f"{param}: expected at least one column, got none")
    arrays = []
    for name in columns:
        if name not in table:
            known = ", ".join(table.column_names) or "none"
            raise NodeRunError(f"{param}: expected an existing column, got {name!r}; "
                               f"the table has: {known}")
        values = table[name]
        if values.dtype.kind not in "biuf":
            example = values.reshape(-1)[0] if values.size else ""
            raise NodeRunError(
                f"{param}: column {name} holds {'text' if values.dtype.kind in 'USO' else values.dtype} "
                f"(e.g. {str(example)!r}); expected numbers: convert it with Category to Number or "
                "One-Hot Encoding first")
        if values.dtype.kind == "f" and np.isnan(values).any():
            count = int(np.isnan(values).sum())
            raise NodeRunError(f"{param}: column {name} has {count} missing value(s) (NaN); fill or "
                               "drop them first, e.g. with the Missing Value node")
        arrays.append(values)
    if len(arrays) == 1 and arrays[0].ndim > 1:
        return arrays[0].astype(np.float32, copy=False)
    if any(a.ndim > 2 for a in arrays):
        raise NodeRunError(f"{param}: an image or sequence column must be the only column of an input")
    parts = [a.reshape(len(a), -1) for a in arrays]
    return np.concatenate(parts, axis=1).astype(np.float32, copy=False)


def _input_specs(model) -> list[tuple[str, tuple, str]] | None:
    """``(name, shape without the batch axis, dtype)`` per model input, or ``None``
    when the model does not know its inputs yet (a Sequential model never called)."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    specs = []
    for i, tensor in enumerate(inputs):
        shape = tuple(getattr(tensor, "shape", None) or ())
        name = getattr(tensor, "name", None) or f"input_{i}"
        specs.append((name, tuple(shape[1:]), str(getattr(tensor, "dtype", "float32"))))
    return specs


def _is_text(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "USO"


def _column(table, name: str) -> np.ndarray:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(table.column_names) or "none"
        raise NodeRunError(f"feature_columns: no column {name!r}; the table has: {known}") from None


def _stack(table, names: list[str]) -> np.ndarray:
    """Scalar and vector columns side by side as one float32 ``(rows, k)`` matrix."""
    import numpy as np
    parts = []
    for name in names:
        arr = _column(table, name)
        if _is_text(arr):
            raise NodeRunError(f"feature_columns: column {name!r} holds text; expected numbers")
        if arr.ndim > 2:
            raise NodeRunError(
                f"feature_columns: column {name!r} holds arrays of shape {shape_text(arr.shape[1:])}; "
                f"such a column can only feed a model input alone, not stacked with other columns"
            )
        parts.append(arr.reshape(arr.shape[0], -1).astype(np.float32))
    return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


def _block(table, names: list[str], target: tuple | None, dtype: str) -> np.ndarray:
    """The array one model input gets from ``names``."""
    if len(names) == 1:
        arr = _column(table, names[0])
        if _is_text(arr) and "string" not in dtype:
            raise NodeRunError(
                f"feature_columns: column {names[0]!r} holds text; the model expects numbers ({dtype})"
            )
        if _is_text(arr):
            return arr.astype(object)  # TensorFlow takes Python strings, not NumPy's fixed-width text
        if arr.ndim != 1 or (target is not None and len(target) == 0):
            return arr  # images, sequences, vectors: fed as they are
    return _stack(table, names)


def _fits(given: tuple, target: tuple) -> bool:
    return len(given) == len(target) and all(t is None or t == g for g, t in zip(given, target))


def _take(table, queue: list[str], target: tuple) -> list[str]:
    """The leading columns of ``queue`` that one input of shape ``target`` consumes."""
    import numpy as np
    if len(target) != 1 or target[0] is None:
        return queue[:1]
    taken, width = [], 0
    for name in queue:
        arr = _column(table, name)
        if arr.ndim > 2 or _is_text(arr) or width >= target[0]:
            break
        taken.append(name)
        width += int(np.prod(arr.shape[1:], dtype=int))
    return taken or queue[:1]


def model_inputs(model, table, columns: list[str]):
    """What ``model.predict`` gets for ``table``: an array for a single-input model,
    the model's own input structure (list or dict) for several inputs."""
    groups, struct = input_groups(model, probe_table(table), columns)  # checks types, stacks nothing
    return pack_inputs(struct, build_inputs(table, groups))


def pack_inputs(struct, arrays):
    """One array for a single-input model, else the model's input structure."""
    if struct is None:
        return arrays[0]
    from nodeflow.keras import load_keras

    return load_keras().tree.pack_sequence_as(struct, arrays)


def input_groups(model, table, columns: list[str]):
    """Which columns feed which model input: ``([(names, shape, dtype) per input], struct)``,
    checked against the inputs' shapes with errors naming the columns.  ``struct`` is None
    for a single input, else the model's input structure (list or dict).  ``table`` may be
    a zero-row table of the right column types (see :func:`probe_table`): only types and
    shapes are looked at."""
    specs = _input_specs(model)
    if specs is None or len(specs) == 1:
        target = None if specs is None else specs[0][1]
        dtype = "float32" if specs is None else specs[0][2]
        arr = _block(table, columns, target, dtype)
        given = (None,) + arr.shape[1:]
        if target is not None and not _fits(arr.shape[1:], target):
            raise NodeRunError(
                f"feature_columns: the model expects inputs of shape {shape_text((None,) + target)}, "
                f"the columns give {shape_text(given)}"
            )
        return [(list(columns), target, dtype)], None

    groups, queue = [], list(columns)
    described = ", ".join(f"{n} {shape_text((None,) + s)}" for n, s, _ in specs)
    for name, target, dtype in specs:
        if not queue:
            raise NodeRunError(
                f"feature_columns: the model has {len(specs)} inputs ({described}), fed in that order; "
                f"the columns ran out before input {name!r}"
            )
        taken = _take(table, queue, target)
        queue = queue[len(taken):]
        arr = _block(table, taken, target, dtype)
        if not _fits(arr.shape[1:], target):
            cols = ", ".join(repr(c) for c in taken)
            raise NodeRunError(
                f"feature_columns: the model's input {name!r} expects shape {shape_text((None,) + target)}, "
                f"{'columns' if len(taken) > 1 else 'column'} {cols} "
                f"{'give' if len(taken) > 1 else 'gives'} {shape_text((None,) + arr.shape[1:])} "
                f"(the {len(specs)} inputs, {described}, take the columns in that order)"
            )
        groups.append((taken, target, dtype))
    if queue:
        raise NodeRunError(
            f"feature_columns: the model has {len(specs)} inputs ({described}), fed in that order; "
            f"column{'s' if len(queue) > 1 else ''} {', '.join(repr(c) for c in queue)} left over"
        )
    struct = getattr(model, "_inputs_struct", None)
    return groups, (struct if struct is not None else [None] * len(groups))


def probe_table(table):
    """A one-row table of zeros with the column types and row shapes of any kind of table
    (nothing is read from a file-backed one): enough for :func:`input_groups`' checks, and
    its errors list the same columns as the table."""
    import numpy as np

    from nodeflow.runtime.table import Table

    columns = {}
    for name in table.column_names:
        dtype, shape = table.column_info(name)
        columns[name] = np.zeros((1, *shape), dtype=dtype)
    return Table(columns)


def build_inputs(table, groups) -> list:
    """The arrays of :func:`input_groups`' groups for the rows of ``table``."""
    return [_block(table, names, target, dtype) for names, target, dtype in groups]


