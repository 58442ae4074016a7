"""The Runs view: the open workflow's recorded runs, compared.

A sortable table of runs (start, status, duration, sweep trial, parameters, final
metrics) with a "differing parameters only" switch, and the learning curves of the
selected runs overlaid for one per-epoch metric.  The store is the one ``nodeflow
run`` records to (:mod:`nodeflow.tracking`); it is read in a background thread, so
a slow or remote store never freezes the editor, and read again when a run of the
editor finishes and on Refresh.  MLflow's client imports no TensorFlow.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nodeflow.runtime.events import duration_text

from .plots import table_beside_plot


PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")  # on white


class _SortItem(QTableWidgetItem):
    """A cell that sorts by its value (numbers as numbers, empty cells last), not its text."""

    def __init__(self, text: str, key):
        super().__init__(text)
        self.key = key

    def __lt__(self, other):
        mine, theirs = self.key, getattr(other, "key", None)
        if mine is None or theirs is None:
            return theirs is None and mine is not None
        if type(mine) is not type(theirs):
            return str(mine) < str(theirs)
        return mine < theirs


class _Results(QObject):
    """Carries what the background thread read into the GUI thread (a queued signal)."""

    runs = Signal(int, object)  # request number, list[RunRecord] or an Exception
    curves = Signal(int, object)  # request number, {run id: [(step, value)]} or an Exception


class RunsView(QWidget):
    """Runs of the workflow whose file ``path()`` returns (None: untitled)."""

    loaded = Signal()  # the table shows what the store held at the last refresh
    curves_drawn = Signal()

    def __init__(self, path: Callable[[], Path | None], parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph as pg

        self._path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nodeflow-runs")
        self._results = _Results(self)
        self._results.runs.connect(self._show_runs)
        self._results.curves.connect(self._show_curves)
        self._request = 0
        self._curve_request = 0
        self._store = None
        self.runs: list = []
        self._cells: list[_SortItem] = []  # their Python side must live: Qt calls their __lt__
        self.only_differing = QCheckBox("Differing parameters only", checked=True)
        self.only_differing.toggled.connect(lambda checked: self._fill_table())
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.status = QLabel("")
        self.table = QTableWidget(0, 0)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._load_curves)
        self.metric_box = QComboBox()
        self.metric_box.currentTextChanged.connect(lambda text: self._load_curves())
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setLabel("bottom", "epoch")
        self.plot.addLegend(offset=(-10, 10))
        self._pg = pg

        top = QHBoxLayout()
        top.addWidget(self.only_differing)
        top.addStretch(1)
        top.addWidget(self.status)
        top.addWidget(self.refresh_button)
        splitter = table_beside_plot(self.table, "Curve of the selected runs:", self.metric_box, self.plot)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # -- reading the store ------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the workflow's runs again, in the background."""
        from nodeflow.tracking.store import resolve_store

        path = self._path()
        self._request += 1
        if path is None:
            self._store = None
            self._show_runs(self._request, [])
            self.status.setText("Save the workflow to record and compare its runs")
            return
        path = Path(path)
        self._store = store = resolve_store(path.parent, path.stem)
        self.status.setText("reading runs…")
        request = self._request

        def read():
            from nodeflow.tracking.runs import load_runs

            try:
                result = load_runs(store)
            except Exception as exc:  # noqa: BLE001 - shown in the view, never raised in the editor
                result = exc
            self._results.runs.emit(request, result)

        self._pool.submit(read)

    def _show_runs(self, request: int, runs) -> None:
        if request != self._request:  # an older read, overtaken by a newer one
            return
        if isinstance(runs, Exception):
            self.status.setText(f"cannot read {self._store.uri}: {type(runs).__name__}: {str(runs)[:200]}")
            runs = []
        elif self._store is not None:
            self.status.setText(f"{len(runs)} run(s)" if runs else "no runs recorded yet")
        self.runs = runs
        from nodeflow.tracking.runs import epoch_metrics

        chosen = self.metric_box.currentText()
        names = epoch_metrics(runs)
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        self.metric_box.addItems(names)
        if chosen in names:
            self.metric_box.setCurrentText(chosen)
        else:
            default = next((n for n in names if n.endswith(".val_loss")), None) or \
                next((n for n in names if n.endswith(".loss")), None)
            if default:
                self.metric_box.setCurrentText(default)
        self.metric_box.blockSignals(False)
        self._fill_table()
        self.loaded.emit()

    # -- the table ---------------------------------------------------------------------------
    def _fill_table(self) -> None:
        from nodeflow.tracking.runs import all_params, differing_params, summary_metrics

        runs = self.runs
        selected = set(self.selected_run_ids())
        params = differing_params(runs) if self.only_differing.isChecked() else all_params(runs)
        metrics = summary_metrics(runs)
        swept = any(r.sweep for r in runs)
        headers = ["start", "status", "duration", *(["trial"] if swept else []), *params, *metrics]
        self.table.setSortingEnabled(False)
        self.table.blockSignals(True)
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(runs))
        self._cells = []
        for row, run in enumerate(runs):
            started = datetime.datetime.fromtimestamp(run.start).strftime("%Y-%m-%d %H:%M:%S")
            cells = [(started, run.start), (run.status.lower(), run.status),
                     (duration_text(run.duration), run.duration)]
            if swept:
                cells.append((run.sweep, run.sweep or None))
            cells += [(run.params.get(p, ""), _number(run.params.get(p))) for p in params]
            cells += [(f"{run.metrics[m]:.4g}", run.metrics[m]) if m in run.metrics else ("", None)
                      for m in metrics]
            for column, (text, key) in enumerate(cells):
                item = _SortItem(text, key)
                item.setData(Qt.UserRole, run.run_id)
                self._cells.append(item)
                if column >= len(headers) - len(metrics):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, column, item)
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.UserRole) in selected:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        self._load_curves()

    def headers(self) -> list[str]:
        return [self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())]

    def selected_run_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.table.item(row, 0).data(Qt.UserRole) for row in rows if self.table.item(row, 0)]

    # -- the curves --------------------------------------------------------------------------
    def _load_curves(self) -> None:
        self._curve_request += 1
        request, key, store = self._curve_request, self.metric_box.currentText(), self._store
        run_ids = self.selected_run_ids()
        if not run_ids or not key or store is None:
            self._show_curves(request, {})
            return

        def read():
            from nodeflow.tracking.runs import histories

            try:
                result = histories(store, run_ids, key)
            except Exception as exc:  # noqa: BLE001
                result = exc
            self._results.curves.emit(request, result)

        self._pool.submit(read)

    def _show_curves(self, request: int, curves) -> None:
        if request != self._curve_request:
            return
        self.plot.clear()
        if isinstance(curves, Exception):
            self.status.setText(f"cannot read curves: {type(curves).__name__}: {str(curves)[:200]}")
            curves = {}
        names = {r.run_id: r for r in self.runs}
        for i, (run_id, points) in enumerate(curves.items()):
            if not points:
                continue
            run = names.get(run_id)
            label = (run.sweep or datetime.datetime.fromtimestamp(run.start).strftime("%H:%M:%S")) if run else run_id
            self.plot.plot([p[0] for p in points], [p[1] for p in points], name=label,
                           pen=self._pg.mkPen(PALETTE[i % len(PALETTE)], width=2),
                           symbol="o", symbolSize=5)
        self.plot.setLabel("left", self.metric_box.currentText())
        self.curves_drawn.emit()

    def curve_lengths(self) -> list[int]:
        """Number of points of each curve drawn (for tests and the status line)."""
        return [len(item.getData()[0]) for item in self.plot.getPlotItem().listDataItems()]


def _number(text):
    """A parameter's sort key: numbers as numbers, anything else as text."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def attach_runs_view(window) -> QDockWidget:
    """The Runs view as a dock of the editor's window, refreshed when a run of the open
    workflow ends and when another workflow is opened or saved under a new name."""
    view = RunsView(lambda: window.document.path)
    dock = QDockWidget("Runs", window)
    dock.setObjectName("runs")
    dock.setWidget(view)
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    dock.hide()
    refresh_if_shown = lambda *args: view.refresh() if dock.isVisible() else None  # noqa: E731
    window.session.run_finished.connect(refresh_if_shown)
    window.document.reset.connect(refresh_if_shown)
    dock.visibilityChanged.connect(lambda visible: view.refresh() if visible else None)
    return dock
