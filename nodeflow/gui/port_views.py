"""Port views: windows showing the value a node's output port produced in the last run.

As in KNIME, every output port can be opened after its node ran.  The value is read
back from the run directory (``run_dir/nodes/<node>/<port><suffix>``, written by
:mod:`nodeflow.runtime.storage`: a table's rows or its recipe), so a view shows exactly
what the next node received.

Decisions
---------
- The view is chosen from data: :data:`VIEWS` maps a port's ``view`` (when it has one)
  or else its type to a view class, so a new kind of port view is one table entry.
  Every view class has ``from_output(output)``, building itself from a
  :class:`StoredOutput` (the node, the port and where its files lie).
- Tables are paged (:data:`PAGE_ROWS` rows a page): a model over a 60,000-row image
  table only ever formats the rows on screen.  Row headers are the 0-based row index
  of the whole table, as ``Table`` counts rows.  Per-row image arrays show as
  thumbnails, each scaled between its own min and max.
- A file-backed table (stored as its recipe) is never loaded whole: its row count and
  column types come from the file's metadata, and each page's rows are read (its
  images decoded with Pillow) only when the page is shown.  The arrow and page keys
  go on across pages, so the keyboard reads a paged table as one long list.
- Models are shown from the layer summary saved beside them, never by loading the
  ``.keras`` file: opening a view must not import TensorFlow into the editor.
- Special views of tables (learning curves, confusion matrix) keep a plain "Table" tab,
  so the raw numbers are always one click away.
- Nothing to show (a network port, a node that has not run) is a :class:`PortViewError`
  with a message for the user; the caller shows it instead of a window.

Imports PySide6, NumPy, :mod:`nodeflow.core` and the runtime's storage, never TensorFlow.
"""

from __future__ import annotations

import html
import json
import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QFileSystemWatcher,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QImage, QKeyEvent, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from nodeflow.core.ports import LIVE_VIEWS, Port
from nodeflow.core.spec import NodeSpec
from nodeflow.core.workflow import Workflow
from nodeflow.runtime.file_table import FileTable
from nodeflow.runtime.live_images import progress_path, read_progress
from nodeflow.runtime.storage import SUMMARY_SUFFIX, load_value, node_folder, storable, value_path
from nodeflow.runtime.table import Table

AnyTable = Table | FileTable  # a table port's stored value: in memory, or rows left in files
PAGE_ROWS = 100
PAGE_CACHE = 4  # pages of a table kept read, so paging back and forth reads no file again
THUMB_HEIGHT = 48  # pixels; thumbnails wider than 4x this are scaled to that width instead
MAX_COLUMN_WIDTH = 320
TOOLTIP_VALUES = 256  # per-row arrays up to this many values show in full in the tooltip
HEAT_COLOR = (31, 84, 168)  # the heat map's colour at 100 % of a true class's rows
HEAT_CELL = (52, 36)  # a heat map cell's least width and its height, in pixels
NUMBER_ALIGN = Qt.AlignRight | Qt.AlignVCenter
ModelIndex = QModelIndex | QPersistentModelIndex


class PortViewError(Exception):
    """There is nothing to show for this port; the message says why, for the user."""


@dataclass(frozen=True)
class StoredOutput:
    """One output port of one node, and the folder its stored value lives in."""

    node_id: str
    spec: NodeSpec
    port: Port
    folder: Path  # storage.node_folder(run_dir, node_id)

    @property
    def path(self) -> Path:
        """The stored file: for a table, its rows (``.arrow``) or its recipe (``.table.json``)."""
        return value_path(self.folder, self.port.name, self.port.type)

    def load(self) -> Any:
        """The stored value; an unreadable file is a PortViewError, not a crash in the editor.

        A file-backed table loads as its recipe: no rows are read until a page is shown."""
        try:
            return load_value(self.port.type, self.path)
        except (OSError, ValueError, KeyError) as exc:
            raise PortViewError(f"node {self.node_id}: cannot read the stored output on port "
                                f"{self.port.name} ({exc}); re-execute the node") from None

    def sibling(self, view: str) -> StoredOutput | None:
        """Another stored output of the same node with the given ``view``, if it exists."""
        for port in self.spec.outputs:
            if port.view == view and port.name != self.port.name:
                other = StoredOutput(self.node_id, self.spec, port, self.folder)
                if other.path.exists():
                    return other
        return None


# --------------------------------------------------------------------------- formatting
FIXED_RANGE = (1e-4, 1e6)  # magnitudes printed in fixed-point; others in scientific notation
SIGNIFICANT = 4


def format_number(value: Any) -> str:
    """Compact text of one scalar, for cells: bytes decoded, booleans as true/false, and
    floats readable at a glance: ``0``; fixed-point with 4 significant digits (integer
    digits always kept, trailing zeros dropped) for 1e-4 <= |x| < 1e6, e.g. ``0.9877``,
    ``12346``; a short scientific form otherwise, e.g. ``4.3e-17``, ``1.2e+08``.  A tiny
    probability thus still reads as tiny and not zero.  Cells' tooltips give the exact
    value (:func:`full_number`)."""
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if x == 0 or not np.isfinite(x):
            return "0" if x == 0 else str(x)
        magnitude = abs(x)
        if FIXED_RANGE[0] <= magnitude < FIXED_RANGE[1]:
            integer_digits = int(np.floor(np.log10(magnitude))) + 1
            return np.format_float_positional(x, precision=max(SIGNIFICANT, integer_digits), unique=True,
                                              fractional=False, trim="-")
        return f"{x:.2g}"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def full_number(value: Any) -> str:
    """The exact text of a scalar (shortest round-tripping form for floats)."""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return format_number(value)


def format_shape(shape: Any) -> str:
    """``[None, 3]`` -> ``(None, 3)``, ``[5]`` -> ``(5,)``; an unknown shape is ``?``."""
    if shape is None:
        return "?"
    return str(tuple(shape))


def dims(shape: tuple[int, ...]) -> str:
    """``(8, 8)`` -> ``8×8``."""
    return "×".join(str(d) for d in shape)


def column_type(dtype: np.dtype, row_shape: tuple[int, ...]) -> str:
    """What a column holds, as a header shows it: ``text``, ``float64``, ``float32 8×8``."""
    kind = "text" if dtype.kind in "US" else str(dtype)
    return f"{kind} {dims(row_shape)}" if row_shape else kind


def is_image_column(dtype: np.dtype, row_shape: tuple[int, ...]) -> bool:
    """Per-row (h, w) or (h, w, c) numbers with c in 1, 3, 4 and h, w >= 4 look like images."""
    if dtype.kind not in "biuf" or len(row_shape) not in (2, 3):
        return False
    return row_shape[0] >= 4 and row_shape[1] >= 4 and (len(row_shape) == 2 or row_shape[2] in (1, 3, 4))


def array_preview(value: np.ndarray, shown: int = 3) -> str:
    """``[0.1, 0.2, 0.3, …] (64)``: the first values of a per-row array and its size."""
    flat = value.reshape(-1)
    items = [format_number(v) for v in flat[:shown]]
    if flat.size > shown:
        return f"[{', '.join(items)}, …] ({flat.size})"
    return f"[{', '.join(items)}]"


def array_tooltip(value: np.ndarray) -> str:
    head = f"{dims(value.shape)} {value.dtype}"
    if value.size <= TOOLTIP_VALUES:
        return f"{head}\n{np.array2string(value, threshold=TOOLTIP_VALUES, max_line_width=100)}"
    flat = value.reshape(-1).astype(np.float64, copy=False) if value.dtype.kind in "biuf" else None
    if flat is None:
        return head
    return f"{head}, min {format_number(np.nanmin(flat))}, max {format_number(np.nanmax(flat))}"


def thumbnail(value: np.ndarray, height: int = THUMB_HEIGHT) -> QPixmap:
    """An image array scaled between its own min and max to 0..255, ``height`` pixels high.

    Small images are enlarged without smoothing, so an 8x8 digit shows its pixels."""
    data = np.nan_to_num(np.asarray(value, dtype=np.float64))
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[:, :, 0]
    low, high = float(data.min()), float(data.max())
    pixels = np.ascontiguousarray(((data - low) / ((high - low) or 1.0) * 255).round().astype(np.uint8))
    h, w = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    fmt = {1: QImage.Format_Grayscale8, 3: QImage.Format_RGB888, 4: QImage.Format_RGBA8888}[channels]
    image = QImage(pixels.tobytes(), w, h, w * channels, fmt).copy()  # copy: own the pixel buffer
    mode = Qt.FastTransformation if h < height else Qt.SmoothTransformation
    if w * height > 4 * height * h:  # very wide: limit the width, keep the aspect
        return QPixmap.fromImage(image.scaledToWidth(4 * height, mode))
    return QPixmap.fromImage(image.scaledToHeight(height, mode))


def read_only_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    return table


def cell(text: str, number: bool = False, tooltip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if number:
        item.setTextAlignment(NUMBER_ALIGN)
    if tooltip:
        item.setToolTip(tooltip)
    return item


# --------------------------------------------------------------------------- tables
def read_page(table: AnyTable, start: int, count: int) -> Table:
    """Rows ``start .. start+count`` of a table: slices of an in-memory one, or what a
    file-backed one reads for just those rows (its images decoded with Pillow)."""
    if isinstance(table, FileTable):
        return table.page(start, count)
    stop = min(start + count, table.num_rows)
    return Table({name: table[name][start:stop] for name in table.column_names})


class TableModel(QAbstractTableModel):
    """One page of a table: ``PAGE_ROWS`` rows from ``page * PAGE_ROWS`` on.

    Paging (rather than one model over every row) keeps a large table cheap: only the
    rows of the page are ever read, formatted or turned into thumbnails.  A file-backed
    table (:class:`~nodeflow.runtime.file_table.FileTable`) gives its row count and
    column types without reading rows; a page is read when it is shown, and the last
    :data:`PAGE_CACHE` pages are kept so turning back and forth does not read again."""

    def __init__(self, table: AnyTable, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = table
        self._names = list(table.column_names)
        self._info = [table.column_info(name) for name in self._names]
        self._images = [
            (table.is_image(name) if isinstance(table, FileTable) else False) or is_image_column(*info)
            for name, info in zip(self._names, self._info)
        ]
        self._pages: OrderedDict[int, Table] = OrderedDict()
        self._pixmaps: dict[tuple[int, int], QPixmap] = {}
        self.error: str | None = None  # why the page shown could not be read
        self.page = 0
        self._rows = self._read(0)

    @property
    def file_backed(self) -> bool:
        return isinstance(self.table, FileTable)

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.table.num_rows / PAGE_ROWS))

    @property
    def first_row(self) -> int:
        return self.page * PAGE_ROWS

    @property
    def image_columns(self) -> list[bool]:
        """Per column: is it shown as thumbnails?"""
        return list(self._images)

    @property
    def has_images(self) -> bool:
        return any(self._images)

    def set_page(self, page: int) -> None:
        """Show page ``page`` (0-based), clamped to the pages there are."""
        page = min(max(page, 0), self.page_count - 1)
        if page != self.page:
            self.beginResetModel()
            self.page = page
            self._pixmaps.clear()
            self._rows = self._read(page)
            self.endResetModel()

    def _read(self, page: int) -> Table:
        """The rows of ``page``, from the cache or read now; a file that went away or
        changed since the run gives an empty page and :attr:`error` says why."""
        self.error = None
        if page in self._pages:
            self._pages.move_to_end(page)
            return self._pages[page]
        try:
            rows = read_page(self.table, page * PAGE_ROWS, PAGE_ROWS)
        except (OSError, ValueError, KeyError) as exc:
            self.error = f"cannot read rows of page {page + 1} ({exc}); re-execute the node"
            return Table({})
        self._pages[page] = rows
        while len(self._pages) > PAGE_CACHE:
            self._pages.popitem(last=False)
        return rows

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._rows.num_rows

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._names)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if orientation == Qt.Vertical:
            if role == Qt.DisplayRole:
                return str(self.first_row + section)
            if role == Qt.ToolTipRole:
                return f"row {self.first_row + section} (counted from 0)"
            return None
        if not 0 <= section < len(self._names):
            return None
        dtype, row_shape = self._info[section]
        name = self._names[section]
        if role == Qt.DisplayRole:
            return f"{name}\n{column_type(dtype, row_shape)}"
        if role == Qt.ToolTipRole:
            per_row = f", {dims(row_shape)} per row" if row_shape else ""
            decoded = ", decoded from image files" if self.file_backed and self.table.is_image(name) else ""
            return f"{name}: {'text' if dtype.kind in 'US' else dtype}{per_row}{decoded}"
        return None

    def data(self, index: ModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._rows.num_rows:
            return None
        array = self._rows[self._names[index.column()]]
        value = array[index.row()]
        if self._images[index.column()]:
            if role == Qt.DecorationRole:
                return self._thumbnail(index.row(), index.column(), value)
            if role == Qt.ToolTipRole:
                return array_tooltip(value)
            return None
        if role == Qt.DisplayRole:
            return array_preview(value) if array.ndim > 1 else format_number(value)
        if role == Qt.ToolTipRole:
            return array_tooltip(value) if array.ndim > 1 else full_number(value)
        if role == Qt.TextAlignmentRole and array.ndim == 1 and array.dtype.kind in "biuf":
            return NUMBER_ALIGN
        return None

    def _thumbnail(self, row: int, column: int, value: np.ndarray) -> QPixmap:
        pixmap = self._pixmaps.get((row, column))
        if pixmap is None:
            pixmap = self._pixmaps[(row, column)] = thumbnail(value)
        return pixmap


class ThumbnailDelegate(QStyledItemDelegate):
    """Draws a cell's thumbnail centred in the cell.

    The default delegate puts a decoration at the left of an (empty) text box, which
    leaves a stray focus frame beside every image."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        pixmap = index.data(Qt.DecorationRole)
        if not isinstance(pixmap, QPixmap):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.icon = QIcon()
        opt.text = ""
        opt.features &= ~QStyleOptionViewItem.HasDecoration
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.CE_ItemViewItem, opt, painter, opt.widget)  # background, selection
        painter.drawPixmap(QStyle.alignedRect(opt.direction, Qt.AlignCenter, pixmap.size(), opt.rect), pixmap)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        pixmap = index.data(Qt.DecorationRole)
        if isinstance(pixmap, QPixmap):
            return pixmap.size() + QSize(8, 6)
        return super().sizeHint(option, index)


class PagedTableView(QTableView):
    """A table view whose arrow and page keys go on across pages: Down or Page Down on a
    page's last row shows the next page (and Up or Page Up on its first row the previous
    one), so the keyboard reads a paged table as one long list."""

    turn = Signal(int)  # -1: the previous page, +1: the next one

    def keyPressEvent(self, event: QKeyEvent) -> None:
        model = self.model()
        row = self.currentIndex().row() if self.currentIndex().isValid() else -1
        if event.modifiers() in (Qt.NoModifier, Qt.KeypadModifier) and model is not None and row >= 0:
            if event.key() in (Qt.Key_Down, Qt.Key_PageDown) and row == model.rowCount() - 1:
                self.turn.emit(1)
                event.accept()
                return
            if event.key() in (Qt.Key_Up, Qt.Key_PageUp) and row == 0:
                self.turn.emit(-1)
                event.accept()
                return
        super().keyPressEvent(event)


class TableView(QWidget):
    """A table, a page at a time, with ◀ Prev / Next ▶, a page number and the rows shown.

    A file-backed table says so beside its size: its rows are read page by page."""

    def __init__(self, table: AnyTable, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = table
        self.table_model = TableModel(table, self)
        self.view = PagedTableView()
        self.view.setModel(self.table_model)
        self.view.turn.connect(self._turn)
        self.view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setIconSize(QSize(4 * THUMB_HEIGHT, THUMB_HEIGHT))
        self.view.horizontalHeader().setDefaultAlignment(Qt.AlignCenter)
        if self.table_model.has_images:
            self.view.verticalHeader().setDefaultSectionSize(THUMB_HEIGHT + 6)
            self._delegate = ThumbnailDelegate(self.view)
            for column, image in enumerate(self.table_model.image_columns):
                if image:
                    self.view.setItemDelegateForColumn(column, self._delegate)
        self.prev_button = QPushButton("◀ Prev")
        self.next_button = QPushButton("Next ▶")
        self.page_spin = QSpinBox()
        self.page_spin.setRange(1, self.table_model.page_count)
        self.page_spin.setPrefix("page ")
        self.page_spin.setSuffix(f" of {self.table_model.page_count:,}")
        self.rows_label = QLabel()
        self.empty_label = QLabel("empty table (0 columns)")
        self.empty_label.setAlignment(Qt.AlignCenter)
        bar = QHBoxLayout()
        for widget in (self.prev_button, self.page_spin, self.next_button):
            bar.addWidget(widget)
        bar.addSpacing(12)
        bar.addWidget(self.rows_label)
        bar.addStretch(1)
        self.source_label = QLabel(f"{table.num_rows:,} rows read from files, page by page")
        self.source_label.setForegroundRole(QPalette.PlaceholderText)  # a note, quieter than the counts
        self.source_label.setVisible(self.table_model.file_backed)
        if self.table_model.file_backed:
            self.source_label.setToolTip(f"The rows stay in {table.path}; only the page shown is read"
                                         + (" and its images decoded" if self.table_model.has_images else ""))
        bar.addWidget(self.source_label)
        bar.addSpacing(12)
        bar.addWidget(QLabel(f"{table.num_rows:,} rows × {len(table):,} columns"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addLayout(bar)
        empty = len(table) == 0
        self.view.setVisible(not empty)
        self.empty_label.setVisible(empty)
        for widget in (self.prev_button, self.page_spin, self.next_button):  # one page: nothing to turn
            widget.setVisible(self.page_count > 1)
        self.prev_button.clicked.connect(lambda: self.set_page(self.page - 1))
        self.next_button.clicked.connect(lambda: self.set_page(self.page + 1))
        self.page_spin.valueChanged.connect(lambda value: self.set_page(value - 1))
        self._refresh()

    @classmethod
    def from_output(cls, output: StoredOutput) -> TableView:
        return cls(output.load())

    def model(self) -> TableModel:
        return self.table_model

    @property
    def page(self) -> int:
        """The page shown, 0-based (the spin box shows it 1-based)."""
        return self.table_model.page

    @property
    def page_count(self) -> int:
        return self.table_model.page_count

    def set_page(self, page: int) -> None:
        self.table_model.set_page(page)
        self._refresh()

    def _turn(self, step: int) -> None:
        """The keyboard went past the page's edge: show the neighbouring page, its first row
        current when going down, its last when going up (the column stays)."""
        page, column = self.page, max(0, self.view.currentIndex().column())
        self.set_page(page + step)
        if self.page != page:
            row = 0 if step > 0 else self.table_model.rowCount() - 1
            self.view.setCurrentIndex(self.table_model.index(row, column))

    def _refresh(self) -> None:
        model = self.table_model
        rows, shown = self.table.num_rows, model.rowCount()
        self.rows_label.setText(
            model.error if model.error else
            f"rows {model.first_row + 1:,}–{model.first_row + shown:,} of {rows:,}" if shown else "no rows"
        )
        self.prev_button.setEnabled(self.page > 0)
        self.next_button.setEnabled(self.page < self.page_count - 1)
        if self.page_spin.value() != self.page + 1:
            self.page_spin.blockSignals(True)
            self.page_spin.setValue(self.page + 1)
            self.page_spin.blockSignals(False)
        self.view.resizeColumnsToContents()
        header = self.view.horizontalHeader()
        for column in range(model.columnCount()):
            if header.sectionSize(column) > MAX_COLUMN_WIDTH:
                header.resizeSection(column, MAX_COLUMN_WIDTH)
        self.view.scrollToTop()


# --------------------------------------------------------------------------- models
class ModelView(QWidget):
    """A trained model's layers, read from the summary JSON stored beside the ``.keras`` file."""

    HEADERS = ["Layer", "Type", "Output shape", "Params", "Trainable"]

    def __init__(self, summary: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = summary
        layers = summary.get("layers", [])
        self.layers = read_only_table(self.HEADERS)
        self.layers.setRowCount(len(layers))
        for row, layer in enumerate(layers):
            params = int(layer.get("params", 0))
            items = [
                cell(str(layer.get("name", ""))),
                cell(str(layer.get("class", ""))),
                cell(format_shape(layer.get("output_shape"))),
                cell(f"{params:,}", number=True),
                cell("yes" if layer.get("trainable", True) else "no"),
            ]
            for column, item in enumerate(items):
                self.layers.setItem(row, column, item)
        self.layers.resizeColumnsToContents()
        shapes = lambda key: ", ".join(format_shape(s) for s in summary.get(key, [])) or "?"  # noqa: E731
        self.summary_label = QLabel(
            f"Total {int(summary.get('params', 0)):,} params · "
            f"{int(summary.get('trainable_params', 0)):,} trainable · "
            f"{int(summary.get('non_trainable_params', 0)):,} non-trainable · "
            f"inputs {shapes('inputs')} · outputs {shapes('outputs')}"
        )
        self.summary_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(f"Model <b>{html.escape(str(summary.get('name', '')))}</b>, "
                                f"{len(layers)} layers"))
        layout.addWidget(self.layers, 1)
        layout.addWidget(self.summary_label)

    @classmethod
    def from_output(cls, output: StoredOutput) -> ModelView:
        path = output.folder / f"{output.port.name}{SUMMARY_SUFFIX}"
        if not path.exists():
            raise PortViewError(f"node {output.node_id}, port {output.port.name}: the stored model has no "
                                f"layer summary (the run is from an older version); re-execute the node")
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PortViewError(f"node {output.node_id}, port {output.port.name}: cannot read the model "
                                f"summary ({exc}); re-execute the node") from None
        return cls(summary)


# --------------------------------------------------------------------------- history
def tabs_with_table(view: QWidget, page: QWidget, title: str, table_view: TableView) -> QTabWidget:
    """The tabs of a view that draws a table: ``page`` under ``title``, then the table
    itself under "Table", filling ``view`` edge to edge."""
    tabs = QTabWidget()
    tabs.addTab(page, title)
    tabs.addTab(table_view, "Table")
    layout = QVBoxLayout(view)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(tabs)
    return tabs


class HistoryView(QWidget):
    """A learner's history: its learning curves (the Learning Monitor's plots) and the table."""

    def __init__(self, table: Table, parent: QWidget | None = None):
        from .plots import Curves, MetricPlots, history_rows  # pyqtgraph loads only when a history is shown

        super().__init__(parent)
        curves = Curves()
        for epoch, metrics in history_rows(table):
            curves.add_epoch(epoch, metrics)
        self.plots = MetricPlots(show_batch_toggle=False)
        self.plots.set_curves(curves)
        self.plots.redraw()  # draw now: the plot tabs exist as soon as the view does
        self.table_view = TableView(table)
        self.tabs = tabs_with_table(self, self.plots, "Curves", self.table_view)

    @classmethod
    def from_output(cls, output: StoredOutput) -> HistoryView:
        return cls(output.load())


# --------------------------------------------------------------------------- scorer
def heat_color(fraction: float) -> QColor:
    """White at 0, :data:`HEAT_COLOR` at 1."""
    f = min(max(fraction, 0.0), 1.0)
    return QColor(*(round(255 + (c - 255) * f) for c in HEAT_COLOR))


class HeatMap(QTableWidget):
    """A table exactly as large as its cells (scroll bars only when the window is smaller).

    Qt's own size hint counts the scroll bars shown while the headers are still being
    sized, which leaves an empty margin around a small matrix."""

    def sizeHint(self) -> QSize:
        frame = 2 * self.frameWidth()
        return QSize(self.verticalHeader().sizeHint().width() + self.horizontalHeader().length() + frame,
                     self.horizontalHeader().sizeHint().height() + self.verticalHeader().length() + frame)


class ConfusionMatrixView(QWidget):
    """A scorer's confusion matrix as a heat map, with its accuracy and the metrics table.

    Each cell is coloured by its share of the true class's rows, so the diagonal reads
    as per-class recall whatever the class sizes."""

    def __init__(self, table: Table, metrics: Table | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = table
        self.heatmap: QTableWidget | None = None
        self.accuracy_label = QLabel()
        self.metrics_view = TableView(metrics) if metrics is not None else None
        matrix_page = QWidget()
        matrix_layout = QVBoxLayout(matrix_page)
        matrix_layout.setContentsMargins(0, 0, 0, 0)
        if len(table) == 0:
            self.message = QLabel("no confusion matrix: the scorer ran in regression mode")
            matrix_layout.addWidget(self.message)
        else:
            self.message = None
            truth = table.column_names[0].removesuffix(" (true)")
            caption = QLabel(f"rows: true <b>{html.escape(truth)}</b> · columns: predicted · "
                             f"colour: share of the true class's rows")
            caption.setWordWrap(True)
            matrix_layout.addWidget(caption)
            self.heatmap = self._heatmap(table)
            matrix_layout.addWidget(self.heatmap)
            matrix_layout.addWidget(self.accuracy_label)
            matrix_layout.addStretch(1)
        if self.metrics_view is not None:
            splitter = QSplitter(Qt.Horizontal)
            splitter.addWidget(matrix_page)
            splitter.addWidget(self.metrics_view)
            splitter.setStretchFactor(0, 1)  # the heat map takes what it needs, the metrics the rest
            splitter.setStretchFactor(1, 0)
            main: QWidget = splitter
        else:
            main = matrix_page
        self.table_view = TableView(table)
        self.tabs = tabs_with_table(self, main, "Confusion matrix", self.table_view)

    @classmethod
    def from_output(cls, output: StoredOutput) -> ConfusionMatrixView:
        metrics = output.sibling("metrics")
        return cls(output.load(), metrics.load() if metrics is not None else None)

    def _heatmap(self, table: Table) -> QTableWidget:
        classes = [format_number(c) for c in table[table.column_names[0]]]
        predicted = table.column_names[1:]
        counts = np.stack([np.asarray(table[p], dtype=np.int64) for p in predicted], axis=1) \
            if predicted else np.zeros((len(classes), 0), dtype=np.int64)
        heatmap = HeatMap(len(classes), len(predicted))
        heatmap.setEditTriggers(QAbstractItemView.NoEditTriggers)
        heatmap.setHorizontalHeaderLabels(predicted)
        heatmap.setVerticalHeaderLabels(classes)
        bold = QFont(heatmap.font())
        bold.setBold(True)
        correct = 0
        for row, true_class in enumerate(classes):
            total = int(counts[row].sum())
            for column, predicted_class in enumerate(predicted):
                count = int(counts[row, column])
                share = count / total if total else 0.0
                item = cell(f"{count:,}", tooltip=f"true {true_class}, predicted {predicted_class}: "
                                                  f"{count:,} of {total:,} rows ({share:.1%})")
                item.setTextAlignment(Qt.AlignCenter)
                item.setBackground(QBrush(heat_color(share)))
                item.setForeground(QBrush(QColor("white" if share > 0.5 else "black")))
                if predicted_class == true_class:
                    item.setFont(bold)
                    correct += count
                heatmap.setItem(row, column, item)
        total = int(counts.sum())
        self.accuracy_label.setText(
            f"Accuracy {correct / total:.4f} ({correct:,} of {total:,} rows on the diagonal)" if total
            else "Accuracy: no rows"
        )
        heatmap.horizontalHeader().setMinimumSectionSize(HEAT_CELL[0])
        heatmap.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        heatmap.verticalHeader().setDefaultSectionSize(HEAT_CELL[1])
        heatmap.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        heatmap.setSizeAdjustPolicy(QAbstractScrollArea.AdjustToContents)  # no empty space around it
        heatmap.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Maximum)
        heatmap.setSelectionMode(QAbstractItemView.NoSelection)  # a selected cell would hide its colour
        return heatmap


# --------------------------------------------------------------------------- normalizer
METHOD_HELP = {
    "min_max": "the fitted min..max range maps onto new_min..new_max",
    "z_score": "(x - mean) / std",
    "decimal_scaling": "x / 10^power",
}


class NormalizerView(QWidget):
    """A fitted normalizer: its method and, per column, the parameters it applies."""

    def __init__(self, normalizer: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.normalizer = normalizer
        parameters: dict[str, dict[str, float]] = normalizer.parameters
        keys: list[str] = []
        for params in parameters.values():
            keys += [k for k in params if k not in keys]
        self.method_label = QLabel(f"Method <b>{normalizer.method}</b>: "
                                   f"{html.escape(METHOD_HELP.get(normalizer.method, ''))} "
                                   f"({len(parameters)} columns)")
        self.parameters = read_only_table(["column", *keys])
        self.parameters.setRowCount(len(parameters))
        for row, (column, params) in enumerate(parameters.items()):
            self.parameters.setItem(row, 0, cell(column))
            for i, key in enumerate(keys, start=1):
                value = params.get(key)
                self.parameters.setItem(row, i, cell("" if value is None else format_number(value), True))
        self.parameters.resizeColumnsToContents()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.method_label)
        layout.addWidget(self.parameters, 1)

    @classmethod
    def from_output(cls, output: StoredOutput) -> NormalizerView:
        return cls(output.load())


# --------------------------------------------------------------------------- opening
# a port's view (if any), else its type -> the view class showing it
# --------------------------------------------------------------------------- forecast
HISTORY_COLOR, TRUTH_COLOR, FORECAST_COLOR = (150, 150, 150), (40, 40, 40), (230, 110, 30)


def time_axis(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """Times as plot x values: dates as seconds since 1970 (for a date axis), numbers as they are."""
    if values.dtype.kind == "M":
        return values.astype("datetime64[s]").astype(np.float64), True
    if values.dtype.kind in "biuf":
        return values.astype(np.float64), False
    return np.arange(len(values), dtype=np.float64), False  # text times: plotted in row order


class ForecastView(QWidget):
    """A Forecast Evaluator's forecast: the history, then truth and forecast over time.

    Drawn from the node's own tables (its ``forecast`` output and its ``history``
    sibling), so the plot shows the numbers the metrics were computed from. With several
    forecast steps per row the first step is drawn (each row's one-step-ahead forecast)."""

    def __init__(self, forecast: Table, history: Table | None = None, metrics: Table | None = None,
                 parent: QWidget | None = None):
        import pyqtgraph as pg  # loaded only when a forecast is shown

        super().__init__(parent)
        x, dates = time_axis(np.asarray(forecast["time"]))
        first = lambda a: np.asarray(a, dtype=np.float64).reshape(len(a), -1)[:, 0]  # noqa: E731
        self.series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if history is not None and "time" in history and history.num_rows:
            self.series["history"] = (time_axis(np.asarray(history["time"]))[0], first(history["truth"]))
        self.series["truth"] = (x, first(forecast["truth"]))
        self.series["forecast"] = (x, first(forecast["forecast"]))
        axis = {"bottom": pg.DateAxisItem()} if dates else {}
        self.plot = pg.PlotWidget(background="w", axisItems=axis)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend(offset=(10, 10))
        styles = {"history": pg.mkPen(HISTORY_COLOR, width=1.5), "truth": pg.mkPen(TRUTH_COLOR, width=1.5),
                  "forecast": pg.mkPen(FORECAST_COLOR, width=2, style=Qt.DashLine)}
        for name, (xs, ys) in self.series.items():
            self.plot.plot(xs, ys, pen=styles[name], name=name)
        values = {str(m): float(v) for m, c, v in zip(metrics["metric"], metrics["class"], metrics["value"])
                  if str(c) == ""} if metrics is not None and metrics.num_rows else {}
        text = f"{forecast.num_rows:,} forecasts"
        if "mae" in values and "naive_mae" in values:
            text += (f" · MAE {format_number(values['mae'])} · naive (last value) MAE "
                     f"{format_number(values['naive_mae'])}")
        self.summary_label = QLabel(text)
        self.table_view = TableView(forecast)
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.plot, 1)
        page_layout.addWidget(self.summary_label)
        self.tabs = tabs_with_table(self, page, "Forecast", self.table_view)

    @classmethod
    def from_output(cls, output: StoredOutput) -> ForecastView:
        forecast = output.load()
        if not isinstance(forecast, Table):
            forecast = forecast.materialize(output.port.name)
        for name in ("time", "truth", "forecast"):
            if name not in forecast:
                raise PortViewError(f"node {output.node_id}, port {output.port.name}: expected a forecast "
                                    f"table with time, truth and forecast columns, it has no {name}")
        port = output.spec.output("history")
        history = StoredOutput(output.node_id, output.spec, port, output.folder) if port else None
        metrics = output.sibling("metrics")
        return cls(forecast, history.load() if history is not None and history.path.exists() else None,
                   metrics.load() if metrics is not None else None)


# --------------------------------------------------------------------------- image grid
GRID_IMAGES = 64  # images drawn in a grid: the GAN Learner's progress grid holds as many
GRID_CELL = 56  # least pixels per image side; small images are enlarged pixel for pixel
GRID_GAP = 4  # pixels between images
GRID_POLL_MS = 1000  # besides the file watcher: some file systems send no change signals


def image_grid(images: np.ndarray, cell: int = GRID_CELL) -> QImage:
    """Images (n, h, w) or (n, h, w, 1 or 3) tiled row by row into one picture, as square as
    possible, enlarged by a whole factor so each pixel stays a sharp block.  All images are
    scaled by the same min..max, so a faint image looks faint (thumbnails scale each alone)."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    count, height, width = images.shape[:3]
    low, high = (float(np.min(images)), float(np.max(images))) if images.size else (0.0, 1.0)
    pixels = np.clip((images - low) / (high - low if high > low else 1.0) * 255, 0, 255).astype(np.uint8)
    factor = max(1, cell // max(height, width))
    pixels = pixels.repeat(factor, axis=1).repeat(factor, axis=2)
    columns = max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    step_y, step_x = height * factor + GRID_GAP, width * factor + GRID_GAP
    canvas = np.full((rows * step_y - GRID_GAP, columns * step_x - GRID_GAP, *pixels.shape[3:]), 128, np.uint8)
    for index, image in enumerate(pixels):
        y, x = divmod(index, columns)
        canvas[y * step_y:y * step_y + image.shape[0], x * step_x:x * step_x + image.shape[1]] = image
    canvas = np.ascontiguousarray(canvas)
    kind = QImage.Format_RGB888 if canvas.ndim == 3 else QImage.Format_Grayscale8
    return QImage(canvas.data, canvas.shape[1], canvas.shape[0], canvas.strides[0], kind).copy()


class ImageGridView(QWidget):
    """Generated images as a grid, following the node while it trains.

    Shows whichever is newer: the progress grid the node writes after every epoch
    (:mod:`nodeflow.runtime.live_images`: images from the same noise each time, so the
    pictures change only as the generator learns), or the stored output table (its first
    :data:`GRID_IMAGES` images), with the table itself one tab away.  It watches the
    node's folder and re-reads only a file whose time or size changed, so it can be opened
    before the first epoch ends and keeps up until the node has finished."""

    def __init__(self, output: StoredOutput, parent: QWidget | None = None):
        super().__init__(parent)
        self.output = output
        self.progress_file = progress_path(output.folder, output.port.name)
        self.shown: tuple | None = None  # (file, mtime_ns, size) of what the grid shows
        self.epoch: int | None = None  # the progress grid's epoch; None while the output table is shown
        self.caption = QLabel()
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignCenter)
        self.table_view: TableView | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self.picture, "Images")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.tabs, 1)
        self.watcher = QFileSystemWatcher(self)  # watches the node's folder once it exists
        self.watcher.directoryChanged.connect(lambda _path: self.refresh())
        self.timer = QTimer(self, interval=GRID_POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    @classmethod
    def from_output(cls, output: StoredOutput) -> ImageGridView:
        view = cls(output)
        if view.shown is None:
            view.deleteLater()
            raise PortViewError(f"node {output.node_id} has no images on port {output.port.name} yet: "
                                "execute it first (they appear after its first epoch)")
        return view

    def _newest(self) -> tuple | None:
        found = []
        for path in (self.progress_file, self.output.path):
            try:
                info = path.stat()
            except OSError:
                continue
            found.append((info.st_mtime_ns, str(path), info.st_size))
        if not found:
            return None
        mtime, path, size = max(found)
        return path, mtime, size

    def refresh(self) -> None:
        """Show the newest grid, if it changed since the last look."""
        if not self.watcher.directories() and self.output.folder.is_dir():
            self.watcher.addPath(str(self.output.folder))
        newest = self._newest()
        if newest is None or newest == self.shown:
            return
        if newest[0] == str(self.progress_file):
            progress = read_progress(self.progress_file)
            if progress is None:  # damaged or gone: wait for the next one
                return
            self.epoch = progress.epoch
            self._draw(progress.images)
            self.caption.setText(f"Images made from the same noise after epoch {progress.epoch} of "
                                 f"{progress.epochs}" if progress.epoch else
                                 f"Images of the untrained generator (training: {progress.epochs} epochs)")
        else:
            try:
                table = self.output.load()
            except PortViewError as exc:
                self.caption.setText(str(exc))
                return
            shown = min(table.num_rows, GRID_IMAGES)
            page = read_page(table, 0, shown)
            images = [n for n in page.column_names if np.asarray(page[n]).ndim >= 3]
            if not images:
                self.caption.setText(f"no image column in {self.output.port.name}")
                return
            self.epoch = None
            self._draw(np.asarray(page[images[0]]))
            self.caption.setText(f"The first {shown:,} of {table.num_rows:,} images of column {images[0]}: "
                                 "the node's output")
            if self.table_view is None:
                self.table_view = TableView(table)
                self.tabs.addTab(self.table_view, "Table")
        self.shown = newest

    def _draw(self, images: np.ndarray) -> None:
        self.image = image_grid(images)
        self.picture.setPixmap(QPixmap.fromImage(self.image))


# --------------------------------------------------------------------------- ROC curve
ROC_COLOR = (40, 110, 200)


class RocView(QWidget):
    """A scorer's ROC curve: true against false positive rate, the chance diagonal, the AUC.

    Drawn from the scorer's ``roc`` table (and the AUC from its metrics), so the plot is
    the numbers the metrics came from."""

    def __init__(self, table: Table, metrics: Table | None = None, parent: QWidget | None = None):
        import pyqtgraph as pg  # loaded only when a ROC curve is shown

        super().__init__(parent)
        self.table = table
        self.table_view = TableView(table)
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        self.plot = None
        if table.num_rows == 0:
            self.message = QLabel("no ROC curve: give the scorer a score column (a probability or an anomaly "
                                  "score) to draw one")
            page_layout.addWidget(self.message)
            page_layout.addStretch(1)
        else:
            self.message = None
            self.plot = pg.PlotWidget(background="w")
            self.plot.showGrid(x=True, y=True, alpha=0.3)
            self.plot.setLabel("bottom", "false positive rate")
            self.plot.setLabel("left", "true positive rate")
            self.plot.setXRange(0, 1, padding=0.02)
            self.plot.setYRange(0, 1, padding=0.02)
            self.plot.addLegend(offset=(-10, -10))
            self.plot.plot([0, 1], [0, 1], pen=pg.mkPen((160, 160, 160), width=1, style=Qt.DashLine), name="chance")
            self.plot.plot(np.asarray(table["fpr"]), np.asarray(table["tpr"]), pen=pg.mkPen(ROC_COLOR, width=2),
                           name="ROC")
            page_layout.addWidget(self.plot, 1)
        values = {str(m): float(v) for m, c, v in zip(metrics["metric"], metrics["class"], metrics["value"])
                  if str(c) == ""} if metrics is not None and metrics.num_rows else {}
        self.auc_label = QLabel(f"AUC {values['auc']:.4f}" if "auc" in values else "")
        page_layout.addWidget(self.auc_label)
        self.tabs = tabs_with_table(self, page, "ROC curve", self.table_view)

    @classmethod
    def from_output(cls, output: StoredOutput) -> RocView:
        metrics = output.sibling("metrics")
        return cls(output.load(), metrics.load() if metrics is not None else None)


VIEWS: dict[str, type[QWidget]] = {
    "table": TableView,
    "metrics": TableView,
    "history": HistoryView,
    "confusion_matrix": ConfusionMatrixView,
    "model": ModelView,
    "normalizer": NormalizerView,
    "image_grid": ImageGridView,
    "forecast": ForecastView,
    "roc": RocView,
}


def stored_output(workflow: Workflow, run_dir: Path, node_id: str, port_name: str) -> StoredOutput:
    """Where the value of ``node_id``'s ``port_name`` lies, or a PortViewError saying why none does."""
    spec = workflow.spec(node_id)
    if spec is None:
        known = node_id in workflow.nodes
        raise PortViewError(f"node {node_id}: " + ("unknown node type" if known else "no such node"))
    port = spec.output(port_name)
    if port is None:
        names = ", ".join(p.name for p in spec.outputs) or "none"
        raise PortViewError(f"node {node_id} has no output port {port_name}; its outputs are: {names}")
    if not storable(port.type):
        raise PortViewError(f"node {node_id}, port {port_name}: a {port.type} port's layer outputs are "
                            f"not stored; open the learner's model output instead")
    output = StoredOutput(node_id, spec, port, node_folder(run_dir, node_id))
    if not output.path.exists() and port.view not in LIVE_VIEWS:  # a live view may show progress
        raise PortViewError(f"node {node_id} has no stored output on port {port_name} yet: execute it first")
    return output


def port_view(output: StoredOutput) -> QWidget:
    """The view widget for a stored output, chosen from :data:`VIEWS`."""
    view_class = VIEWS.get(output.port.view or "") or VIEWS[output.port.type]
    return view_class.from_output(output)  # type: ignore[attr-defined]


class PortViewDialog(QDialog):
    """A non-modal window around one port view, titled with the node and port."""

    def __init__(self, output: StoredOutput, view: QWidget, label: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.output = output
        self.view = view
        title = f"{output.node_id}: {output.port.name}"
        self.setWindowTitle(f"{title} — {label}" if label else title)
        self.setAttribute(Qt.WA_DeleteOnClose)
        self.setModal(False)
        self.resize(900, 600)
        port = output.port
        help_text = f" — {html.escape(port.help)}" if port.help else ""
        self.header = QLabel(f"{html.escape(output.spec.display_name)} · <b>{port.name}</b> "
                             f"({port.type}){help_text}")
        self.header.setToolTip(port.help)
        self.header.setTextFormat(Qt.RichText)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(view, 1)
        layout.addWidget(buttons)


def open_port_view(parent: QWidget | None, workflow: Workflow, run_dir: Path, node_id: str,
                   port_name: str) -> PortViewDialog:
    """Show the value ``node_id`` produced on ``port_name`` in the run at ``run_dir``.

    Returns the shown, non-modal dialog (deleted when closed); raises PortViewError
    when there is nothing to show."""
    output = stored_output(workflow, run_dir, node_id, port_name)
    view = port_view(output)
    dialog = PortViewDialog(output, view, workflow.nodes[node_id].label, parent)
    dialog.show()
    return dialog
