"""The node repository: the catalogue as a searchable category tree (KNIME's panel).

The tree is built from a :class:`~nodeflow.core.registry.Registry`; every leaf is
one :class:`~nodeflow.core.spec.NodeSpec`, placed under its category path
(``"Layers/Core"`` -> Layers > Core).  A leaf can be

- double-clicked, or activated with Enter/Return (in the tree, or in the search
  field for the highlighted match): :attr:`NodeRepository.node_requested` is
  emitted with its type id, and the main window adds the node to the canvas;
- dragged: the drag carries :data:`MIME_TYPE` (the type id as UTF-8) and plain
  text (the type id, which NodeGraphQt's viewer needs before it accepts a drop).

Searching matches every whitespace-separated word of the query, case-insensitively,
against a node's display name, type id, description and keywords.

Only PySide6 and :mod:`nodeflow.core` are imported here: no TensorFlow.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from PySide6.QtCore import (
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPointF,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDrag,
    QIcon,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from nodeflow.core.ports import PORT_TYPES
from nodeflow.core.registry import Registry, default_registry
from nodeflow.core.spec import NodeSpec

#: Drag-and-drop format of a node type: the type id, UTF-8 encoded.
MIME_TYPE = "application/x-nodeflow-node-type"

#: Item data roles of the repository model.
TYPE_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # str on leaves, None on categories
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2  # lower-cased text a query is matched against

#: Colour of each node family; the first three agree with the port colour of what
#: such nodes produce (network, table, model).
FAMILY_COLORS: dict[str, str] = {
    "layer": PORT_TYPES["network"].color,
    "data": PORT_TYPES["table"].color,
    "learn": PORT_TYPES["model"].color,
    "io": "#8064a2",
}
_FOLDER_COLOR = "#c9a55a"

_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.")


# -- helpers without widgets ----------------------------------------------------
def mime_data_for(type_id: str) -> QMimeData:
    """The drag payload for one node type (what a drop on the canvas reads)."""
    mime = QMimeData()
    mime.setData(MIME_TYPE, type_id.encode("utf-8"))
    mime.setText(type_id)
    return mime


def type_id_from_mime(mime: QMimeData) -> str | None:
    """The node type a drop carries, or None when it is not a NodeFlow node drag."""
    if mime is None or not mime.hasFormat(MIME_TYPE):
        return None
    return bytes(mime.data(MIME_TYPE).data()).decode("utf-8") or None


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (whitespace collapsed; "e.g." does not end one)."""
    text = " ".join(text.split())
    for match in re.finditer(r"[.!?](?=\s|$)", text):
        head = text[: match.end()]
        if not head.lower().endswith(_ABBREVIATIONS):
            return head
    return text


def searchable_text(spec: NodeSpec) -> str:
    """Everything a query is matched against, lower-cased."""
    return "\n".join(
        (spec.display_name, spec.type_id, spec.description, *spec.keywords)
    ).lower()


def query_terms(query: str) -> tuple[str, ...]:
    return tuple(query.lower().split())


def _tooltip(spec: NodeSpec) -> str:
    return (
        f"<b>{html.escape(spec.display_name)}</b>&nbsp;&nbsp;"
        f"<code>{html.escape(spec.type_id)}</code>"
        f"<p>{html.escape(first_sentence(spec.description))}</p>"
    )


# -- icons ----------------------------------------------------------------------
def _paint_family_glyph(painter: QPainter, family: str) -> None:
    """A 16 x 16 (logical units) rounded tile in the family colour with a white glyph."""
    color = QColor(FAMILY_COLORS.get(family, "#808080"))
    painter.setPen(QPen(color.darker(140), 1.0))
    painter.setBrush(color)
    painter.drawRoundedRect(QRectF(1.5, 1.5, 13, 13), 3, 3)
    pen = QPen(QColor("white"), 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if family == "layer":  # stacked layers
        for y in (5.0, 8.0, 11.0):
            painter.drawLine(QPointF(4.5, y), QPointF(11.5, y))
    elif family == "data":  # a table
        painter.setPen(QPen(QColor("white"), 1.2))
        painter.drawRect(QRectF(4.5, 4.5, 7, 7))
        painter.drawLine(QPointF(4.5, 7.5), QPointF(11.5, 7.5))
        painter.drawLine(QPointF(8.0, 4.5), QPointF(8.0, 11.5))
    elif family == "learn":  # a learning curve: axes and a falling loss
        painter.setPen(QPen(QColor("white"), 1.1))
        painter.drawPolyline([QPointF(4.0, 4.0), QPointF(4.0, 12.0), QPointF(12.5, 12.0)])
        painter.setPen(pen)
        path = QPainterPath(QPointF(6.0, 4.5))
        path.cubicTo(QPointF(7.0, 9.5), QPointF(8.5, 9.8), QPointF(12.0, 9.8))
        painter.drawPath(path)
    else:  # io: save (arrow into a tray)
        painter.drawLine(QPointF(8.0, 4.0), QPointF(8.0, 9.0))
        painter.drawPolyline([QPointF(5.8, 7.0), QPointF(8.0, 9.2), QPointF(10.2, 7.0)])
        painter.drawPolyline([QPointF(4.5, 10.0), QPointF(4.5, 12.0), QPointF(11.5, 12.0),
                              QPointF(11.5, 10.0)])


def _paint_folder(painter: QPainter, _family: str) -> None:
    color = QColor(_FOLDER_COLOR)
    painter.setPen(QPen(color.darker(150), 1.0))
    painter.setBrush(color)
    path = QPainterPath(QPointF(1.5, 4.0))
    path.lineTo(6.0, 4.0)
    path.lineTo(7.5, 5.5)
    path.lineTo(14.5, 5.5)
    path.lineTo(14.5, 13.0)
    path.lineTo(1.5, 13.0)
    path.closeSubpath()
    painter.drawPath(path)
    painter.setBrush(color.lighter(120))
    painter.drawRect(QRectF(1.5, 7.0, 13.0, 6.0))


def _make_icon(paint, family: str = "") -> QIcon:
    icon = QIcon()
    for size in (16, 32, 48):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(size / 16, size / 16)
        paint(painter, family)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


_ICONS: dict[str, QIcon] = {}


def family_icon(family: str) -> QIcon:
    """The repository's icon for a node family (``layer``, ``data``, ``learn``, ``io``)."""
    if family not in _ICONS:
        _ICONS[family] = _make_icon(_paint_family_glyph, family)
    return _ICONS[family]


def folder_icon() -> QIcon:
    if "/folder" not in _ICONS:
        _ICONS["/folder"] = _make_icon(_paint_folder)
    return _ICONS["/folder"]


# -- model ----------------------------------------------------------------------
class NodeCatalogModel(QStandardItemModel):
    """The registry as a category tree; leaves carry their type id in TYPE_ID_ROLE."""

    def __init__(self, registry: Registry, parent=None):
        super().__init__(parent)
        self.registry = registry
        root = self.invisibleRootItem()
        categories: dict[tuple[str, ...], QStandardItem] = {}
        for spec in registry.sorted():
            parent_item = root
            path: tuple[str, ...] = ()
            for part in (p.strip() for p in spec.category.split("/")):
                if not part:
                    continue
                path += (part,)
                if path not in categories:
                    item = QStandardItem(folder_icon(), part)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                    parent_item.appendRow(item)
                    categories[path] = item
                parent_item = categories[path]
            leaf = QStandardItem(family_icon(spec.family), spec.display_name)
            leaf.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsDragEnabled)
            leaf.setData(spec.type_id, TYPE_ID_ROLE)
            leaf.setData(searchable_text(spec), SEARCH_ROLE)
            leaf.setToolTip(_tooltip(spec))
            leaf.setStatusTip(f"{spec.display_name} ({spec.type_id})")
            parent_item.appendRow(leaf)
        for path, item in categories.items():
            count = sum(1 for _ in _leaves(item))
            item.setToolTip(f"{' › '.join(path)}: {count} node{'s' if count != 1 else ''}")

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE, "text/plain"]

    def mimeData(self, indexes) -> QMimeData | None:
        for index in indexes:
            type_id = index.data(TYPE_ID_ROLE)
            if type_id:
                return mime_data_for(type_id)
        return None

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


def _leaves(item: QStandardItem) -> Iterator[QStandardItem]:
    for row in range(item.rowCount()):
        child = item.child(row)
        if child.data(TYPE_ID_ROLE):
            yield child
        else:
            yield from _leaves(child)


class NodeFilterModel(QSortFilterProxyModel):
    """Keeps the leaves that match every query word, and the categories above them."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._terms: tuple[str, ...] = ()
        self.setRecursiveFilteringEnabled(True)  # a category stays while a child matches
        self.setDynamicSortFilter(False)

    @property
    def terms(self) -> tuple[str, ...]:
        return self._terms

    def set_query(self, query: str) -> None:
        terms = query_terms(query)
        if terms == self._terms:
            return
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            self._terms = terms
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._terms = terms
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        if not self._terms:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        text = index.data(SEARCH_ROLE)
        if text is None:  # a category: shown only through a matching descendant
            return False
        return all(term in text for term in self._terms)


# -- view -----------------------------------------------------------------------
class _RepositoryTree(QTreeView):
    leaf_activated = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            index = self.currentIndex()
            type_id = index.data(TYPE_ID_ROLE) if index.isValid() else None
            if type_id:
                self.leaf_activated.emit(type_id)
                event.accept()
                return
            if index.isValid():
                self.setExpanded(index, not self.isExpanded(index))
                event.accept()
                return
        super().keyPressEvent(event)

    def startDrag(self, supported_actions) -> None:
        index = self.currentIndex()
        type_id = index.data(TYPE_ID_ROLE) if index.isValid() else None
        if not type_id:
            return
        drag = QDrag(self)
        drag.setMimeData(mime_data_for(type_id))
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon):
            drag.setPixmap(icon.pixmap(32, 32))
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)


class NodeRepository(QWidget):
    """Search field over the catalogue tree.

    Signals:
        node_requested(str): a leaf was double-clicked or activated with Enter;
            carries the node type id.
    """

    node_requested = Signal(str)

    def __init__(self, registry: Registry | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("NodeRepository")
        self._registry = registry if registry is not None else default_registry()

        self._search = QLineEdit(self)
        self._search.setObjectName("nodeRepositorySearch")
        self._search.setPlaceholderText("Search nodes (Ctrl+F)")
        self._search.setClearButtonEnabled(True)
        self._search.installEventFilter(self)

        self._model = NodeCatalogModel(self._registry, self)
        self._proxy = NodeFilterModel(self)
        self._proxy.setSourceModel(self._model)

        self._tree = _RepositoryTree(self)
        self._tree.setObjectName("nodeRepositoryTree")
        self._tree.setModel(self._proxy)
        self._tree.setHeaderHidden(True)
        self._tree.setUniformRowHeights(True)
        self._tree.setAnimated(False)
        self._tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._tree.setDragEnabled(True)
        self._tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self._tree.setDefaultDropAction(Qt.DropAction.CopyAction)
        self._tree.setExpandsOnDoubleClick(True)  # categories; leaves are requested instead

        self._empty = QLabel(self)
        self._empty.setObjectName("nodeRepositoryEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._empty.setMargin(12)
        self._empty.setWordWrap(True)
        self._empty.setEnabled(False)  # drawn in the disabled (grey) text colour
        self._empty.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self._search)
        layout.addWidget(self._tree, 1)
        layout.addWidget(self._empty, 1)

        self._search.textChanged.connect(self._apply_filter)
        self._search.returnPressed.connect(self._request_current)
        self._tree.doubleClicked.connect(self._on_double_clicked)
        self._tree.leaf_activated.connect(self.node_requested)

    # -- public API -----------------------------------------------------------
    @property
    def registry(self) -> Registry:
        return self._registry

    @property
    def search_field(self) -> QLineEdit:
        return self._search

    @property
    def tree_view(self) -> QTreeView:
        return self._tree

    @property
    def model(self) -> NodeCatalogModel:
        """The unfiltered category tree (source model)."""
        return self._model

    @property
    def proxy_model(self) -> NodeFilterModel:
        """The filtered model the tree shows."""
        return self._proxy

    def focus_search(self) -> None:
        """Focus the search field with its text selected (the main window's Ctrl+F)."""
        self._search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._search.selectAll()

    def set_search_text(self, text: str) -> None:
        self._search.setText(text)

    def search_text(self) -> str:
        return self._search.text()

    def visible_type_ids(self) -> list[str]:
        """Type ids the current search keeps, in tree order (collapsed categories included)."""
        return [index.data(TYPE_ID_ROLE) for index in self._proxy_leaves()]

    def index_of(self, type_id: str) -> QModelIndex:
        """The tree (proxy) index of a node type; invalid when the search hides it."""
        for index in self._proxy_leaves():
            if index.data(TYPE_ID_ROLE) == type_id:
                return index
        return QModelIndex()

    def selected_type_id(self) -> str | None:
        index = self._tree.currentIndex()
        return (index.data(TYPE_ID_ROLE) or None) if index.isValid() else None

    def select_type(self, type_id: str) -> bool:
        """Reveal and select a node type; False when the current search hides it."""
        index = self.index_of(type_id)
        if not index.isValid():
            return False
        self._select(index)
        return True

    # -- behaviour ----------------------------------------------------------------
    def _proxy_leaves(self, parent: QModelIndex | None = None) -> Iterator[QModelIndex]:
        parent = parent if parent is not None else QModelIndex()
        for row in range(self._proxy.rowCount(parent)):
            index = self._proxy.index(row, 0, parent)
            if index.data(TYPE_ID_ROLE):
                yield index
            else:
                yield from self._proxy_leaves(index)

    def _apply_filter(self, text: str) -> None:
        self._proxy.set_query(text)
        terms = self._proxy.terms
        if not terms:
            self._tree.collapseAll()
            self._tree.selectionModel().clearSelection()
            self._tree.setCurrentIndex(QModelIndex())
            self._tree.scrollToTop()
            self._show_empty(None)
            return
        self._tree.expandAll()
        best = self._best_match(terms)
        self._show_empty(None if best is not None else text.strip())
        if best is not None:
            self._select(best)

    def _best_match(self, terms: tuple[str, ...]) -> QModelIndex | None:
        """The match Enter should add: name equal to the query, then name starting
        with it, then name containing it, then anything else; ties in tree order."""
        query = " ".join(terms)
        best, best_rank = None, None
        for index in self._proxy_leaves():
            name = index.data(Qt.ItemDataRole.DisplayRole).lower()
            type_id = index.data(TYPE_ID_ROLE).lower()
            if name == query or type_id == query:
                rank = 0
            elif name.startswith(query):
                rank = 1
            elif query in name:
                rank = 2
            elif query in type_id:
                rank = 3
            else:
                rank = 4
            if best_rank is None or rank < best_rank:
                best, best_rank = index, rank
                if rank == 0:
                    break
        return best

    def _select(self, index: QModelIndex) -> None:
        parent = index.parent()
        while parent.isValid():
            self._tree.expand(parent)
            parent = parent.parent()
        self._tree.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self._tree.scrollTo(index)

    def _show_empty(self, query: str | None) -> None:
        if query is None:
            self._empty.hide()
            self._tree.show()
        else:
            self._empty.setText(f"No node matches “{query}”.")
            self._tree.hide()
            self._empty.show()

    def _request_current(self) -> None:
        type_id = self.selected_type_id()
        if type_id:
            self.node_requested.emit(type_id)

    def _on_double_clicked(self, index: QModelIndex) -> None:
        type_id = index.data(TYPE_ID_ROLE)
        if type_id:
            self.node_requested.emit(type_id)

    def eventFilter(self, watched, event) -> bool:
        """In the search field, Up/Down/PageUp/PageDown move through the tree and
        Escape clears the search, so a node is found and added without the mouse."""
        if watched is self._search and event.type() == event.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
                QApplication.sendEvent(
                    self._tree, QKeyEvent(event.type(), key, event.modifiers())
                )
                return True
            if key == Qt.Key.Key_Escape and self._search.text():
                self._search.clear()
                return True
        return super().eventFilter(watched, event)


__all__ = [
    "FAMILY_COLORS",
    "MIME_TYPE",
    "NodeCatalogModel",
    "NodeFilterModel",
    "NodeRepository",
    "family_icon",
    "first_sentence",
    "mime_data_for",
    "searchable_text",
    "type_id_from_mime",
]
