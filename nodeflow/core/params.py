"""Typed node parameters.

Each parameter type knows its JSON value form, its default, how to describe itself
for the catalogue and editors, and how to check a value.  A check returns a list of
``(path, message)`` pairs: ``path`` is the parameter name, or a dotted path into a
nested choice (``kernel_initializer.stddev``); ``message`` reads
``expected an integer >= 1, got -3``.  Nothing here raises on a bad value, so
validation can report every problem of a file at once.

Values are plain JSON values (None, bool, int, float, str, list, dict) so that a
workflow file holds exactly what the model holds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import expected_got, show_value


class _Required:
    """Sentinel default of a parameter the user must set (e.g. Dense ``units``)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

# The group of a parameter that declares none: KNIME's name for a dialog's first tab.
DEFAULT_GROUP = "Options"

CheckResult = list[tuple[str, str]]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (not isinstance(value, float) or math.isfinite(value))
    )


def same_value(a: object, b: object) -> bool:
    """Equality that does not confuse ``True`` with ``1`` (Python's ``==`` does)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b or (_is_number(a) and _is_number(b) and a == b)


# Bounds on any parameter value, whatever its type: a workflow is a small file, and
# values beyond these are mistakes or attacks that would make messages, copies and
# editors slow or crash (Python recursion) long before they meant anything.
MAX_TEXT = 10_000  # characters of one text (or key) inside a value
MAX_ITEMS = 100_000  # entries of one list or object
MAX_DEPTH = 32  # levels of lists / objects inside one another


def size_problem(value: Any) -> str | None:
    """Why ``value`` is too big (too long a text, too many entries, nested too deeply),
    else ``None``.  Iterative, so any depth can be measured without recursing."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_TEXT:
                return f"expected texts of at most {MAX_TEXT:,} characters, got one of {len(item):,}"
        elif isinstance(item, (list, dict)):
            if depth >= MAX_DEPTH:
                return f"expected values nested at most {MAX_DEPTH} levels deep, got deeper ones"
            if len(item) > MAX_ITEMS:
                return f"expected at most {MAX_ITEMS:,} entries in a list or object, got {len(item):,}"
            if isinstance(item, dict):
                stack.extend((key, depth + 1) for key in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return None


def _range_text(lo, hi, lo_open=False, hi_open=False) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi}")
    return " and ".join(parts)


@dataclass(frozen=True, kw_only=True)
class Param:
    """Base of all parameter types.

    ``optional`` means ``None`` (JSON ``null``) is an accepted value, meaning
    "not set", as Keras uses ``None`` for e.g. ``activation`` or ``seed``.
    ``group`` names the section of the node's dialog the parameter belongs to (e.g.
    "Training"), as KNIME's configure dialogs have tabs; see :func:`group_params`.
    """

    name: str
    help: str = ""
    default: Any = REQUIRED
    optional: bool = False
    group: str = DEFAULT_GROUP

    kind: ClassVar[str] = "param"

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    # -- checking ---------------------------------------------------------------
    def check(self, value: Any) -> CheckResult:
        """All problems of ``value`` for this parameter (empty when valid)."""
        if value is None:
            return [] if self.optional else [(self.name, expected_got(self.expected(), None))]
        too_big = size_problem(value)
        if too_big:
            return [(self.name, too_big)]
        return [(self.name + sub, msg) for sub, msg in self._check(value)]

    def _check(self, value: Any) -> CheckResult:
        return [] if self._accepts(value) else [("", expected_got(self.expected(), value))]

    def _accepts(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def expected(self) -> str:
        text = self._expected()
        return f"{text} or null" if self.optional else text

    def _expected(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- canonical form and description ----------------------------------------
    def canonical(self, value: Any) -> Any:
        """The form written to a file; equal values get equal text."""
        return value

    def is_default(self, value: Any) -> bool:
        return not self.required and same_value(self.canonical(value), self.canonical(self.default))

    def type_text(self) -> str:
        """Short type for tables, e.g. ``int >= 1``."""
        text = self.kind
        extra = self._type_extra()
        if extra:
            text += " " + extra
        return text + (" | null" if self.optional else "")

    def _type_extra(self) -> str:
        return ""

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.name, "kind": self.kind, "type": self.type_text()}
        info["required"] = self.required
        if not self.required:
            info["default"] = self.default
        info["optional"] = self.optional
        info["group"] = self.group
        info["help"] = self.help
        info.update(self._describe_extra())
        return info

    def _describe_extra(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, kw_only=True)
class IntParam(Param):
    """An integer, optionally bounded (inclusive)."""

    min: int | None = None
    max: int | None = None
    kind: ClassVar[str] = "int"

    def _accepts(self, value):
        return (
            _is_int(value)
            and (self.min is None or value >= self.min)
            and (self.max is None or value <= self.max)
        )

    def _expected(self):
        rng = _range_text(self.min, self.max)
        return f"an integer {rng}" if rng else "an integer"

    def _type_extra(self):
        return _range_text(self.min, self.max)

    def _describe_extra(self):
        return {"min": self.min, "max": self.max}


@dataclass(frozen=True, kw_only=True)
class FloatParam(Param):
    """A finite number, optionally bounded; bounds may be open (``0 <= rate < 1``)."""

    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False
    kind: ClassVar[str] = "float"

    def _accepts(self, value):
        if not _is_number(value):
            return False
        if self.min is not None and (value <= self.min if self.min_open else value < self.min):
            return False
        if self.max is not None and (value >= self.max if self.max_open else value > self.max):
            return False
        return True

    def _range(self):
        return _range_text(self.min, self.max, self.min_open, self.max_open)

    def _expected(self):
        rng = self._range()
        return f"a number {rng}" if rng else "a number"

    def _type_extra(self):
        return self._range()

    def _describe_extra(self):
        return {"min": self.min, "max": self.max, "min_open": self.min_open, "max_open": self.max_open}


@dataclass(frozen=True, kw_only=True)
class BoolParam(Param):
    kind: ClassVar[str] = "bool"

    def _accepts(self, value):
        return isinstance(value, bool)

    def _expected(self):
        return "true or false"


@dataclass(frozen=True, kw_only=True)
class ChoiceParam(Param):
    """One of a fixed list of strings (e.g. an activation function)."""

    options: tuple[str, ...] = ()
    kind: ClassVar[str] = "choice"

    def _accepts(self, value):
        return isinstance(value, str) and value in self.options

    def _expected(self):
        return "one of " + ", ".join(show_value(o) for o in self.options)

    def _describe_extra(self):
        return {"options": list(self.options)}


@dataclass(frozen=True, kw_only=True)
class TextParam(Param):
    """Free text, optionally constrained by a regular expression (full match)."""

    pattern: str | None = None
    pattern_help: str = ""
    allow_empty: bool = True
    kind: ClassVar[str] = "text"

    def _accepts(self, value):
        if not isinstance(value, str):
            return False
        if not value and not self.allow_empty:
            return False
        return self.pattern is None or re.fullmatch(self.pattern, value) is not None

    def _expected(self):
        if self.pattern_help:
            return self.pattern_help
        if self.pattern:
            return f"a text matching {self.pattern}"
        return "a text" if self.allow_empty else "a non-empty text"

    def _describe_extra(self):
        return {"pattern": self.pattern}


@dataclass(frozen=True, kw_only=True)
class FileParam(Param):
    """A file or folder path.

    Stored relative to the workflow file when it lies below it (see
    ``nodeflow.core.fileformat``); ``mode`` tells an editor which dialog to open.
    ``access`` says whether the node reads or writes the path (listed before a run
    when it lies outside the workflow's folder): "save" writes, "open" reads, and a
    "folder" reads unless ``writes`` is set (e.g. a log folder).
    """

    mode: str = "open"  # "open" | "save" | "folder"
    filters: tuple[str, ...] = ()
    writes: bool = False  # a "folder" the node writes into; "save" always writes
    kind: ClassVar[str] = "file"

    @property
    def access(self) -> str:
        """What the node does with the path: "writes" or "reads"."""
        return "writes" if self.mode == "save" or self.writes else "reads"

    def _accepts(self, value):
        return isinstance(value, str) and value.strip() != "" and "\x00" not in value

    def _expected(self):
        return "a file path" if self.mode != "folder" else "a folder path"

    def _describe_extra(self):
        return {"mode": self.mode, "filters": list(self.filters)}


@dataclass(frozen=True, kw_only=True)
class TextListParam(Param):
    """A list of distinct strings (e.g. markers that mean "missing")."""

    min_count: int = 0
    max_count: int | None = None
    kind: ClassVar[str] = "text list"

    def _accepts(self, value):
        return (
            isinstance(value, list)
            and all(isinstance(v, str) for v in value)
            and len(set(value)) == len(value)
            and len(value) >= self.min_count
            and (self.max_count is None or len(value) <= self.max_count)
        )

    def _count_text(self):
        """``"exactly 2 "``, ``">= 1 "`` or ``""``: the count part of a phrase."""
        if self.max_count is not None and self.max_count == self.min_count:
            return f"exactly {self.min_count} "
        rng = _range_text(self.min_count or None, self.max_count)
        return f"{rng} " if rng else ""

    def _expected(self):
        return f"a list of {self._count_text()}distinct texts"

    def _describe_extra(self):
        return {"min_count": self.min_count, "max_count": self.max_count}


@dataclass(frozen=True, kw_only=True)
class ColumnsParam(TextListParam):
    """A selection of table columns by name; editors offer the upstream columns."""

    kind: ClassVar[str] = "columns"

    def _expected(self):
        count = self._count_text()
        return f"a list of {count}distinct column names"


@dataclass(frozen=True, kw_only=True)
class ShapeParam(Param):
    """A tuple of integers such as a shape ``[28, 28, 1]``, a kernel size or an axis list.

    ``allow_none``: ``null`` entries mean "any size".  ``allow_int``: a bare integer
    stands for the same value along every axis (Keras's ``kernel_size=3``).
    ``allow_pairs``: entries may be ``[before, after]`` pairs (padding, cropping).
    ``min_value=None`` allows negative entries (axes counted from the end).
    """

    min_len: int = 1
    max_len: int | None = None
    min_value: int | None = 1
    allow_none: bool = False
    allow_int: bool = False
    allow_pairs: bool = False
    kind: ClassVar[str] = "shape"

    def _entry_ok(self, d) -> bool:
        return _is_int(d) and (self.min_value is None or d >= self.min_value)

    def _accepts(self, value):
        if self.allow_int and self._entry_ok(value):
            return True
        if not isinstance(value, list):
            return False
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            return False
        return all(
            (d is None and self.allow_none)
            or self._entry_ok(d)
            or (self.allow_pairs and isinstance(d, list) and len(d) == 2 and all(map(self._entry_ok, d)))
            for d in value
        )

    def _expected(self):
        if self.max_len == self.min_len:
            length = f"{self.min_len}"
        elif self.max_len is None:
            length = "one or more" if self.min_len <= 1 else f"at least {self.min_len}"
        else:
            length = f"{self.min_len} to {self.max_len}"
        entry = "integers" if self.min_value is None else f"integers >= {self.min_value}"
        dims = entry + (" (null for any size)" if self.allow_none else "")
        if self.allow_pairs:
            dims += " or [before, after] pairs"
        text = f"a list of {length} {dims}"
        if self.allow_int:
            text = f"{entry.replace('integers', 'an integer')} or {text}"
        return text

    def _describe_extra(self):
        return {
            "min_len": self.min_len,
            "max_len": self.max_len,
            "min_value": self.min_value,
            "allow_none": self.allow_none,
            "allow_int": self.allow_int,
            "allow_pairs": self.allow_pairs,
        }


@dataclass(frozen=True, kw_only=True)
class NumbersParam(Param):
    """A number, or a list of numbers (one per channel, e.g. a normalization mean)."""

    allow_scalar: bool = True
    min_len: int = 1
    kind: ClassVar[str] = "numbers"

    def _accepts(self, value):
        if self.allow_scalar and _is_number(value):
            return True
        return isinstance(value, list) and len(value) >= self.min_len and all(map(_is_number, value))

    def _expected(self):
        return ("a number or " if self.allow_scalar else "") + "a list of numbers"


@dataclass(frozen=True, kw_only=True)
class JsonParam(Param):
    """A JSON object kept as it is, e.g. the configuration of a Keras layer class that has
    no node type of its own.  Checked only for being an object."""

    kind: ClassVar[str] = "json"

    def _accepts(self, value):
        return isinstance(value, dict)

    def _expected(self):
        return "a JSON object"


@dataclass(frozen=True)
class Option:
    """One alternative of a :class:`NestedChoiceParam` with its own arguments.

    ``target`` names what the option stands for in the library that executes it
    (e.g. the Keras class ``RandomNormal``); the core never interprets it.
    """

    name: str
    target: str = ""
    help: str = ""
    args: tuple[Param, ...] = ()

    def arg(self, name: str) -> Param | None:
        return next((a for a in self.args if a.name == name), None)


@dataclass(frozen=True, kw_only=True)
class NestedChoiceParam(Param):
    """A choice whose options carry their own parameters, as Keras initializers do.

    Value forms: the option name alone (``"glorot_uniform"``, all arguments at
    their defaults) or ``{"name": "random_normal", "args": {"stddev": 0.1}}``.
    The canonical form keeps only non-default arguments and falls back to the
    bare name when none are left.
    """

    options: tuple[Option, ...] = ()
    kind: ClassVar[str] = "nested choice"

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def _expected(self):
        names = ", ".join(show_value(o.name) for o in self.options)
        return f'one of {names} (or {{"name": ..., "args": {{...}}}})'

    def split(self, value: Any) -> tuple[str, dict] | None:
        """``(option name, args)`` of a well-formed value, else ``None``."""
        if isinstance(value, str):
            return value, {}
        if (
            isinstance(value, dict)
            and isinstance(value.get("name"), str)
            and set(value) <= {"name", "args"}
            and isinstance(value.get("args", {}), dict)
        ):
            return value["name"], value.get("args", {})
        return None

    def _check(self, value):
        parts = self.split(value)
        if parts is None or self.option(parts[0]) is None:
            return [("", expected_got(self.expected(), value))]
        opt = self.option(parts[0])
        problems: CheckResult = []
        for key, arg_value in parts[1].items():
            arg = opt.arg(key)
            if arg is None:
                known = ", ".join(a.name for a in opt.args) or "none"
                problems.append(
                    (f".{key}", f"unknown argument of {opt.name}; expected one of: {known}")
                )
                continue
            problems += [("." + path, msg) for path, msg in arg.check(arg_value)]
        return problems

    def canonical(self, value):
        parts = self.split(value)
        opt = self.option(parts[0]) if parts else None
        if opt is None:
            return value
        args = {}
        for arg in opt.args:  # declared order, defaults dropped
            if arg.name in parts[1] and not arg.is_default(parts[1][arg.name]):
                args[arg.name] = parts[1][arg.name]
        args.update({k: v for k, v in parts[1].items() if opt.arg(k) is None})
        return {"name": opt.name, "args": args} if args else opt.name

    def resolved(self, value) -> tuple[Option, dict] | None:
        """The option and its full arguments (defaults filled in) of a valid value."""
        parts = self.split(value)
        opt = self.option(parts[0]) if parts else None
        if opt is None:
            return None
        args = {a.name: a.default for a in opt.args if not a.required}
        args.update(parts[1])
        return opt, args

    def _describe_extra(self):
        return {
            "options": [
                {
                    "name": o.name,
                    "help": o.help,
                    "args": [a.describe() for a in o.args],
                }
                for o in self.options
            ]
        }


def group_params(params: tuple[Param, ...] | list[Param]) -> list[tuple[str, tuple[Param, ...]]]:
    """The parameters by group: ``[(group, params), ...]``, groups in the order of their
    first parameter, parameters in declared order.  A node that declares no groups has
    one, :data:`DEFAULT_GROUP`.
    """
    groups: dict[str, list[Param]] = {}
    for param in params:
        groups.setdefault(param.group, []).append(param)
    return [(name, tuple(members)) for name, members in groups.items()]


PARAM_KINDS: tuple[type[Param], ...] = (
    IntParam,
    FloatParam,
    BoolParam,
    ChoiceParam,
    TextParam,
    FileParam,
    TextListParam,
    ColumnsParam,
    ShapeParam,
    NumbersParam,
    JsonParam,
    NestedChoiceParam,
)

__all__ = [
    "REQUIRED",
    "DEFAULT_GROUP",
    "group_params",
    "Param",
    "IntParam",
    "FloatParam",
    "BoolParam",
    "ChoiceParam",
    "TextParam",
    "FileParam",
    "TextListParam",
    "ColumnsParam",
    "ShapeParam",
    "NumbersParam",
    "JsonParam",
    "Option",
    "NestedChoiceParam",
    "PARAM_KINDS",
    "same_value",
    "size_problem",
    "MAX_TEXT",
    "MAX_ITEMS",
    "MAX_DEPTH",
]
