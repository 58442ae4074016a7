"""Learning curves: one plot per metric with its training and validation curves.

Shared by the Learning Monitor (live, while a learner trains) and the history port
view (after a run).  Data comes in as :class:`Curves`; the widget only draws, and
redraws at most every ``REDRAW_MS`` however fast points arrive, so a training run
that reports many batches a second never floods the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox, QHBoxLayout, QLabel, QSlider, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

REDRAW_MS = 150
TRAIN_COLOR = (80, 160, 240)
VALIDATION_COLOR = (240, 150, 60)


def base_metric(name: str) -> str:
    """``val_loss`` -> ``loss``: the plot a metric belongs on."""
    return name[4:] if name.startswith("val_") else name


@dataclass
class Curves:
    """Points per metric name, on an x axis counted in epochs.

    Epoch points sit at x = 1, 2, ...; batch points at fractional epochs
    (epoch - 1 + batch / batches), so both share one axis."""

    epochs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    batches: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def add_epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            self.epochs.setdefault(name, []).append((float(epoch), float(value)))

    def add_batch(self, epoch: int, batch: int, batches: int, metrics: dict[str, float]) -> None:
        x = epoch - 1 + batch / max(batches, 1)
        for name, value in metrics.items():
            self.batches.setdefault(name, []).append((x, float(value)))


def history_rows(table) -> list[tuple[int, dict[str, float]]]:
    """(epoch, {metric: value}) for each row of a learner's history table: its numeric
    columns besides ``epoch`` (rows count from 1 when there is no epoch column)."""
    names = [n for n in table.column_names
             if n != "epoch" and table[n].ndim == 1 and table[n].dtype.kind in "biuf"]
    epochs = table["epoch"] if "epoch" in table else np.arange(1, table.num_rows + 1)
    return [(int(epochs[row]), {name: float(table[name][row]) for name in names})
            for row in range(table.num_rows)]


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average with bias correction (as TensorBoard's smoothing)."""
    if weight <= 0 or len(values) < 2:
        return values
    out = np.empty_like(values, dtype=float)
    last, debias = 0.0, 0.0
    for i, v in enumerate(values):
        last = last * weight + (1 - weight) * v
        debias = debias * weight + (1 - weight)
        out[i] = last / debias
    return out


class MetricPlots(QWidget):
    """Tabs of plots (loss, accuracy, ...) with smoothing, log-scale and batch toggles."""

    def __init__(self, parent: QWidget | None = None, show_batch_toggle: bool = True):
        super().__init__(parent)
        import pyqtgraph as pg

        self._pg = pg
        self.curves = Curves()
        self._plots: dict[str, object] = {}  # base metric -> PlotWidget
        self._items: dict[tuple[str, str], object] = {}  # (metric name, "epoch"/"batch") -> PlotDataItem
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.show_batches = QCheckBox("Batches")
        self.show_batches.setToolTip("Also draw the running per-batch values inside each epoch")
        self.show_batches.setChecked(True)
        self.show_batches.setVisible(show_batch_toggle)
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Logarithmic y axis (useful for losses spanning decades)")
        self.smoothing = QSlider(Qt.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setFixedWidth(120)
        self.smoothing.setToolTip("Exponential moving average of the curves, 0 = raw values")
        self.smoothing_label = QLabel("Smoothing 0.00")
        controls = QHBoxLayout()
        for widget in (self.show_batches, self.log_scale, self.smoothing_label, self.smoothing):
            controls.addWidget(widget)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.tabs, 1)
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self.show_batches.toggled.connect(self.redraw)
        self.log_scale.toggled.connect(self._apply_log_scale)
        self.smoothing.valueChanged.connect(self._smoothing_changed)

    # -- data --------------------------------------------------------------------------
    def set_curves(self, curves: Curves) -> None:
        self.curves = curves
        self.changed()

    def changed(self) -> None:
        """New points arrived: redraw soon (at most once per REDRAW_MS)."""
        if not self._timer.isActive():
            self._timer.start()

    def points(self, name: str, kind: str = "epoch") -> list[tuple[float, float]]:
        """The points drawn for a metric, e.g. ``points("val_loss")`` (after smoothing)."""
        self.redraw()
        item = self._items.get((name, kind))
        if item is None:
            return []
        xs, ys = item.getData()
        if xs is None:
            return []
        return [(float(x), float(y)) for x, y in zip(xs, ys)]

    # -- drawing ---------------------------------------------------------------------------
    def _plot(self, base: str):
        plot = self._plots.get(base)
        if plot is None:
            pg = self._pg
            plot = pg.PlotWidget(background="w")
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "epoch")
            plot.setLabel("left", base)
            legend = plot.addLegend(offset=(-10, 10))
            legend.setBrush(pg.mkBrush(255, 255, 255, 200))
            plot.setLogMode(y=self.log_scale.isChecked())
            self._plots[base] = plot
            self.tabs.insertTab(0 if base == "loss" else self.tabs.count(), plot, base)
            if base == "loss":
                self.tabs.setCurrentIndex(0)
        return plot

    def _item(self, name: str, kind: str):
        item = self._items.get((name, kind))
        if item is None:
            pg = self._pg
            validation = name.startswith("val_")
            color = VALIDATION_COLOR if validation else TRAIN_COLOR
            label = ("validation" if validation else "training") + (" (batches)" if kind == "batch" else "")
            if kind == "batch":
                pen = pg.mkPen((*color, 110), width=1)
                item = self._plot(base_metric(name)).plot([], [], pen=pen, name=label)
            else:
                pen = pg.mkPen(color, width=2)
                item = self._plot(base_metric(name)).plot([], [], pen=pen, name=label, symbol="o",
                                                          symbolSize=6, symbolBrush=color, symbolPen=None)
            self._items[(name, kind)] = item
        return item

    def redraw(self) -> None:
        self._timer.stop()
        weight = self.smoothing.value() / 100
        log = self.log_scale.isChecked()
        for kind, series in (("batch", self.curves.batches), ("epoch", self.curves.epochs)):
            for name, points in series.items():
                item = self._item(name, kind)
                if kind == "batch" and not self.show_batches.isChecked():
                    item.setData([], [])
                    continue
                xs = np.fromiter((p[0] for p in points), float, len(points))
                ys = smooth(np.fromiter((p[1] for p in points), float, len(points)), weight)
                if log:  # a log axis cannot show zero or negative values
                    keep = ys > 0
                    xs, ys = xs[keep], ys[keep]
                keep = np.isfinite(ys)
                item.setData(xs[keep], ys[keep])

    def _apply_log_scale(self, on: bool) -> None:
        for plot in self._plots.values():
            plot.setLogMode(y=on)
        self.redraw()

    def _smoothing_changed(self, value: int) -> None:
        self.smoothing_label.setText(f"Smoothing {value / 100:.2f}")
        self.redraw()

    def clear(self) -> None:
        self.curves = Curves()
        self._items.clear()
        self._plots.clear()
        while self.tabs.count():
            widget = self.tabs.widget(0)
            self.tabs.removeTab(0)
            widget.deleteLater()

    def select_metric(self, base: str) -> bool:
        plot = self._plots.get(base)
        if plot is not None:
            self.tabs.setCurrentWidget(plot)
        return plot is not None



def table_beside_plot(table: QWidget, label: str, picker: QWidget, plot) -> QSplitter:
    """A table on the left and, on the right, ``label`` + ``picker`` (what to plot) above
    ``plot`` (a widget or a layout): the layout the Sweep and Runs views share."""
    right = QWidget()
    right_layout = QVBoxLayout(right)
    right_layout.setContentsMargins(0, 0, 0, 0)
    pick = QHBoxLayout()
    pick.addWidget(QLabel(label))
    pick.addWidget(picker, 1)
    right_layout.addLayout(pick)
    if isinstance(plot, QWidget):
        right_layout.addWidget(plot, 1)
    else:
        right_layout.addLayout(plot, 1)
    splitter = QSplitter(Qt.Horizontal)
    splitter.addWidget(table)
    splitter.addWidget(right)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 2)
    return splitter
