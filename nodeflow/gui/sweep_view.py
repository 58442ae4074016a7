"""The Sweep view: the trials of a sweep as they start and end, a plot, Stop and Open best.

It shows a :class:`~nodeflow.gui.sweep_process.SweepProcess` (or only a study folder's
files): a sortable table of the trials (number, state, value, duration, one column per
swept parameter, error), a scatter plot of one swept parameter against the metric with
the best trial highlighted, and a status line.  "Open best" puts the best trial's values
into the open workflow as ONE undoable edit (Ctrl+Z takes it back), through the
document's ordinary parameter edits: the workflow model stays the only writer.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nodeflow.core import overrides as override
from nodeflow.core.errors import WorkflowEditError

from .document import WorkflowDocument
from .plots import table_beside_plot
from .sweep_process import SweepProcess, StudyFiles

FIXED = ("number", "state", "value", "duration_s")  # trials.csv's first columns
TAIL = ("run_dir", "error")  # its last ones; the swept parameters lie between
HEADINGS = {"number": "#", "state": "state", "value": "value", "duration_s": "duration (s)"}
STATE_COLORS = {"RUNNING": "#2f7fd0", "COMPLETE": "#2e8b57", "PRUNED": "#b58900", "FAIL": "#c0392b"}
BEST_COLOR = (230, 80, 40)
POINT_COLOR = (80, 140, 220, 200)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def override_edits(workflow, overrides: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """``{(node, param): value}`` that sets every ``NODE.PARAM[.ARG]`` override, worked out
    on a copy with the same code ``nodeflow run --set`` uses (raises OverrideError)."""
    targets = [(override.parse_target(path), value) for path, value in overrides.items()]
    copy = workflow.copy()
    override.apply(copy, targets)
    return {(t.node, t.param): copy.nodes[t.node].params[t.param] for t, _value in targets}


def apply_overrides(document: WorkflowDocument, overrides: dict[str, Any], text: str) -> None:
    """Set every override as one undo step; raises WorkflowEditError or OverrideError
    (nothing changed) when one is refused."""
    edits = override_edits(document.workflow, overrides)
    problems = [p for (node_id, name), value in edits.items()
                for p in document.workflow.param_problems(node_id, name, value)]
    if problems:
        raise WorkflowEditError(problems)
    stack = document.undo_stack
    stack.beginMacro(text)
    try:
        for (node_id, name), value in edits.items():
            document.set_param(node_id, name, value)
    finally:
        stack.endMacro()


class _Item(QTableWidgetItem):
    """A cell that sorts numbers as numbers and puts empty values last."""

    def __init__(self, text: str):
        super().__init__(text)
        self.key = _number(text)

    def __lt__(self, other):
        if isinstance(other, _Item) and (self.key is not None or other.key is not None):
            if self.key is None or other.key is None:
                return other.key is None and self.key is not None
            return self.key < other.key
        return super().__lt__(other)


class SweepView(QWidget):
    """Trials table, scatter plot, status line, Stop and Open best."""

    best_applied = Signal(str)  # a sentence for the status bar

    def __init__(self, document: WorkflowDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.sweep: SweepProcess | None = None
        self.files: StudyFiles | None = None
        self.params: list[str] = []
        self.status = QLabel("No sweep yet: Run > Sweep... starts one.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the sweep as Ctrl-C would; starting it again resumes it")
        self.stop_button.clicked.connect(self.stop)
        self.best_button = QPushButton("Open best")
        self.best_button.setToolTip("Set the best trial's values in the open workflow (Ctrl+Z undoes it)")
        self.best_button.clicked.connect(self.open_best)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.AscendingOrder)  # by trial number first
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.x_combo = QComboBox()
        self.x_combo.setToolTip("The swept parameter on the plot's x axis")
        self.x_combo.currentIndexChanged.connect(lambda _i: self._plot())
        self.plot = None  # pyqtgraph loads with the first sweep shown
        self.points = self.best_point = None
        self._plot_box = QVBoxLayout()
        self._plot_box.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.stop_button)
        top.addWidget(self.best_button)
        splitter = table_beside_plot(self.table, "x:", self.x_combo, self._plot_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._update_buttons()

    # -- what is shown -------------------------------------------------------------------
    def show_sweep(self, sweep: SweepProcess) -> None:
        """Follow a (started) sweep until it ends."""
        self._follow(sweep.files)
        self.sweep = sweep
        sweep.finished.connect(lambda _status, _message: self.refresh())
        self.refresh()

    def show_study(self, files: StudyFiles) -> None:
        """Show a study's files without a process (a finished or a terminal's sweep)."""
        self.sweep = None
        self._follow(files)
        files.reload()
        self.refresh()

    def _follow(self, files: StudyFiles) -> None:
        if self.files is not None:
            self.files.changed.disconnect(self.refresh)
        self.files = files
        files.changed.connect(self.refresh)

    def refresh(self) -> None:
        if self.files is None:
            return
        self._fill_table()
        self._fill_combo()
        self._plot()
        self.status.setText(self.status_text())
        self._update_buttons()

    def status_text(self) -> str:
        trials = self.files.trials if self.files else []
        complete = sum(1 for t in trials if t.get("state") == "COMPLETE")
        running = sum(1 for t in trials if t.get("state") == "RUNNING")
        if self.sweep is not None:
            state = {"running": "Running", "finished": "Finished", "stopped": "Stopped",
                     "failed": "Failed"}.get(self.sweep.status, "Starting")
            parts = [f"{state}: {complete} of {self.sweep.trials_wanted} complete"]
        else:
            parts = [f"{complete} trial(s) complete"]
        if running:
            parts.append(f"{running} running")
        best = self.files.best if self.files else None
        if best and best.get("value") is not None:
            parts.append(f"best {best.get('metric', 'value')} = {best['value']:.6g} (trial {best.get('trial')})")
        text = " · ".join(parts)
        if self.sweep is not None and self.sweep.message:
            text += "\n" + self.sweep.message
        return text

    @property
    def state(self) -> str:
        """running, finished, stopped, failed, or "" when no sweep process is shown."""
        return self.sweep.status if self.sweep is not None else ""

    def _fill_table(self) -> None:
        header = self.files.header
        self.params = [h for h in header if h not in FIXED and h not in TAIL]
        columns = list(FIXED) + self.params + ["error"]
        sort_column = self.table.horizontalHeader().sortIndicatorSection()
        sort_order = self.table.horizontalHeader().sortIndicatorOrder()
        self.table.setSortingEnabled(False)
        self.table.clear()
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels([HEADINGS.get(c, c) for c in columns])
        self.table.setRowCount(len(self.files.trials))
        best_trial = str((self.files.best or {}).get("trial", ""))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, trial in enumerate(self.files.trials):
            for column, name in enumerate(columns):
                text = trial.get(name) or ""
                if name == "value" and _number(text) is not None:
                    text = f"{float(text):.6g}"
                elif name == "duration_s" and _number(text) is not None:
                    text = f"{float(text):.1f}"
                full = text
                if name in self.params and _number(text) is not None and not text.lstrip("-").isdigit():
                    text = f"{float(text):.4g}"  # a sampled float: its full value in the tooltip
                item = _Item(text)
                if full != text:
                    item.setToolTip(full)
                if name == "state" and text in STATE_COLORS:
                    item.setForeground(QBrush(QColor(STATE_COLORS[text])))
                if name == "error" and text:
                    item.setToolTip(text)
                if trial.get("number") == best_trial:
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        if 0 <= sort_column < len(columns):
            self.table.sortByColumn(sort_column, sort_order)

    def _fill_combo(self) -> None:
        current = self.x_combo.currentText()
        if [self.x_combo.itemText(i) for i in range(self.x_combo.count())] == self.params:
            return
        self.x_combo.blockSignals(True)
        self.x_combo.clear()
        self.x_combo.addItems(self.params)
        if current in self.params:
            self.x_combo.setCurrentText(current)
        self.x_combo.blockSignals(False)

    def _ensure_plot(self) -> None:
        if self.plot is not None:
            return
        import pyqtgraph as pg

        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setMinimumWidth(320)
        for side in ("bottom", "left"):  # the values as the table shows them, not rescaled (x0.001)
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.points = pg.ScatterPlotItem(size=9, pen=pg.mkPen(None), brush=pg.mkBrush(*POINT_COLOR))
        self.best_point = pg.ScatterPlotItem(size=16, symbol="star", pen=pg.mkPen(40, 40, 40),
                                             brush=pg.mkBrush(*BEST_COLOR))
        self.plot.addItem(self.points)
        self.plot.addItem(self.best_point)
        self._plot_box.addWidget(self.plot)

    def plot_data(self) -> tuple[list[tuple[float, float]], tuple[float, float] | None, list[str]]:
        """Points (x, metric) of the trials that have a value, the best one, and the category
        names when the parameter is not a number (x is then the category's index)."""
        name = self.x_combo.currentText()
        rows = [t for t in (self.files.trials if self.files else []) if _number(t.get("value", "")) is not None]
        texts = [t.get(name, "") for t in rows]
        categories: list[str] = []
        if any(_number(x) is None for x in texts):
            categories = sorted(set(texts))
            xs = [float(categories.index(x)) for x in texts]
        else:
            xs = [float(x) for x in texts]
        points = [(x, float(t["value"])) for x, t in zip(xs, rows)]
        best_number = str((self.files.best or {}).get("trial", "")) if self.files else ""
        best = next(((x, y) for (x, y), t in zip(points, rows) if t.get("number") == best_number), None)
        return points, best, categories

    def _plot(self) -> None:
        if self.files is None or not self.params:
            return
        self._ensure_plot()
        points, best, categories = self.plot_data()
        self.points.setData([p[0] for p in points], [p[1] for p in points])
        self.best_point.setData([best[0]] if best else [], [best[1]] if best else [])
        metric = (self.files.best or {}).get("metric", "value")
        self.plot.setLabel("left", metric)
        self.plot.setLabel("bottom", self.x_combo.currentText())
        axis = self.plot.getAxis("bottom")
        axis.setTicks([list(enumerate(categories))] if categories else None)
        numbers = [p[0] for p in points if p[0] > 0]
        log = not categories and len(numbers) == len(points) > 1 and max(numbers) / min(numbers) >= 100
        self.plot.setLogMode(x=log, y=False)

    def _update_buttons(self) -> None:
        self.stop_button.setEnabled(self.sweep is not None and self.sweep.running)
        best = self.files.best if self.files else None
        self.best_button.setEnabled(bool(best and best.get("overrides")))

    # -- commands --------------------------------------------------------------------------
    def stop(self) -> None:
        if self.sweep is not None:
            self.sweep.stop()

    def open_best(self) -> bool:
        """The best trial's values into the open workflow, as one undoable edit."""
        best = self.files.best if self.files else None
        if not best or not best.get("overrides"):
            return False
        try:
            apply_overrides(self.document, best["overrides"], f"Open best trial {best.get('trial')}")
        except (WorkflowEditError, override.OverrideError) as exc:
            detail = exc.problems[0] if isinstance(exc, WorkflowEditError) else exc
            self.status.setText(f"{self.status_text()}\nOpen best refused: {detail}")
            return False
        self.best_applied.emit(f"Set the values of trial {best.get('trial')}: "
                               + ", ".join(f"{k}={v}" for k, v in best["overrides"].items()))
        return True
