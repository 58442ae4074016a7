"""The canvas: NodeGraphQt as a view of the document.

NodeGraphQt draws nodes, ports and pipes and lets the user drag them; every change
the user makes there is turned into a document edit (which the core may refuse),
and every document change (including undo) is mirrored back onto the graph.  The
graph's own undo stack and session format are not used: the document is the
model (STACK-NOTES.md: session ids are memory addresses).
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QEvent, QObject, QPointF, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsSimpleTextItem

from nodeflow.core import Edge, WorkflowEditError
from nodeflow.core.ports import PORT_TYPES

from .document import WorkflowDocument
from .repository import MIME_TYPE

FAMILY_COLORS = {"layer": (72, 52, 52), "data": (44, 60, 84), "learn": (52, 74, 48), "io": (78, 66, 40)}
STATE_COLORS = {
    "idle": (74, 84, 85, 255),
    "not configured": (200, 70, 60, 255),
    "configured": (200, 170, 60, 255),
    "queued": (140, 140, 140, 255),
    "running": (80, 160, 240, 255),
    "executed": (90, 190, 90, 255),
    "failed": (220, 60, 60, 255),
}


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


class Canvas(QObject):
    message = Signal(str)  # a refusal or notice for the status bar
    selection_changed = Signal(list)  # selected node ids
    # right click: node id ("" on the empty canvas), (port name, is output) or None, global position
    context_menu_requested = Signal(str, object, object)
    port_double_clicked = Signal(str, str, bool)  # node id, port name, is output

    def __init__(self, document: WorkflowDocument, parent: QObject | None = None):
        super().__init__(parent)
        from NodeGraphQt import BaseNode, NodeGraph

        class FlowNode(BaseNode):
            __identifier__ = "nodeflow"
            NODE_NAME = "Node"

        self.graph = NodeGraph()
        self.graph.register_node(FlowNode)
        self.graph.set_acyclic(True)
        self._node_type = "nodeflow.FlowNode"
        self.document = document
        self.views: dict[str, object] = {}  # node id -> NodeGraphQt node
        self.backdrop_views: dict[str, object] = {}  # backdrop id -> NodeGraphQt backdrop
        self._backdrop_ids: dict[str, str] = {}  # NodeGraphQt id -> backdrop id
        self._ids: dict[str, str] = {}  # NodeGraphQt id -> node id
        self._labels: dict[str, QGraphicsSimpleTextItem] = {}
        self._syncing = 0
        self.graph.port_connected.connect(self._on_port_connected)
        self.graph.port_disconnected.connect(self._on_port_disconnected)
        self.graph.viewer().moved_nodes.connect(self._on_moved)
        self.graph.data_dropped.connect(self._on_dropped)
        self.graph.node_selection_changed.connect(lambda *_: self.selection_changed.emit(self.selected()))
        document.node_added.connect(self._add_view)
        document.node_removed.connect(self._remove_view)
        document.node_moved.connect(self._move_view)
        document.node_changed.connect(self._refresh_title)
        document.edge_added.connect(self._connect_view)
        document.edge_removed.connect(self._disconnect_view)
        document.backdrop_added.connect(self._add_backdrop_view)
        document.backdrop_removed.connect(self._remove_backdrop_view)
        document.backdrop_changed.connect(self._update_backdrop_view)
        self.graph.viewer().node_backdrop_updated.connect(self._on_backdrop_resized)
        document.reset.connect(self.rebuild)
        self.viewer().viewport().installEventFilter(self)
        self.rebuild()

    @property
    def widget(self):
        return self.graph.widget

    def viewer(self):
        return self.graph.viewer()

    # -- document -> graph ---------------------------------------------------------
    @contextlib.contextmanager
    def _guard(self):
        """Changes made inside come from the document: the graph's signals are ignored."""
        self._syncing += 1
        try:
            yield
        finally:
            self._syncing -= 1

    def rebuild(self) -> None:
        with self._guard():
            self.graph.clear_session()
            self.views.clear()
            self._ids.clear()
            self._labels.clear()
            self.backdrop_views.clear()
            self._backdrop_ids.clear()
            for backdrop in self.document.workflow.backdrops:
                self._add_backdrop_view(backdrop.id)
            for node_id in self.document.workflow.nodes:
                self._add_view(node_id)
            for edge in self.document.workflow.edges:
                self._connect_view(edge)

    def _add_view(self, node_id: str) -> None:
        node = self.document.workflow.nodes[node_id]
        spec = self.document.workflow.spec(node_id)
        with self._guard():
            view = self.graph.create_node(self._node_type, name=node_id, selected=False,
                                          pos=[node.position[0], node.position[1]], push_undo=False,
                                          color=FAMILY_COLORS.get(spec.family if spec else "", (60, 60, 60)))
            for port in spec.inputs if spec else ():
                view.add_input(port.name, multi_input=port.multi, color=_rgb(PORT_TYPES[port.type].color))
            for port in spec.outputs if spec else ():
                view.add_output(port.name, multi_output=True, color=_rgb(PORT_TYPES[port.type].color))
        self.views[node_id] = view
        self._ids[view.id] = node_id
        # NodeGraphQt hides a node's texts once it is drawn narrower than 70 px; whole
        # networks fitted to the window are smaller than that, and unreadable without them
        view.view._proxy_mode_threshold = 30
        label = QGraphicsSimpleTextItem("", view.view)
        label.setBrush(QColor(200, 200, 200))
        label.setFont(QFont("Sans", 8))
        self._labels[node_id] = label
        self._refresh_title(node_id)

    def _remove_view(self, node_id: str) -> None:
        view = self.views.pop(node_id, None)
        if view is None:
            return
        self._ids.pop(view.id, None)
        self._labels.pop(node_id, None)
        with self._guard():
            self.graph.delete_node(view, push_undo=False)

    def _move_view(self, node_id: str) -> None:
        x, y = self.document.workflow.nodes[node_id].position
        with self._guard():
            self.views[node_id].set_pos(x, y)

    def _ports(self, edge: Edge):
        source, target = self.views.get(edge.source), self.views.get(edge.target)
        if source is None or target is None:
            return None, None
        return source.outputs().get(edge.source_port), target.inputs().get(edge.target_port)

    def _connect_view(self, edge: Edge) -> None:
        out_port, in_port = self._ports(edge)
        if out_port is not None and in_port is not None:
            with self._guard():
                out_port.connect_to(in_port, push_undo=False, emit_signal=False)

    def _disconnect_view(self, edge: Edge) -> None:
        out_port, in_port = self._ports(edge)
        if out_port is not None and in_port is not None:
            with self._guard():
                out_port.disconnect_from(in_port, push_undo=False, emit_signal=False)

    def _refresh_title(self, node_id: str) -> None:
        node = self.document.workflow.nodes.get(node_id)
        view = self.views.get(node_id)
        if node is None or view is None:
            return
        spec = self.document.workflow.spec(node_id)
        with self._guard():
            view.set_name(node.label or node_id)  # the node type is in the tooltip and properties
        view.view.setToolTip(f"{node_id}: {spec.display_name if spec else node.type}")

    # -- backdrops ----------------------------------------------------------------------
    def _add_backdrop_view(self, backdrop_id: str) -> None:
        backdrop = self.document.backdrop(backdrop_id)
        with self._guard():
            view = self.graph.create_node("nodeGraphQt.nodes.BackdropNode", name=backdrop_id, selected=False,
                                          pos=list(backdrop.position), push_undo=False)
        self.backdrop_views[backdrop_id] = view
        self._backdrop_ids[view.id] = backdrop_id
        self._update_backdrop_view(backdrop_id)

    def _remove_backdrop_view(self, backdrop_id: str) -> None:
        view = self.backdrop_views.pop(backdrop_id, None)
        if view is not None:
            self._backdrop_ids.pop(view.id, None)
            with self._guard():
                self.graph.delete_node(view, push_undo=False)

    def _update_backdrop_view(self, backdrop_id: str) -> None:
        backdrop, view = self.document.backdrop(backdrop_id), self.backdrop_views.get(backdrop_id)
        if backdrop is None or view is None:
            return
        with self._guard():
            view.view.xy_pos = list(backdrop.position)  # the item alone: nodes on it stay put
            view.view.width, view.view.height = backdrop.size
            view.model.width, view.model.height = backdrop.size
            view.model.pos = list(backdrop.position)
            view.set_text(backdrop.text)
            view.view.update()

    def backdrop_text(self, backdrop_id: str) -> str:
        view = self.backdrop_views.get(backdrop_id)
        return view.text() if view is not None else ""

    def selected_backdrops(self) -> list[str]:
        return [self._backdrop_ids[n.id] for n in self.graph.selected_nodes() if n.id in self._backdrop_ids]

    def _on_backdrop_resized(self, graph_id, kind, value) -> None:
        backdrop_id = self._backdrop_ids.get(graph_id)
        if self._syncing or backdrop_id is None or kind not in ("sizer_mouse_release", "sizer_double_clicked"):
            return
        self.document.edit_backdrop(backdrop_id, position=tuple(value["pos"]),
                                    size=(value["width"], value["height"]))

    # -- states and shapes -------------------------------------------------------------
    def set_state(self, node_id: str, state: str, detail: str = "") -> None:
        """Border colour and tooltip for a node state (not configured, executed, failed...)."""
        view = self.views.get(node_id)
        if view is None:
            return
        view.view.border_color = STATE_COLORS.get(state, STATE_COLORS["idle"])
        view.view.setToolTip(f"{node_id}: {state}" + (f"\n{detail}" if detail else ""))
        view.view.update()

    def set_shape_text(self, node_id: str, text: str) -> None:
        label = self._labels.get(node_id)
        view = self.views.get(node_id)
        if label is None or view is None:
            return
        label.setText(text)
        label.setPos(QPointF(4, view.view.boundingRect().height() + 2))

    def shape_text(self, node_id: str) -> str:
        label = self._labels.get(node_id)
        return label.text() if label is not None else ""

    # -- graph -> document ---------------------------------------------------------------
    def _node_of(self, port) -> str:
        return self._ids[port.node().id]

    def _on_port_connected(self, in_port, out_port) -> None:
        if self._syncing:
            return
        source, target = self._node_of(out_port), self._node_of(in_port)
        try:
            self.document.connect(source, out_port.name(), target, in_port.name())
        except WorkflowEditError as exc:
            with self._guard():
                out_port.disconnect_from(in_port, push_undo=False, emit_signal=False)
            self.message.emit(f"Connection refused: {exc.problems[0]}")

    def _on_port_disconnected(self, in_port, out_port) -> None:
        if self._syncing:
            return
        self.document.disconnect(Edge(self._node_of(out_port), out_port.name(),
                                      self._node_of(in_port), in_port.name()))

    def _on_moved(self, _moved) -> None:
        """One undo step for a drag, whether it moved nodes, annotations or both."""
        if self._syncing:
            return
        workflow = self.document.workflow
        nodes = {n: tuple(v.pos()) for n, v in self.views.items() if tuple(v.pos()) != workflow.nodes[n].position}
        notes = {b: tuple(v.pos()) for b, v in self.backdrop_views.items()
                 if tuple(v.pos()) != self.document.backdrop(b).position}
        if not nodes and not notes:
            return
        stack = self.document.undo_stack
        stack.beginMacro("Move")
        self.document.move_nodes(nodes)
        for backdrop_id, position in notes.items():
            self.document.edit_backdrop(backdrop_id, position=position)
        stack.endMacro()

    def _on_dropped(self, mime, position) -> None:
        if not mime.hasFormat(MIME_TYPE):
            return
        type_id = bytes(mime.data(MIME_TYPE)).decode("utf-8")
        try:
            self.document.add_node(type_id, (float(position.x()), float(position.y())))
        except WorkflowEditError as exc:
            self.message.emit(str(exc.problems[0]))

    # -- context menu and port double-click ---------------------------------------------------
    def eventFilter(self, watched, event) -> bool:
        """Our own node menu and port double-click, instead of NodeGraphQt's static menus."""
        kind = event.type()
        if kind == QEvent.ContextMenu:
            node_id, port = self.hit(event.pos())
            self.context_menu_requested.emit(node_id or "", port, event.globalPos())
            return True
        if kind == QEvent.MouseButtonDblClick:
            node_id, port = self.hit(event.position().toPoint())
            if node_id and port is not None:
                self.port_double_clicked.emit(node_id, *port)
                return True
        return False

    def hit(self, viewport_pos) -> tuple[str | None, tuple[str, bool] | None]:
        """The node (and port, if one) under a viewport position."""
        from NodeGraphQt.qgraphics.port import PortItem

        viewer = self.viewer()
        for item in viewer.items(viewport_pos):
            if isinstance(item, PortItem):
                node_id = self._ids.get(item.node.id)
                if node_id is not None:
                    return node_id, (item.name, item.port_type == "out")
            while item is not None:
                node_id = self._ids.get(getattr(item, "id", None))
                if node_id is not None:
                    return node_id, None
                item = item.parentItem()
        return None, None

    def port_position(self, node_id: str, port: str, output: bool = True):
        """Where a port is drawn, in viewport coordinates (for tests and menus)."""
        view = self.views[node_id]
        item = (view.get_output(port) if output else view.get_input(port)).view
        return self.viewer().mapFromScene(item.sceneBoundingRect().center())

    # -- selection and view ------------------------------------------------------------------
    def selected(self) -> list[str]:
        return [self._ids[n.id] for n in self.graph.selected_nodes() if n.id in self._ids]

    def select(self, node_ids: list[str]) -> None:
        """Select nodes from code (the graph signals only what the mouse selects)."""
        self.graph.clear_selection()
        for node_id in node_ids:
            if node_id in self.views:
                self.views[node_id].set_selected(True)
        self.selection_changed.emit(self.selected())

    def fit(self) -> None:
        self.graph.fit_to_selection() if self.graph.selected_nodes() else self._fit_all()

    def _fit_all(self) -> None:
        self.graph.select_all()
        self.graph.fit_to_selection()
        self.graph.clear_selection()

    def center(self) -> tuple[float, float]:
        viewer = self.viewer()
        point = viewer.mapToScene(viewer.viewport().rect().center())
        return float(point.x()), float(point.y())
