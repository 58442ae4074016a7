"""The parameter-space grammar of ``nodeflow sweep --param PATH=SPACE``.

Forms (numbers as in Python or JSON; spaces are ignored)::

    loguniform(LOW, HIGH)            a float, log scale (LOW > 0)
    uniform(LOW, HIGH)  float(LOW, HIGH)
    float(LOW, HIGH, log)            the same as loguniform
    float(LOW, HIGH, step=K)         LOW, LOW+K, ... <= HIGH
    int(LOW, HIGH)  int(LOW, HIGH, log)  int(LOW, HIGH, step=K)
    choice(A, B, ...)                each value JSON when it parses as JSON, else text
                                     (as ``--set`` reads values): choice(adam, sgd),
                                     choice(16, 32), choice([3, 3], [5, 5])

Bounds are inclusive, as Optuna's distributions are.  A :class:`Space` knows the
values it can produce at its edges (:meth:`Space.corners`), so the sweep can validate
them with the workflow before any trial runs, and its finite grid when it has one.
Standard library only.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

FORMS = ("loguniform(LOW, HIGH)", "uniform(LOW, HIGH)", "float(LOW, HIGH[, log | step=K])",
         "int(LOW, HIGH[, log | step=K])", "choice(A, B, ...)")
_CALL = re.compile(r"\s*([A-Za-z_]+)\s*\((.*)\)\s*", re.DOTALL)
MAX_GRID = 100_000  # a grid larger than this is surely a mistake (and slow to list)


class SpaceError(ValueError):
    """A space text that does not parse; the message names the text and what was expected."""


@dataclass(frozen=True)
class Space:
    """One swept parameter's values: ``kind`` is "float", "int" or "choice"."""

    text: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: tuple[Any, ...] = ()

    # -- Optuna ------------------------------------------------------------------
    def suggest(self, trial, name: str) -> Any:
        """Ask an Optuna trial for a value of this space under ``name``."""
        if self.kind == "float":
            return trial.suggest_float(name, self.low, self.high, log=self.log, step=self.step)
        if self.kind == "int":
            return trial.suggest_int(name, self.low, self.high, log=self.log, step=self.step or 1)
        encoded = [self.encode(c) for c in self.choices]
        return self.decode(trial.suggest_categorical(name, encoded))

    @property
    def primitive(self) -> bool:
        """Whether every choice is a number, text, bool or null (Optuna stores those as they
        are; lists and objects are stored as their JSON text)."""
        return all(c is None or isinstance(c, (bool, int, float, str)) for c in self.choices)

    def encode(self, value: Any) -> Any:
        return value if self.primitive else json.dumps(value)

    def decode(self, value: Any) -> Any:
        return value if self.primitive else json.loads(value)

    # -- what it can produce -------------------------------------------------------
    def corners(self) -> list[Any]:
        """The values at the edges of the space (every choice): enough to check its range
        against a parameter's limits and type."""
        if self.kind == "choice":
            return list(self.choices)
        if self.step is not None:  # the largest value on the grid, not HIGH itself
            top = self.low + self.step * math.floor((self.high - self.low) / self.step + 1e-9)
            return [self.low, type(self.low)(top) if self.kind == "int" else top]
        return [self.low, self.high] if self.low != self.high else [self.low]

    def grid(self) -> list[Any] | None:
        """Every value, for a finite space (choice, int or float with a step), else None."""
        if self.kind == "choice":
            return list(self.choices)
        if self.step is None or self.log:
            return None
        count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        if count > MAX_GRID:
            return None
        if self.kind == "int":
            return [self.low + i * self.step for i in range(count)]
        return [round(self.low + i * self.step, 12) for i in range(count)]


def parse(text: str) -> Space:
    """Parse one space text; raises :class:`SpaceError` naming the text and what was expected."""
    match = _CALL.fullmatch(text)
    if not match:
        raise _error(text, "one of " + ", ".join(FORMS))
    form, inner = match.group(1), match.group(2)
    args = split_arguments(inner, text)
    if form == "choice":
        if not args or args == [""]:
            raise _error(text, "choice(A, B, ...) with at least one value")
        values = [_value(a) for a in args]
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise _error(text, "choice(...) with distinct values")
        return Space(text, "choice", choices=tuple(values))
    if form in ("loguniform", "uniform"):
        if len(args) != 2:
            raise _error(text, f"{form}(LOW, HIGH) with 2 numbers, got {len(args)} argument(s)")
        return _range(text, "float", args[0], args[1], log=form == "loguniform", step=None)
    if form in ("float", "int"):
        if len(args) not in (2, 3):
            raise _error(text, f"{form}(LOW, HIGH[, log | step=K]), got {len(args)} argument(s)")
        log, step = False, None
        if len(args) == 3:
            option = args[2].replace(" ", "")
            if option == "log":
                log = True
            elif option.startswith("step="):
                step = _number(text, option[5:], "K", form == "int")
                if step <= 0:
                    raise _error(text, f"step=K with K > 0, got {option[5:]}")
            else:
                raise _error(text, f"log or step=K as the third argument, got {args[2]!r}")
        return _range(text, form, args[0], args[1], log=log, step=step)
    raise _error(text, "one of " + ", ".join(FORMS) + f"; unknown form {form!r}")


def split_arguments(inner: str, text: str) -> list[str]:
    """Split on the commas that are not inside brackets, braces or quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(inner):
        if quote:
            if char == quote and inner[i - 1] != "\\":
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    if quote or depth:
        raise _error(text, "balanced brackets and quotes")
    parts.append(inner[start:].strip())
    return parts


def _range(text: str, kind: str, low_text: str, high_text: str, log: bool, step) -> Space:
    integer = kind == "int"
    low = _number(text, low_text, "LOW", integer)
    high = _number(text, high_text, "HIGH", integer)
    if low > high:
        raise _error(text, f"LOW <= HIGH, got {low_text} > {high_text}")
    if log and low <= 0:
        raise _error(text, f"LOW > 0 on a log scale, got {low_text}")
    if kind == "float":
        low, high = float(low), float(high)
        step = float(step) if step is not None else None
    return Space(text, kind, low=low, high=high, log=log, step=step)


def _number(text: str, value: str, name: str, integer: bool) -> float | int:
    try:
        number = json.loads(value.strip()) if not value.strip().startswith("+") else None
    except ValueError:
        number = None
    if number is None or isinstance(number, bool):
        try:
            number = float(value)
        except ValueError:
            raise _error(text, f"{name} as a number, got {value.strip()!r}") from None
    if not isinstance(number, (int, float)) or not math.isfinite(number):
        raise _error(text, f"{name} as a finite number, got {value.strip()!r}")
    if integer:
        if float(number) != int(number):
            raise _error(text, f"{name} as an integer, got {value.strip()!r}")
        return int(number)
    return number


def _value(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] == "'":  # 'text' as a convenience in shells
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _error(text: str, expected: str) -> SpaceError:
    return SpaceError(f"{text!r}: expected {expected}")
