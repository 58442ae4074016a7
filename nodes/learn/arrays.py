"""Table columns -> the arrays a Keras model takes, with errors that name the column.

Shared by the learner and the executor so both read tables the same way:
numeric scalar columns are stacked into one (rows, k) float32 matrix; a single
n-d column (images, sequences) is used as it is.
"""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError


def _shape_text(shape) -> str:
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


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


def fit_to_input(x, input_tensor, param: str):
    """Check ``x`` against a model input's shape (batch axis aside); (rows,) -> (rows, 1)."""
    expected = tuple(input_tensor.shape[1:])
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    got = x.shape[1:]
    fits = len(got) == len(expected) and all(e is None or e == g for e, g in zip(expected, got))
    if not fits and len(expected) == len(got) + 1 and expected[-1] == 1:
        x = x[..., None]  # a grey image column (rows, h, w) for an input (h, w, 1)
        got = x.shape[1:]
        fits = all(e is None or e == g for e, g in zip(expected, got))
    if not fits:
        name = input_tensor.name
        raise NodeRunError(f"{param}: the network's input {name} expects shape "
                           f"{_shape_text((None, *expected))}, the columns give "
                           f"{_shape_text((None, *got))}")
    return x


def input_arrays(table, model, feature_columns, input_columns, param_single="feature_columns"):
    """One array per model input, from feature_columns (one input) or input_columns (several)."""
    if input_columns:
        names = [t.name for t in model.inputs]
        missing = [n for n in names if n not in input_columns]
        if missing:
            raise NodeRunError(f"input_columns: expected columns for every network input "
                               f"({', '.join(names)}), got none for {', '.join(missing)}")
        return [fit_to_input(feature_matrix(table, input_columns[name], "input_columns"), t, "input_columns")
                for name, t in zip(names, model.inputs)]
    if len(model.inputs) != 1:
        raise NodeRunError(f"{param_single}: the network has {len(model.inputs)} inputs; map each to its "
                           "columns with input_columns")
    return [fit_to_input(feature_matrix(table, feature_columns, param_single), model.inputs[0],
                         param_single)]
