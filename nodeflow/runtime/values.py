"""Small typed values that travel on ports other than ``table``, ``model`` and ``network``.

:class:`Normalizer` is the value of a ``normalizer`` port: the parameters a Normalizer
node fitted on one table, to apply unchanged to other tables (validation, test, new
data), as KNIME's "Normalizer (Apply)" does.  It is plain data and round-trips through
JSON (:meth:`Normalizer.to_json` gives a JSON-ready dict, :meth:`Normalizer.from_json`
takes it back) so the runtime can keep it in the run directory between runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nodeflow.core.errors import NodeRunError

from .table import Table

if TYPE_CHECKING:
    from .file_table import FileTable

FORMAT = "nodeflow.normalizer"
VERSION = 1

# method -> the per-column parameters it stores
METHODS: dict[str, tuple[str, ...]] = {
    "min_max": ("min", "max", "new_min", "new_max"),
    "z_score": ("mean", "std"),
    "decimal_scaling": ("power",),
}


def _numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biuf"


def _kind_text(arr: np.ndarray) -> str:
    kinds = {"U": "text", "S": "bytes", "O": "objects", "M": "dates", "m": "durations"}
    return kinds.get(arr.dtype.kind, str(arr.dtype))


def _out_dtype(arr: np.ndarray):
    """float32 (and float16) columns stay compact; everything else becomes float64."""
    return arr.dtype if arr.dtype.kind == "f" and arr.dtype.itemsize <= 4 else np.float64


@dataclass(frozen=True)
class Normalizer:
    """Fitted normalization: a method and, per column, the statistics it uses.

    Every method is an affine map ``x * scale + offset`` per column, with one scale and
    offset for the whole column (an image column is scaled as a whole, not per pixel):

    - ``min_max``: ``{"min", "max", "new_min", "new_max"}``; the fitted min..max range
      maps onto new_min..new_max (a constant column maps to new_min);
    - ``z_score``: ``{"mean", "std"}``; ``(x - mean) / std`` (a constant column has std 1);
    - ``decimal_scaling``: ``{"power": j}``; ``x / 10**j``, j the smallest integer with
      every fitted ``|x| / 10**j < 1``.

    Missing values (NaN) stay missing.  Integer and boolean columns become float64,
    float32 columns stay float32.
    """

    method: str
    parameters: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {self.method!r}")
        keys = METHODS[self.method]
        for column, params in self.parameters.items():
            if not isinstance(params, dict) or set(params) != set(keys):
                raise ValueError(
                    f"column {column!r}: expected parameters {', '.join(keys)} for {self.method}, "
                    f"got {params!r}"
                )
            bad = [k for k in keys if not _finite(params[k])]
            if bad:
                raise ValueError(f"column {column!r}: expected finite numbers for {', '.join(bad)}")
            if self.method == "min_max" and not params["new_max"] > params["new_min"]:
                raise ValueError(f"column {column!r}: expected new_max > new_min, got {params['new_max']} "
                                 f"and {params['new_min']}")

    # -- fitting ------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        table: Table | FileTable,
        columns: list[str],
        method: str,
        new_min: float = 0.0,
        new_max: float = 1.0,
    ) -> "Normalizer":
        """Fit ``method`` on ``columns`` of ``table``; errors name the ``columns`` parameter.

        The statistics come from one pass over each column in blocks (a file-backed
        table is streamed; an in-memory one is a single block), so a table larger than
        memory can be fitted."""
        if method not in METHODS:
            raise NodeRunError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
        _check_columns(table, columns, "columns")
        if table.num_rows == 0:
            raise NodeRunError("table: expected at least one row to fit the normalizer on, got an empty table")
        parameters: dict[str, dict[str, float]] = {}
        for name in columns:
            stats = _Moments()
            for block in column_blocks(table, name):
                stats.add(block)
            if stats.count == 0:
                raise NodeRunError(
                    f"columns: expected column {name!r} to have at least one value, "
                    f"got only missing values"
                )
            if method == "min_max":
                parameters[name] = {
                    "min": stats.min,
                    "max": stats.max,
                    "new_min": float(new_min),
                    "new_max": float(new_max),
                }
            elif method == "z_score":
                parameters[name] = {"mean": stats.mean, "std": stats.std}
            else:
                largest = max(abs(stats.min), abs(stats.max))
                power = math.floor(math.log10(largest)) + 1 if largest > 0 else 0
                parameters[name] = {"power": power}
        return cls(method, parameters)

    # -- applying -----------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return list(self.parameters)

    def scale_offset(self, column: str) -> tuple[float, float]:
        """The affine map of ``column``: normalized = value * scale + offset."""
        p = self.parameters[column]
        if self.method == "min_max":
            span = p["max"] - p["min"]
            scale = (p["new_max"] - p["new_min"]) / span if span > 0 else 1.0
            return scale, p["new_min"] - p["min"] * scale
        if self.method == "z_score":
            std = p["std"] if p["std"] > 0 else 1.0
            return 1.0 / std, -p["mean"] / std
        return 10.0 ** -p["power"], 0.0

    def apply(self, table: Table) -> Table:
        """``table`` with the fitted columns normalized; other columns unchanged."""
        return self._map(table, inverse=False)

    def invert(self, table: Table) -> Table:
        """Undo :meth:`apply`, e.g. to turn normalized predictions back into real units."""
        return self._map(table, inverse=True)

    def _map(self, table: Table, inverse: bool) -> Table:
        _check_columns(table, self.columns, "table", fitted=self.columns)
        out = dict(table)
        for name in self.columns:
            arr = table[name]
            out[name] = self._map_values(name, arr.astype(np.float64), inverse).astype(_out_dtype(arr), copy=False)
        return Table(out, table.augmentations)

    def _map_values(self, column: str, x: np.ndarray, inverse: bool) -> np.ndarray:
        # written per method rather than as x * scale + offset, so that e.g. the fitted
        # maximum maps to exactly new_max
        p = self.parameters[column]
        if self.method == "min_max":
            span = p["max"] - p["min"]
            span = span if span > 0 else p["new_max"] - p["new_min"]
            target = p["new_max"] - p["new_min"]
            if inverse:
                return (x - p["new_min"]) / target * span + p["min"]
            return (x - p["min"]) / span * target + p["new_min"]
        if self.method == "z_score":
            std = p["std"] if p["std"] > 0 else 1.0
            return x * std + p["mean"] if inverse else (x - p["mean"]) / std
        factor = 10.0 ** p["power"]
        return x * factor if inverse else x / factor

    # -- storage ------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``json.dumps`` it to write a file)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "method": self.method,
            "columns": {name: dict(params) for name, params in self.parameters.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> "Normalizer":
        """From :meth:`to_json`'s dict, or its JSON text; a ValueError says what is wrong."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise ValueError(f"expected normalizer JSON, got invalid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"format: expected a {FORMAT} object, got {str(data)[:60]}")
        if data.get("version") != VERSION:
            raise ValueError(f"version: expected {VERSION}, got {data.get('version')!r}")
        columns = data.get("columns")
        if not isinstance(columns, dict):
            raise ValueError(f"columns: expected an object of column parameters, got {columns!r}")
        return cls(str(data.get("method")), {str(k): dict(v) if isinstance(v, dict) else v
                                            for k, v in columns.items()})


def column_blocks(table, name: str):
    """A column's values block by block: the whole array of an in-memory table, blocks of
    rows of a file-backed one (an image column of it is decoded whole, after the memory
    check of :meth:`FileTable.column`)."""
    from .file_table import FileTable

    if not isinstance(table, FileTable):
        return [table[name]]
    if table.is_image(name):
        return [table.column(name)]
    return (block[name] for block in table.chunks([name]))


class _Moments:
    """Count, mean, sum of squared deviations, minimum and maximum of the values seen, merged
    block by block (Chan et al.'s parallel update), NaN left out: the same statistics as
    ``np.nanmean`` / ``np.nanstd`` / ``np.nanmin`` / ``np.nanmax`` over all the values."""

    def __init__(self):
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.min = math.inf
        self.max = -math.inf

    def add(self, block: np.ndarray) -> None:
        values = np.asarray(block, dtype=np.float64).reshape(-1)
        values = values[~np.isnan(values)]
        n = values.size
        if n == 0:
            return
        mean = float(values.mean())
        m2 = float(np.square(values - mean).sum())
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total
        self.min = min(self.min, float(values.min()))
        self.max = max(self.max, float(values.max()))

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / self.count) if self.count else 0.0


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_columns(table: Table | FileTable, columns: list[str], where: str,
                   fitted: list[str] | None = None) -> None:
    missing = [c for c in columns if c not in table]
    if missing:
        shown = ", ".join(repr(c) for c in missing)
        known = ", ".join(table.column_names) or "none"
        extra = f" (the normalizer was fitted on {', '.join(fitted)})" if fitted is not None else ""
        raise NodeRunError(
            f"{where}: expected existing columns{extra}, got {shown}; the table has: {known}"
        )
    for name in columns:
        arr = np.empty(0, dtype=table.column_info(name)[0])  # the type alone: nothing is read
        if not _numeric(arr):
            raise NodeRunError(
                f"{where}: expected numeric columns, column {name!r} holds {_kind_text(arr)}"
            )
