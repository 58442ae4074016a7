"""The properties panel: the selected node's parameters, one fitting editor each, and its
documentation.

The panel is a view: it never changes the workflow itself.  It shows the values it is
given (``show_node`` / ``update_value``) and reports what the user commits through
``param_edited(node_id, name, value)`` and ``reset_requested(node_id, name)``; the owner
(the main window) turns those into undoable document edits and calls ``update_value``
when the model changes (undo, redo, a refused edit).

Decisions
---------
- Editors are chosen from :data:`EDITORS`, a table ``Param class -> editor class``,
  looked up along the parameter's class hierarchy (so ``ColumnsParam`` finds its own
  editor before ``TextListParam``'s and a node-defined subclass such as ``RangeParam``
  finds its base's).  A kind nobody registered gets the JSON text editor.  Adding a kind
  is one table entry.
- Only valid values are emitted (``param_edited`` always carries a value that passes
  ``param.check``).  Every edit (each keystroke of a text field, each step
  of a spin box) is checked at once with the parameter's own ``check``; a value that does
  not parse or does not pass is marked (red border, the reason under the editor and as its
  tooltip) and nothing is emitted; the editor keeps the user's text until it is fixed or
  the model sends another value.  A commit that repeats the current value emits nothing.
- Commits: text fields and typed numbers on ``editingFinished`` (Enter or focus out);
  spin-box arrow steps, check boxes, combo boxes, the file dialog and the column list at
  once (each arrow step is one edit: merging them into one undo step is the document's
  business).  Wheel events only reach a focused spin or combo box, so scrolling the panel never
  edits a value by accident.
- Parameters the node does not set show the spec's default in grey italics and no reset
  button (its place is kept, so editors stay aligned); set ones show normal text and a
  reset button.  Reset shows the default at once and emits ``reset_requested``.  Required
  parameters are marked ``*`` and have no reset; while unset they show "(not set)" and
  the reason.  ``update_value`` without ``explicit`` shows a value equal to the default
  as a default (the main window passes the default for a parameter the node lost).
- Showing the node already shown only refreshes values that changed, and an unchanged
  value keeps the user's unconfirmed text.  Switching nodes first commits what the user
  typed and did not confirm, to the node it was typed for.
- "No value" (``null``) of optional numbers is the spin box's lowest step, shown as
  "(none)" (Qt's special-value text); optional choices and nested choices get a "(none)"
  entry; an optional bool is a tristate box (partially checked = null); an empty field of
  an optional text, file, shape, numbers or JSON parameter means null.
- Float boxes keep 10 decimals (Keras's 1e-07 epsilons survive a round trip; the brief's 6
  would round them to 0) and display the shortest text ("0.05", not "0.0500000000").
  Open bounds (``0 <= rate < 1``) are left to validation: the box allows the bound itself
  and the check explains why it is refused.  Numbers use the C locale, as JSON does.
- Text lists (and column lists) read "a, b, c", or a JSON list for items with commas,
  surrounding spaces or empty texts (such items are displayed as JSON).  Shapes read
  "28, 28, 1", "(3, 3)" or JSON such as "[null, 4]"; a bare integer is a one-entry shape
  unless the parameter allows a bare int.  An optional text's empty field means null; the
  single text ``\\t`` stands for a tab (a tab cannot be typed into a field).
- Column parameters show a checkable list of the upstream table's columns when they are
  known (``set_known_columns``); ticking keeps the list's order of the current value and
  appends new picks; a chosen column missing upstream stays listed, marked.
- The file button calls :func:`choose_path`, a module-level function, so tests (and
  other front ends) can replace the dialog.
- Nested choices (initializers, regularizers, constraints) are a combo box of options plus
  a sub-form of the chosen option's arguments built by the same editor table, shown as a
  full-width row under the choice's row; the value emitted is the option name when all
  arguments are at their defaults, else ``{"name": ..., "args": {non-default arguments}}``
  (the parameter's canonical form).
- Parameter groups (``Param.group``) are sections of a QToolBox, one open at a time as the
  tabs of KNIME's configure dialogs, stacked so that a narrow dock shows every title; a
  section holding a problem carries a warning icon; the next node of the same type opens
  on the section last opened.  A node with one group shows a plain form.
- The form fits the dock's width: no editor asks for more than a few characters (spin
  boxes are not sized for their whole range), problem texts wrap inside long words, and
  when labels and fields do not fit side by side every label goes above its field.  A
  dock narrower than that minimum scrolls horizontally rather than clipping.

- Right-clicking the label of a parameter a sweep can vary (or its combo or check box, which
  have no context menu of their own; text and spin boxes keep theirs) offers "Add to sweep"; the panel only reports it
  (``add_to_sweep``) with the parameter's path (``node.param``, ``node.param.argument``
  for a nested choice's argument) and the value shown.
Imports only PySide6, nodeflow.core and :func:`~nodeflow.gui.sweep_setup.sweepable`.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from typing import Any

from PySide6.QtCore import QEvent, QLocale, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QTabWidget,
    QTextBrowser,
    QToolBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nodeflow.core.errors import expected_got, show_value
from nodeflow.core.outside import is_listed, resolve
from nodeflow.core.params import (
    REQUIRED,
    BoolParam,
    ChoiceParam,
    ColumnsParam,
    FileParam,
    FloatParam,
    IntParam,
    JsonParam,
    NestedChoiceParam,
    NumbersParam,
    Param,
    ShapeParam,
    TextListParam,
    TextParam,
    group_params,
    same_value,
)
from nodeflow.core.spec import NodeSpec

from .sweep_setup import sweepable


class _Unset:
    """Sentinel: the node does not set this parameter (show the default)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

NONE_TEXT = "(none)"
NOT_SET_TEXT = "(not set)"
INVALID_COLOR = "#d9534f"
OUTSIDE_COLOR = "#c77c02"  # a warning, not an error: the path is allowed
STYLE_SHEET = f"""
*[nfDefault="true"] {{ color: palette(placeholder-text); font-style: italic; }}
QFrame#nfRing {{ border: 1px solid transparent; border-radius: 3px; }}
QFrame#nfRing[nfInvalid="true"] {{ border-color: {INVALID_COLOR}; }}
QLabel#nfProblem {{ color: {INVALID_COLOR}; }}
QLabel#nfResolved {{ color: palette(placeholder-text); }}
QLabel#nfResolved[nfOutside="true"] {{ color: {OUTSIDE_COLOR}; font-weight: bold; }}
QFrame#nfSubForm {{ border: none; border-left: 2px solid palette(midlight); margin-left: 16px; }}
QToolBox::tab {{ background: palette(button); border: 1px solid palette(mid); border-radius: 3px;
                 padding: 1px 4px; }}
QToolBox::tab:selected {{ font-weight: bold; }}
"""


def choose_path(parent: QWidget | None, param: FileParam, current: str) -> str | None:
    """Ask the user for a path with the dialog that fits ``param.mode``.

    Returns the chosen path, or None when the dialog was cancelled.  Tests replace this
    function (``monkeypatch.setattr(properties, "choose_path", ...)``).
    """
    caption = f"Choose {param.name}"
    filters = ";;".join([*param.filters, "All files (*)"] if param.filters and
                        not any("(*)" in f for f in param.filters) else param.filters)
    if param.mode == "folder":
        path = QFileDialog.getExistingDirectory(parent, caption, current)
    elif param.mode == "save":
        path, _ = QFileDialog.getSaveFileName(parent, caption, current, filters)
    else:
        path, _ = QFileDialog.getOpenFileName(parent, caption, current, filters)
    return path or None


class ParseError(ValueError):
    """The editor's text is not a value of its kind; the message reads "expected ..."."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def problem_text(param: Param, problems: list[tuple[str, str]]) -> str:
    """One line for a check result; nested paths keep their tail (``stddev: expected ...``)."""
    parts = []
    for path, message in problems:
        tail = path[len(param.name) + 1:] if path.startswith(param.name + ".") else ""
        parts.append(f"{tail}: {message}" if tail else message)
    return "; ".join(parts)


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


# =====================================================================================
# editors
# =====================================================================================
class ParamEditor(QWidget):
    """Base of the editors: shows a value, reads the user's input back, checks it.

    Layout: ``self.top`` (a row: the inputs, buttons) above anything a subclass adds to
    ``self.column`` (a column list, a nested sub-form).  Subclasses add their main input
    widgets with :meth:`add_input`, implement ``_show(value)`` (display a value; ``None``
    also stands for "not set") and ``_read()`` (the value the widgets hold, or raise
    :class:`ParseError`), and call ``commit()`` when the user finishes an edit and
    ``check_live()`` on every change.
    """

    committed = Signal(object)  # a valid value the user committed
    problem_changed = Signal(str)  # "" when the shown value is fine
    sweep_requested = Signal(str, object, object)  # "Add to sweep" on an argument: its path below
    # this parameter, its Param, its shown value (only nested choices have arguments)

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(parent)
        self.param = param
        self._last: Any = UNSET  # the value last shown or committed
        self.shown = False  # set_value was called
        self._updating = False
        self.problem = ""
        self.inputs: list[QWidget] = []  # get the default look and the problem as tooltip
        # a part a form shows as a full-width row under the editor's row (a nested option's
        # arguments), so it is not squeezed into the field column
        self.below: QWidget | None = None
        self.rings: list[QFrame] = []  # frames around the inputs that turn red
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(2)
        self.column.setAlignment(Qt.AlignTop)  # a taller row keeps its inputs at the top, level with the label
        self.top = QHBoxLayout()
        self.top.setSpacing(4)
        self.column.addLayout(self.top)

    def add_input(self, widget: QWidget, stretch: int = 1) -> None:
        """Put a main input into the top row, inside a frame that shows a problem in red
        (a border on the frame leaves the input's native look alone)."""
        ring = QFrame()
        ring.setObjectName("nfRing")
        ring.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)  # never taller than its input
        layout = QHBoxLayout(ring)
        layout.setContentsMargins(0, 0, 0, 0)  # the style sheet's 1px border is the margin
        layout.addWidget(widget)
        self.top.addWidget(ring, stretch)
        self.inputs.append(widget)
        self.rings.append(ring)
        if len(self.inputs) == 1:
            self.setFocusProxy(widget)

    # -- public ------------------------------------------------------------------
    def set_value(self, value: Any) -> None:
        """Show ``value`` (``UNSET``: not set and no default) without emitting."""
        self._updating = True
        try:
            self._show(None if value is UNSET else value)
        finally:
            self._updating = False
        self._last = value
        self.shown = True
        if value is UNSET:
            self._set_problem(self._required_problem())
        else:
            self._set_problem(problem_text(self.param, self.param.check(value)))

    def value(self) -> Any:
        """The value last shown or committed (``UNSET`` when none)."""
        return self._last

    def commit(self) -> None:
        """Check the user's input; emit it when valid and different from the current value."""
        if self._updating:
            return
        value = self._checked()
        if value is UNSET:
            return
        if self._last is not UNSET and same_value(self.param.canonical(value),
                                                  self.param.canonical(self._last)):
            return
        self._last = value
        self.committed.emit(value)

    def enter(self, value: Any) -> None:
        """Put ``value`` into the widgets and commit it, as if the user had typed it."""
        self._updating = True
        try:
            self._show(value)
        finally:
            self._updating = False
        self.commit()

    def check_live(self, *_args) -> None:
        """Mark the current input at once, without emitting."""
        if not self._updating:
            self._checked()

    def set_known_columns(self, columns: list[str] | None) -> None:
        """The upstream table's column names (only column editors use them)."""

    def set_folder(self, folder: str | None) -> None:
        """The workflow's folder, which relative paths refer to (only file editors use it)."""

    # -- helpers -----------------------------------------------------------------
    def _checked(self) -> Any:
        try:
            value = self._read()
        except ParseError as exc:
            self._set_problem(str(exc))
            return UNSET
        problem = problem_text(self.param, self.param.check(value))
        self._set_problem(problem)
        return UNSET if problem else value

    def _parse_error(self, text: str, detail: str = "") -> ParseError:
        message = expected_got(self.param.expected(), text)
        return ParseError(f"{message} ({detail})" if detail else message)

    def _set_problem(self, problem: str) -> None:
        for ring in self.rings:
            if bool(ring.property("nfInvalid")) != bool(problem):
                ring.setProperty("nfInvalid", bool(problem))
                _repolish(ring)
        if problem != self.problem:
            self.problem = problem
            self.problem_changed.emit(problem)

    def _required_problem(self) -> str:
        return f"required: expected {self.param.expected()}"

    def _show(self, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class _NoWheelUnfocused:
    """Mixin: the wheel only edits a focused box, so scrolling the panel edits nothing."""

    def wheelEvent(self, event):  # noqa: N802 - Qt name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _NarrowSpin:
    """Mixin: size hints of a few digits, not of the whole range.

    Qt sizes a spin box for the text of its minimum and maximum; an unbounded int (2^31)
    or a float box with 10 decimals up to 1e12 then asks for 110-160 px and, with the spin
    box's default Minimum policy, never shrinks below it: the form grew wider than the
    panel and its right edge was cut off.  The box may now shrink to :data:`DIGITS`
    characters (it scrolls its text like a line edit) and grows with the form.
    """

    DIGITS = 9

    def _narrow(self, hint: QSize) -> QSize:
        cap = self.fontMetrics().horizontalAdvance("0" * self.DIGITS) + 36  # frame and arrows
        return QSize(min(hint.width(), cap), hint.height())

    def sizeHint(self):  # noqa: N802 - Qt name
        return self._narrow(super().sizeHint())

    def minimumSizeHint(self):  # noqa: N802 - Qt name
        return self._narrow(super().minimumSizeHint())


class _SpinBox(_NarrowSpin, _NoWheelUnfocused, QSpinBox):
    stepped = Signal()

    def stepBy(self, steps):  # noqa: N802 - Qt name
        super().stepBy(steps)
        self.stepped.emit()


class _DoubleSpinBox(_NarrowSpin, _NoWheelUnfocused, QDoubleSpinBox):
    stepped = Signal()

    def stepBy(self, steps):  # noqa: N802 - Qt name
        super().stepBy(steps)
        self.stepped.emit()

    def textFromValue(self, value):  # noqa: N802 - Qt name
        text = f"{value:.{self.decimals()}f}"
        if "." in text:
            text = text.rstrip("0")
            text += "0" if text.endswith(".") else ""
        return text


class _ComboBox(_NoWheelUnfocused, QComboBox):
    pass


class _NumberEditor(ParamEditor):
    """A spin box over the parameter's (closed) range.

    Null (optional, or a required value not set yet) is the lowest step, shown as
    "(none)" / "(not set)".  A value outside the range (from a file) widens the box while
    it is shown, so the box never shows another number than the model holds.
    """

    LIMIT: float = 2**31 - 1

    def __init__(self, param: Param, spin: QSpinBox | QDoubleSpinBox, step: float = 1):
        super().__init__(param)
        self.spin = spin
        spin.setLocale(QLocale.c())
        spin.setSizePolicy(QSizePolicy.Preferred, spin.sizePolicy().verticalPolicy())
        spin.setFocusPolicy(Qt.StrongFocus)
        spin.setAccelerated(True)
        spin.setSingleStep(step)
        self._lo = -self.LIMIT if param.min is None else max(param.min, -self.LIMIT)
        self._hi = self.LIMIT if param.max is None else min(param.max, self.LIMIT)
        self._special = ""
        if param.optional or param.required:
            self._special = NONE_TEXT if param.optional else NOT_SET_TEXT
            if param.min is not None:
                self._lo -= step  # one step below the range stands for null
        self._odd = False
        self._configure(None)
        spin.valueChanged.connect(self.check_live)
        spin.editingFinished.connect(self.commit)
        spin.stepped.connect(self.commit)
        self.add_input(spin)

    def _configure(self, odd: float | None) -> None:
        self._odd = odd is not None
        if odd is None:
            self.spin.setSpecialValueText(self._special)
            self.spin.setRange(self._lo, self._hi)
        else:
            odd = max(-self.LIMIT, min(self.LIMIT, odd))
            self.spin.setSpecialValueText("")
            self.spin.setRange(min(odd, self._lo), max(odd, self._hi))

    def _number(self, value) -> bool:
        return _is_int(value)

    def _show(self, value):
        if self._number(value):
            self._configure(None if self._lo <= value <= self._hi else value)
            self.spin.setValue(value)
        else:
            self._configure(None)
            self.spin.setValue(self.spin.minimum())

    def _read(self):
        value = self.spin.value()
        return None if self.spin.specialValueText() and value == self.spin.minimum() else value

    def commit(self):
        super().commit()
        if self._odd and not self.problem and not self._updating:  # back in range: normal box
            value = self.spin.value()
            self._updating = True
            try:
                self._configure(None)
                self.spin.setValue(value)
            finally:
                self._updating = False


class IntEditor(_NumberEditor):
    """QSpinBox over the parameter's range (a large one when unbounded)."""

    def __init__(self, param: IntParam, parent=None):
        super().__init__(param, _SpinBox())


class FloatEditor(_NumberEditor):
    """QDoubleSpinBox over the parameter's range; open bounds are left to the check."""

    LIMIT = 1e12
    DECIMALS = 10

    def __init__(self, param: FloatParam, parent=None):
        spin = _DoubleSpinBox()
        spin.setDecimals(self.DECIMALS)
        super().__init__(param, spin, _float_step(param))

    def _number(self, value):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    def _show(self, value):
        if self._number(value):  # enough decimals to show the value exactly
            decimals = next((d for d in range(self.DECIMALS, 16) if round(value, d) == value), 15)
            if decimals != self.spin.decimals():
                self.spin.setDecimals(decimals)
        super()._show(float(value) if self._number(value) else value)


def _float_step(param: FloatParam) -> float:
    """A step of the order of the default (0.05 -> 0.01, 0.99 -> 0.1), else 0.1."""
    default = param.default
    if isinstance(default, (int, float)) and not isinstance(default, bool) and default:
        return max(10.0 ** math.floor(math.log10(abs(default))), 10.0 ** -FloatEditor.DECIMALS)
    if param.min is not None and param.max is not None and param.max > param.min:
        return 10.0 ** math.floor(math.log10((param.max - param.min) / 10))
    return 0.1


class BoolEditor(ParamEditor):
    """QCheckBox; tristate when optional (partially checked = null)."""

    def __init__(self, param: BoolParam, parent=None):
        super().__init__(param, parent)
        self.check = QCheckBox()
        self.check.setTristate(param.optional)
        self.check.checkStateChanged.connect(self._changed)
        self.add_input(self.check, 0)
        self.top.addStretch(1)

    def _changed(self, _state):
        self._label_state()
        self.commit()

    def _label_state(self):
        partial = self.check.checkState() == Qt.PartiallyChecked
        self.check.setText(NONE_TEXT if partial else "")

    def _show(self, value):
        if value is True:
            self.check.setCheckState(Qt.Checked)
        elif value is False or not self.param.optional:
            self.check.setCheckState(Qt.Unchecked)
        else:
            self.check.setCheckState(Qt.PartiallyChecked)
        self._label_state()

    def _read(self):
        state = self.check.checkState()
        if state == Qt.PartiallyChecked:
            return None
        return state == Qt.Checked


class ChoiceEditor(ParamEditor):
    """QComboBox of the options, with "(none)" first when optional."""

    def __init__(self, param: ChoiceParam, parent=None):
        super().__init__(param, parent)
        self.combo = _ComboBox()
        self.combo.setFocusPolicy(Qt.StrongFocus)
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(8)
        self.combo.setPlaceholderText(NOT_SET_TEXT)
        self._choices: list[Any] = []
        self._fill(UNSET)
        self.combo.currentIndexChanged.connect(self._changed)
        self.add_input(self.combo)

    def _options(self) -> list[tuple[Any, str, str]]:
        """The options as (value, text, tooltip)."""
        return [(o, o, "") for o in self.param.options]

    def _required_problem(self) -> str:
        """A long list of options is in the combo box already; the message does not repeat it."""
        count = len(self.param.options)
        return super()._required_problem() if count <= 4 else f"required: choose one of the {count} options"

    def _fill(self, extra: Any) -> None:
        self.combo.clear()
        self._choices = []
        items = ([(None, NONE_TEXT, "null: not set")] if self.param.optional else []) + self._options()
        if extra is not UNSET:  # an odd value (from a file) stays visible
            items.append((extra, f"{show_value(extra, 30)} (unknown)", "not an option of this parameter"))
        for value, text, tip in items:
            self.combo.addItem(text)
            if tip:
                self.combo.setItemData(self.combo.count() - 1, tip, Qt.ToolTipRole)
            self._choices.append(value)

    def _index_of(self, value) -> int:
        return next((i for i, c in enumerate(self._choices) if same_value(c, value)), -1)

    def _changed(self, _index):
        self.commit()

    def _show(self, value):
        unknown = value is not None and self._index_of(value) < 0
        if unknown or len(self._choices) != len(self.param.options) + self.param.optional:
            self._fill(value if unknown else UNSET)
        self.combo.setCurrentIndex(self._index_of(value))  # -1 shows "(not set)"

    def _read(self):
        index = self.combo.currentIndex()
        return self._choices[index] if index >= 0 else None


class TextEditor(ParamEditor):
    """QLineEdit; an optional text's empty field means null; ``\\t`` stands for a tab."""

    placeholder = ""

    def __init__(self, param: Param, parent=None):
        super().__init__(param, parent)
        self.line = QLineEdit()
        self.line.setPlaceholderText(self._placeholder())
        self.line.textEdited.connect(self.check_live)
        self.line.editingFinished.connect(self.commit)
        self.add_input(self.line)

    def _placeholder(self) -> str:
        return NONE_TEXT if self.param.optional else self.placeholder

    def _show(self, value):
        self.line.setText(self._format(value))
        self.line.setCursorPosition(0)

    def _read(self):
        return self._parse(self.line.text())

    def _format(self, value) -> str:
        if value is None:
            return ""
        return "\\t" if value == "\t" else str(value)

    def _parse(self, text: str):
        if text == "" and self.param.optional:
            return None
        return "\t" if text == "\\t" else text


class FileEditor(TextEditor):
    """QLineEdit plus a "..." button opening the dialog that fits the mode."""

    def __init__(self, param: FileParam, parent=None):
        super().__init__(param, parent)
        self.button = QToolButton()
        self.button.setText("...")
        self.button.setToolTip({"open": "Choose a file to read", "save": "Choose where to write",
                                "folder": "Choose a folder"}.get(param.mode, "Choose"))
        self.button.clicked.connect(self.browse)
        self.top.addWidget(self.button)
        self.folder: str | None = None
        # the path the node will use, resolved, and whether it leaves the workflow's folder
        self.resolved = QLabel()
        self.resolved.setObjectName("nfResolved")
        self.resolved.setWordWrap(True)
        self.resolved.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.resolved.hide()
        self.column.addWidget(self.resolved)
        self.line.textChanged.connect(self._show_resolved)

    def set_folder(self, folder: str | None) -> None:
        self.folder = folder
        self._show_resolved()

    def _show_resolved(self, *_args) -> None:
        text = self.line.text()
        if not text.strip() or "\x00" in text or (self.folder is None and not os.path.isabs(text)):
            self.resolved.hide()
            return
        path = resolve(self.folder, text)
        outside = self.folder is not None and is_listed(self.folder, self.param.access, path)
        self.resolved.setText(f"{path}  \u2014  outside the workflow folder" if outside else path)
        self.resolved.setProperty("nfOutside", outside)
        _repolish(self.resolved)
        self.resolved.show()

    def browse(self) -> None:
        path = choose_path(self, self.param, self.line.text())
        if path:
            self.line.setText(path)
            self.commit()

    def _format(self, value):
        return "" if value is None else str(value)

    def _parse(self, text):
        return None if text.strip() == "" and self.param.optional else text


_PLAIN_ITEM = re.compile(r"[^,\[\]\s](?:[^,]*[^,\s])?")


class TextListEditor(TextEditor):
    """Comma-separated texts, or a JSON list (for items with commas, spaces or empty)."""

    placeholder = "a, b, c"

    def _format(self, value):
        if value is None:
            return ""
        if isinstance(value, list) and all(isinstance(v, str) and _PLAIN_ITEM.fullmatch(v) for v in value):
            return ", ".join(value)
        return json.dumps(value, ensure_ascii=False)

    def _parse(self, text):
        stripped = text.strip()
        if stripped == "" and self.param.optional:
            return None
        if stripped.startswith("[") or stripped == "null":
            try:
                return json.loads(stripped)
            except ValueError as exc:
                raise self._parse_error(text, f"{exc.msg} at column {exc.colno}") from None
        return [item.strip() for item in stripped.split(",") if item.strip()]


class ColumnsEditor(TextListEditor):
    """The text list editor plus, once the upstream columns are known, a checkable list."""

    placeholder = "column names: a, b, c"
    MAX_ROWS = 6

    def __init__(self, param: ColumnsParam, parent=None):
        super().__init__(param, parent)
        self.known: list[str] | None = None
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.NoSelection)
        # as tall as its rows (set when filled): an expanding list would take the section's spare height
        self.list.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.list.setVisible(False)
        self.list.itemChanged.connect(self._ticked)
        self.column.addWidget(self.list)

    def set_known_columns(self, columns):
        self.known = list(columns) if columns is not None else None
        self._fill_list()

    def _current(self) -> list[str]:
        try:
            value = self._parse(self.line.text())
        except ParseError:
            value = self._last
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def _fill_list(self) -> None:
        self._updating, was = True, self._updating
        try:
            self.list.clear()
            if self.known is None:
                self.list.setVisible(False)
                return
            chosen = self._current()
            names = self.known + [c for c in chosen if c not in self.known]
            for name in names:
                item = QListWidgetItem(name if name in self.known else f"{name} (missing)")
                item.setData(Qt.UserRole, name)
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if name in chosen else Qt.Unchecked)
                if name not in self.known:
                    item.setToolTip("not a column of the input table")
                    item.setForeground(self.palette().color(QPalette.PlaceholderText))
                self.list.addItem(item)
            rows = max(1, min(len(names), self.MAX_ROWS))
            height = self.list.sizeHintForRow(0) if names else 18
            self.list.setFixedHeight(rows * height + 2 * self.list.frameWidth() + 2)
            self.list.setVisible(True)
        finally:
            self._updating = was

    def _sync_checks(self) -> None:
        """Tick the listed columns the current value holds (in place, no rebuild)."""
        chosen = self._current()
        self._updating, was = True, self._updating
        try:
            for i in range(self.list.count()):
                item = self.list.item(i)
                item.setCheckState(Qt.Checked if item.data(Qt.UserRole) in chosen else Qt.Unchecked)
        finally:
            self._updating = was

    def _ticked(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        name = item.data(Qt.UserRole)
        chosen = [c for c in self._current() if c != name]
        if item.checkState() == Qt.Checked:
            # a single-column parameter swaps its column; a list appends the pick
            chosen = [name] if self.param.max_count == 1 else chosen + [name]
        self.line.setText(self._format(chosen))
        super().commit()
        self._sync_checks()

    def _show(self, value):
        super()._show(value)
        self._fill_list()

    def commit(self):
        """A typed list: commit it and show it in the column list."""
        super().commit()
        if not self._updating and self.known is not None:
            self._fill_list()


class ShapeEditor(TextEditor):
    """Integers separated by commas ("28, 28, 1"), or JSON ("[null, 4]", "[[1, 1], [2, 2]]")."""

    def _placeholder(self):
        if self.param.optional:
            return NONE_TEXT
        return "e.g. 3" if self.param.allow_int else "e.g. 28, 28, 1"

    def _format(self, value):
        if value is None:
            return ""
        if (isinstance(value, list) and value and all(d is None or _is_int(d) for d in value)
                and not (self.param.allow_int and len(value) == 1)):
            return ", ".join("null" if d is None else str(d) for d in value)
        return json.dumps(value)

    def _parse(self, text):
        stripped = text.strip()
        if stripped == "":
            if self.param.optional:
                return None
            raise self._parse_error(text)
        source = re.sub(r"\bNone\b", "null", stripped.replace("(", "[").replace(")", "]"))
        try:
            value = json.loads(source)
        except ValueError:
            try:
                value = json.loads("[" + source.rstrip().rstrip(",") + "]")
            except ValueError:
                raise self._parse_error(text) from None
        if _is_int(value) and not self.param.allow_int:
            value = [value]
        return value


class JsonEditor(TextEditor):
    """JSON text (objects, or anything for a kind without an editor of its own)."""

    def _placeholder(self):
        return NONE_TEXT if self.param.optional else "JSON"

    def _format(self, value):
        return "" if value is None else json.dumps(value, ensure_ascii=False)

    def _parse(self, text):
        stripped = text.strip()
        if stripped == "" and self.param.optional:
            return None
        try:
            return json.loads(stripped)
        except ValueError as exc:
            raise self._parse_error(text, f"{exc.msg} at column {exc.colno}") from None


class NumbersEditor(JsonEditor):
    """A number or a list of numbers: "0.5", "0.5, 0.2" or "[0.5, 0.2]"."""

    def _placeholder(self):
        return NONE_TEXT if self.param.optional else "e.g. 0.5 or 0.5, 0.2"

    def _parse(self, text):
        stripped = text.strip()
        if stripped == "":
            if self.param.optional:
                return None
            raise self._parse_error(text)
        try:
            return json.loads(stripped)
        except ValueError:
            try:
                return json.loads("[" + stripped.rstrip(",") + "]")
            except ValueError:
                raise self._parse_error(text) from None


class NestedChoiceEditor(ChoiceEditor):
    """A combo box of the options plus a sub-form of the chosen option's arguments."""

    def __init__(self, param: NestedChoiceParam, parent=None):
        self._args: dict[str, Any] = {}
        self._option_name: str | None = None
        self.form: ParamForm | None = None
        self.known: list[str] | None = None
        super().__init__(param, parent)
        self.sub = QFrame()
        self.sub.setObjectName("nfSubForm")
        layout = QVBoxLayout(self.sub)
        layout.setContentsMargins(10, 2, 0, 2)
        self.sub.setVisible(False)
        self.column.addWidget(self.sub)  # a ParamForm moves it into a row of its own
        self.below = self.sub

    def _options(self):
        return [(o.name, o.name, o.help) for o in self.param.options]

    def set_known_columns(self, columns):
        self.known = columns
        if self.form is not None:
            self.form.set_known_columns(columns)

    def _build_form(self, option_name: str | None) -> None:
        if option_name == self._option_name and (self.form is not None or option_name is None):
            return
        self._option_name = option_name
        if self.form is not None:
            self.form.setParent(None)
            self.form.deleteLater()
            self.form = None
        option = self.param.option(option_name) if isinstance(option_name, str) else None
        if option is not None and option.args:
            self.form = ParamForm(option.args, self.sub)
            self.form.set_known_columns(self.known)
            self.form.edited.connect(self._arg_edited)
            self.form.reset.connect(self._arg_reset)
            self.form.sweep_requested.connect(self.sweep_requested)
            self.sub.layout().addWidget(self.form)
        self.sub.setVisible(self.form is not None)

    def _show(self, value):
        parts = self.param.split(value) if value is not None else None
        known = parts is not None and self.param.option(parts[0]) is not None
        super()._show(parts[0] if known else value)  # the option name, or the odd value
        self._args = dict(parts[1]) if known else {}
        self._build_form(parts[0] if known else None)
        if self.form is not None:
            self.form.set_values(self._args)

    def _changed(self, _index):
        if self._updating:
            return
        self._args = {}
        self._build_form(self._choice())
        if self.form is not None:
            self.form.set_values({})
        self.commit()

    def _choice(self):
        index = self.combo.currentIndex()
        return self._choices[index] if index >= 0 else None

    def _arg_edited(self, name: str, value: Any) -> None:
        self._args[name] = value
        self.commit()
        self._mark_args()

    def _arg_reset(self, name: str) -> None:
        self._args.pop(name, None)
        self.commit()

    def _mark_args(self) -> None:
        """An argument set back to its default looks like a default."""
        option = self.param.option(self._option_name) if self.form is not None else None
        for arg in option.args if option is not None else ():
            if arg.name in self._args:
                self.form.mark(arg.name, not arg.is_default(self._args[arg.name]))

    def _read(self):
        choice = self._choice()
        if not isinstance(choice, str) or self.param.option(choice) is None:
            return choice
        return self.param.canonical({"name": choice, "args": self._args})


# Param class -> editor class; looked up along the parameter's class hierarchy.
EDITORS: dict[type[Param], type[ParamEditor]] = {
    IntParam: IntEditor,
    FloatParam: FloatEditor,
    BoolParam: BoolEditor,
    ChoiceParam: ChoiceEditor,
    TextParam: TextEditor,
    FileParam: FileEditor,
    TextListParam: TextListEditor,
    ColumnsParam: ColumnsEditor,
    ShapeParam: ShapeEditor,
    NumbersParam: NumbersEditor,
    JsonParam: JsonEditor,
    NestedChoiceParam: NestedChoiceEditor,
}


def editor_for(param: Param, parent: QWidget | None = None) -> ParamEditor:
    """A new editor for ``param`` (the JSON editor for a kind without one of its own)."""
    for cls in type(param).__mro__:
        if cls in EDITORS:
            return EDITORS[cls](param, parent)
    return JsonEditor(param, parent)


# =====================================================================================
# a form of parameter rows
# =====================================================================================
class ProblemLabel(QLabel):
    """The reason a value is refused, word-wrapped to the width it is given.

    Messages hold long unbroken words (``"sparse_categorical_crossentropy",``); a wrapped
    QLabel is at least as wide as its longest word, which pushed the form past the panel's
    right edge.  The label shows the text with a zero-width space after each ``_``, ``/``
    and ``\\`` (extra line-break opportunities, invisible) and ``text()`` returns the
    message as it was given.
    """

    BREAK_AFTER = re.compile(r"([_/\\])")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._message = ""
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt name
        self._message = text
        super().setText(self.BREAK_AFTER.sub("\\1\u200b", text))

    def text(self) -> str:
        return self._message


class ParamRow(QWidget):
    """The field part of one form row: editor, reset button, and the problem under them."""

    reset = Signal()

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(parent)
        self.param = param
        self.explicit = False
        self.editor = editor_for(param)
        self.reset_button = QToolButton()
        self.reset_button.setAutoRaise(True)
        self.reset_button.setIcon(self.style().standardIcon(QStyle.SP_BrowserReload))
        self.reset_button.setIconSize(QSize(12, 12))
        self.reset_button.setToolTip("Reset to the default")
        keep_place = self.reset_button.sizePolicy()
        keep_place.setRetainSizeWhenHidden(True)  # the editors stay aligned
        self.reset_button.setSizePolicy(keep_place)
        self.reset_button.setVisible(False)
        self.reset_button.clicked.connect(self.reset)
        self.problem = ProblemLabel()
        self.problem.setObjectName("nfProblem")
        self.problem.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.problem.setVisible(False)
        small = self.problem.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.problem.setFont(small)
        self.editor.problem_changed.connect(self._show_problem)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        top = QHBoxLayout()
        top.setSpacing(2)
        top.addWidget(self.editor, 1)
        top.addWidget(self.reset_button, 0, Qt.AlignTop)
        layout.addLayout(top)
        layout.addWidget(self.problem)
        self.setFocusProxy(self.editor)

    def show_value(self, value: Any, explicit: bool) -> None:
        self.editor.set_value(value)
        self.set_explicit(explicit)

    def set_explicit(self, explicit: bool) -> None:
        """Set values show a reset button; defaults show grey italics and none."""
        self.explicit = explicit
        self.reset_button.setVisible(explicit and not self.param.required)
        is_default = not explicit and not self.param.required
        for widget in self.editor.inputs:
            if bool(widget.property("nfDefault")) != is_default:
                widget.setProperty("nfDefault", is_default)
                _repolish(widget)
        self.editor.setToolTip("default value" if is_default else "")

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        tip = html.escape(text)
        for widget in self.editor.inputs:
            widget.setToolTip(f"<p style='color:{INVALID_COLOR}'>{tip}</p>" if text else "")


class _FormPage(QWidget):
    """A QFormLayout that puts every label above its field when the rows do not fit side
    by side, rather than Qt's WrapLongRows mix of wrapped and unwrapped rows.

    Its minimum width is that of the widest label or field (not their sum), so the page
    fits any width its parent can give and wraps only when it must.
    """

    def __init__(self, margin: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(margin, margin, margin, margin)
        self.form.setFormAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.form.setHorizontalSpacing(8)
        self.form.setVerticalSpacing(5)
        self.wrapped: bool | None = None
        self._wrap(False)

    def side_by_side_width(self) -> int:
        """The width the rows need with labels beside fields."""
        labels = fields = 0
        for i in range(self.form.rowCount()):
            label = self.form.itemAt(i, QFormLayout.LabelRole)
            field = self.form.itemAt(i, QFormLayout.FieldRole)
            if label is not None and label.widget() is not None:
                labels = max(labels, label.widget().sizeHint().width())
            if field is not None and field.widget() is not None:
                widget = field.widget()
                fields = max(fields, widget.minimumSizeHint().width(), widget.minimumWidth())
        margins = self.form.contentsMargins()
        return margins.left() + labels + self.form.horizontalSpacing() + fields + margins.right()

    def _wrap(self, wrapped: bool) -> None:
        if wrapped == self.wrapped:
            return
        self.wrapped = wrapped
        # WrapLongRows keeps the minimum width small; wide enough, no row wraps under it
        self.form.setRowWrapPolicy(QFormLayout.WrapAllRows if wrapped else QFormLayout.WrapLongRows)
        self.form.setLabelAlignment((Qt.AlignLeft if wrapped else Qt.AlignRight) | Qt.AlignTop)

    def resizeEvent(self, event):  # noqa: N802 - Qt name
        self._wrap(event.size().width() < self.side_by_side_width())
        super().resizeEvent(event)

    def event(self, event):
        if event.type() == QEvent.LayoutRequest:  # a row's size changed (e.g. a column list)
            self._wrap(self.width() < self.side_by_side_width())
        return super().event(event)


class ParamForm(QWidget):
    """Rows of parameters: label (help as tooltip, ``*`` when required) and editor.

    With ``grouped`` and parameters in more than one group (``Param.group``), each group
    is a section of a QToolBox: one open at a time, as the tabs of KNIME's configure
    dialogs, but stacked so that a narrow panel shows every title; each section scrolls on
    its own.  A section holding a problem carries a warning icon, so a problem in a closed
    section is not missed.  Nested options' arguments are a form without groups.

    When the rows do not fit side by side, every label goes above its field (see
    :class:`_FormPage`), so the form fits the width it is given.
    """

    edited = Signal(str, object)  # parameter name, valid value the user committed
    reset = Signal(str)  # parameter name: the user asked for the default
    sweep_requested = Signal(str, object, object)  # "Add to sweep": path (name[.argument]),
    # Param, the value shown

    def __init__(self, params: tuple[Param, ...] | list[Param], parent: QWidget | None = None,
                 grouped: bool = False):
        super().__init__(parent)
        self.params = {p.name: p for p in params}
        self.rows: dict[str, ParamRow] = {}
        self.labels: dict[str, QLabel] = {}
        self.sections: QToolBox | None = None
        self.section_of: dict[str, int] = {}  # parameter name -> section index
        groups = group_params(params) if grouped else [("", tuple(params))]
        if len(groups) == 1:
            self._add_rows(self._form_layout(self, 0), groups[0][1])
            return
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.sections = QToolBox()
        outer.addWidget(self.sections)
        for index, (title, members) in enumerate(groups):
            page = QWidget()
            self._add_rows(self._form_layout(page, 6), members)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.NoFrame)
            scroll.setWidget(page)
            self.sections.addItem(scroll, title)
            for param in members:
                self.section_of[param.name] = index
                self.rows[param.name].editor.problem_changed.connect(
                    lambda _text, i=index: self._mark_section(i))
            self._mark_section(index)

    @staticmethod
    def _form_layout(widget: QWidget, margin: int) -> QFormLayout:
        page = _FormPage(margin)
        outer = QVBoxLayout(widget)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(page)
        return page.form

    def _add_rows(self, layout: QFormLayout, params) -> None:
        for param in params:
            label = QLabel(param.name + (" *" if param.required else ""))
            label.setToolTip(_help_tooltip(param))
            label.setAlignment(Qt.AlignRight | Qt.AlignTop)
            label.setContentsMargins(0, 4, 0, 0)  # level with the editor's text
            row = ParamRow(param)
            row.editor.committed.connect(lambda value, name=param.name: self._committed(name, value))
            row.reset.connect(lambda name=param.name: self._reset(name))
            label.setBuddy(row.editor)
            if sweepable(param):  # right-click the label, the row, or a box without a menu of its own
                boxes = [w for w in row.editor.inputs if isinstance(w, (QComboBox, QCheckBox))]
                for widget in (label, row, *boxes):
                    widget.setContextMenuPolicy(Qt.CustomContextMenu)
                    widget.customContextMenuRequested.connect(
                        lambda pos, name=param.name, w=widget: self._sweep_menu(name, w.mapToGlobal(pos)))
            row.editor.sweep_requested.connect(
                lambda path, arg, value, name=param.name: self.sweep_requested.emit(f"{name}.{path}", arg, value))
            layout.addRow(label, row)
            if row.editor.below is not None:
                layout.addRow(row.editor.below)
            self.rows[param.name] = row
            self.labels[param.name] = label

    def _sweep_menu(self, name: str, global_pos) -> QMenu:
        """The parameter's context menu: "Add to sweep" (shown without blocking)."""
        row = self.rows[name]
        value = row.editor.value()
        value = row.param.default if value is UNSET or value is REQUIRED else value
        menu = QMenu(self)
        menu.setAttribute(Qt.WA_DeleteOnClose)
        action = menu.addAction("Add to sweep")
        action.setToolTip("Vary this parameter in a sweep (Run > Sweep...)")
        action.triggered.connect(lambda: self.sweep_requested.emit(name, row.param, value))
        menu.popup(global_pos)
        return menu

    # -- sections ----------------------------------------------------------------------
    def section_titles(self) -> list[str]:
        if self.sections is None:
            return []
        return [self.sections.itemText(i) for i in range(self.sections.count())]

    def open_section(self, title: str) -> bool:
        """Show the section called ``title``; False when there is none."""
        titles = self.section_titles()
        if title not in titles:
            return False
        self.sections.setCurrentIndex(titles.index(title))
        return True

    def current_section(self) -> str | None:
        return self.sections.itemText(self.sections.currentIndex()) if self.sections else None

    def _mark_section(self, index: int) -> None:
        problems = [f"{name}: {row.editor.problem}" for name, row in self.rows.items()
                    if self.section_of.get(name) == index and row.editor.problem]
        icon = self.style().standardIcon(QStyle.SP_MessageBoxWarning) if problems else QIcon()
        self.sections.setItemIcon(index, icon)
        self.sections.setItemToolTip(index, "\n".join(problems))

    # -- values ------------------------------------------------------------------------
    def set_values(self, values: dict[str, Any]) -> None:
        """Show each parameter's value, or its default when ``values`` lacks it."""
        for name in self.rows:
            if name in values:
                self.set_value(name, values[name], explicit=True)
            else:
                self.set_value(name, UNSET)

    def set_value(self, name: str, value: Any = UNSET, explicit: bool | None = None) -> None:
        """Show one value (``UNSET``: the default).  Unchanged values keep the user's text."""
        row = self.rows.get(name)
        if row is None:
            return
        param = row.param
        if value is UNSET or value is REQUIRED:
            value, explicit = (UNSET if param.required else param.default), False
        elif explicit is None:
            explicit = param.required or not param.is_default(value)
        current = row.editor.value()
        unchanged = row.editor.shown and (current is value or (
            current is not UNSET and value is not UNSET and same_value(current, value)))
        if not unchanged:  # an unchanged value keeps what the user is typing
            row.editor.set_value(value)
        row.set_explicit(explicit)

    def mark(self, name: str, explicit: bool) -> None:
        if name in self.rows:
            self.rows[name].set_explicit(explicit)

    def set_known_columns(self, columns: list[str] | None) -> None:
        for row in self.rows.values():
            row.editor.set_known_columns(columns)

    def set_folder(self, folder: str | None) -> None:
        for row in self.rows.values():
            row.editor.set_folder(folder)

    def flush(self) -> None:
        """Commit whatever the user typed and did not confirm yet."""
        for row in self.rows.values():
            row.editor.commit()

    def _committed(self, name: str, value: Any) -> None:
        self.rows[name].set_explicit(True)
        self.edited.emit(name, value)

    def _reset(self, name: str) -> None:
        param = self.params[name]
        row = self.rows[name]
        row.editor.set_value(param.default)
        row.set_explicit(False)
        self.reset.emit(name)


def _help_tooltip(param: Param) -> str:
    parts = [f"<b>{html.escape(param.name)}</b> &nbsp;<i>{html.escape(param.type_text())}</i>"]
    if param.help:
        parts.append(html.escape(param.help))
    parts.append("required" if param.required else f"default: {html.escape(show_value(param.default))}")
    return "<p>" + "<br>".join(parts) + "</p>"


# =====================================================================================
# the node's documentation
# =====================================================================================
def node_manual_html(spec: NodeSpec) -> str:
    """The node's documentation as rich text (what ``nodeflow nodes TYPE`` prints)."""
    esc = html.escape
    out = [
        f"<h2 style='margin-bottom:0'>{esc(spec.display_name)}</h2>",
        f"<p style='color:gray; margin-top:2px'><code>{esc(spec.type_id)}</code> &middot; "
        f"{esc(spec.category)} &middot; {esc(spec.family)} node</p>",
        f"<p>{esc(spec.description)}</p>",
    ]
    for title, ports in (("Inputs", spec.inputs), ("Outputs", spec.outputs)):
        if not ports:
            continue
        out.append(f"<h3>{title}</h3><ul>")
        for port in ports:
            flags = "".join([", optional" if port.optional else "", ", several" if port.multi else ""])
            out.append(f"<li><b>{esc(port.name)}</b> <i>({esc(port.type)}{flags})</i>"
                       + (f"<br>{esc(port.help)}" if port.help else "") + "</li>")
        out.append("</ul>")
    groups = spec.param_groups()
    for group, params in groups:
        title = "Parameters" if len(groups) == 1 else f"Parameters: {group}"
        out.append(f"<h3>{esc(title)}</h3><dl>")
        for param in params:
            default = "required" if param.required else "default " + esc(json.dumps(param.default))
            out.append(f"<dt><b>{esc(param.name)}</b> &nbsp;<i>{esc(param.type_text())}</i>, "
                       f"{default}</dt>")
            body = esc(param.help) if param.help else ""
            if isinstance(param, ChoiceParam):
                body += ("<br>" if body else "") + "Options: " + ", ".join(
                    f"<code>{esc(o)}</code>" for o in param.options)
            out.append(f"<dd>{body}")
            if isinstance(param, NestedChoiceParam):
                out.append("<ul>")
                for option in param.options:
                    args = ", ".join(f"{esc(a.name)}={esc(json.dumps(a.default if not a.required else None))}"
                                     for a in option.args)
                    out.append(f"<li><code>{esc(option.name)}({args})</code>"
                               + (f": {esc(option.help)}" if option.help else "") + "</li>")
                out.append("</ul>")
            out.append("</dd>")
        out.append("</dl>")
    return "\n".join(out)


# =====================================================================================
# the panel
# =====================================================================================
class PropertiesPanel(QWidget):
    """Tabs "Parameters" (one editor per parameter, in sections when the node declares
    parameter groups) and "Description" (the node's manual)."""

    param_edited = Signal(str, str, object)  # node id, parameter name, new JSON value
    reset_requested = Signal(str, str)  # node id, parameter name
    add_to_sweep = Signal(str, object, object)  # NODE.PARAM[.ARG], its Param, the value shown

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet(STYLE_SHEET)
        self._node_id: str | None = None
        self._spec: NodeSpec | None = None
        self._known_columns: list[str] | None = None
        self._folder: str | None = None  # the workflow's folder: file editors resolve paths in it
        self._open_sections: dict[str, str] = {}  # node type -> the section last opened
        self.form: ParamForm | None = None

        self.header = QLabel()
        self.header.setTextFormat(Qt.RichText)
        self.header.setWordWrap(True)
        self.header.setContentsMargins(4, 2, 4, 2)
        self.tabs = QTabWidget()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        # the form fits any width down to its minimum; narrower than that, scroll, never clip
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.description = QTextBrowser()
        self.description.setOpenExternalLinks(False)
        self.description.document().setDefaultStyleSheet(
            "dt { margin-top: 6px; } ul { -qt-list-indent: 1; } li { margin-bottom: 2px; }")
        self.tabs.addTab(self.scroll, "Parameters")
        self.tabs.addTab(self.description, "Description")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        self.setMinimumWidth(280)
        self._show_message("Select a node to see its parameters.")

    # -- API ------------------------------------------------------------------------
    @property
    def node_id(self) -> str | None:
        return self._node_id

    @property
    def spec(self) -> NodeSpec | None:
        return self._spec

    def show_node(self, node_id: str | None, spec: NodeSpec | None, values: dict[str, Any]) -> None:
        """Show a node's parameters (``values``: those the node sets; others show defaults).

        Showing the same node again only refreshes the values that changed.
        """
        if node_id is not None and spec is not None and node_id == self._node_id and spec is self._spec \
                and self.form is not None:
            self.form.set_values(values)
            return
        if self.form is not None:
            self.form.flush()  # a typed, unconfirmed edit belongs to the node it was typed for
            self.form.edited.disconnect()
            self.form.reset.disconnect()
            self.form.sweep_requested.disconnect()
            self.form = None
        self._node_id, self._spec = node_id, spec
        if node_id is None or spec is None:
            self.header.setText("")
            self.description.clear()
            self._show_message("Select a node to see its parameters.")
            return
        self.header.setText(f"<b>{html.escape(spec.display_name)}</b> &nbsp;"
                            f"<span style='color:gray'>{html.escape(node_id)} &middot; "
                            f"{html.escape(spec.type_id)}</span>")
        self.description.setHtml(node_manual_html(spec))
        if not spec.params:
            self._show_message("This node has no parameters.")
            return
        form = ParamForm(spec.params, grouped=True)
        form.set_known_columns(self._known_columns)
        form.set_folder(self._folder)
        form.set_values(values)
        form.edited.connect(lambda name, value, node=node_id: self.param_edited.emit(node, name, value))
        form.reset.connect(lambda name, node=node_id: self.reset_requested.emit(node, name))
        form.sweep_requested.connect(
            lambda path, param, value, node=node_id: self.add_to_sweep.emit(f"{node}.{path}", param, value))
        if form.sections is not None:  # sections scroll on their own, under their titles
            form.open_section(self._open_sections.get(spec.type_id, ""))
            form.sections.currentChanged.connect(
                lambda _index, type_id=spec.type_id, f=form: self._section_opened(type_id, f))
            self.scroll.setWidget(form)  # deletes the previous page
        else:
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(6, 6, 6, 6)
            page_layout.addWidget(form)
            page_layout.addStretch(1)
            self.scroll.setWidget(page)  # deletes the previous page
        self.form = form

    def set_known_columns(self, columns: list[str] | None) -> None:
        """Column names of the upstream table (None: unknown), offered by column editors."""
        self._known_columns = list(columns) if columns is not None else None
        if self.form is not None:
            self.form.set_known_columns(self._known_columns)

    def set_folder(self, folder: str | None) -> None:
        """The workflow's folder (None: not saved yet); file editors show each path resolved
        in it and mark one outside it."""
        self._folder = folder
        if self.form is not None:
            self.form.set_folder(folder)

    def update_value(self, name: str, value: Any = UNSET, explicit: bool | None = None) -> None:
        """The model changed one value (undo, redo, a refused edit): show it, emit nothing.

        ``UNSET`` (or the spec's ``REQUIRED``) means the node no longer sets it.  Without
        ``explicit`` a value equal to the default is shown as a default.
        """
        if self.form is not None:
            self.form.set_value(name, value, explicit)

    def editor(self, name: str) -> ParamEditor | None:
        """The editor of one parameter of the shown node (for tests and tools)."""
        row = self.form.rows.get(name) if self.form is not None else None
        return row.editor if row is not None else None

    def set_value_for_test(self, name: str, value: Any) -> None:
        """Enter ``value`` into a parameter's editor as the user would: shown, checked and,
        when valid and changed, emitted as ``param_edited`` (for tests and scripted demos)."""
        editor = self.editor(name)
        if editor is None:
            raise KeyError(f"the shown node has no parameter {name!r}")
        editor.enter(value)

    def row(self, name: str) -> ParamRow | None:
        return self.form.rows.get(name) if self.form is not None else None

    def _section_opened(self, type_id: str, form: ParamForm) -> None:
        """The next node of this type opens on the same section (KNIME keeps a dialog's tab)."""
        if form is self.form:
            self._open_sections[type_id] = form.current_section()

    # -- helpers --------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        label = QLabel(text)
        label.setAlignment(Qt.AlignCenter)
        label.setWordWrap(True)
        label.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        label.setEnabled(False)
        self.scroll.setWidget(label)
