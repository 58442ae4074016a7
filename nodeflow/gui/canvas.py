"""The canvas: NodeGraphQt as a view of the document.

NodeGraphQt draws nodes, ports and pipes and lets the user drag them; every change
the user makes there is turned into a document edit (which the core may refuse),
and every document change (including undo) is mirrored back onto the graph.  The
graph's own undo stack, shortcuts and session format are not used: the document is
the model (NodeGraphQt's session ids are memory addresses).
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QAction

from nodeflow.core import Edge, WorkflowEditError
from nodeflow.core.ports import PORT_TYPES
from nodeflow.core.states import NodeState

from .document import WorkflowDocument
from .placement import GAP, free_position
from .repository import FAMILY_COLORS, MIME_TYPE

FIT_MARGIN = 30.0  # scene units around what Fit frames
MAX_FIT_SCALE = 1.0  # Fit never enlarges beyond 100 %
BODY_TINT = 0.28  # how much of its family's colour a node's dark body takes


def _rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


def _body_color(family: str | None) -> tuple[int, int, int]:
    """A node's body: dark grey tinted with its family's colour (the repository's)."""
    tint = _rgb(FAMILY_COLORS.get(family or "", "#808080"))
    return tuple(round(40 * (1 - BODY_TINT) + c * BODY_TINT) for c in tint)


class Canvas(QObject):
    message = Signal(str)  # a refusal or notice for the status bar
    selection_changed = Signal(list)  # selected node ids
    # right click: node id ("" on the empty canvas), (port name, is output) or None, global position
    context_menu_requested = Signal(str, object, object)
    port_double_clicked = Signal(str, str, bool)  # node id, port name, is output

    def __init__(self, document: WorkflowDocument, parent: QObject | None = None):
        super().__init__(parent)
        from NodeGraphQt import BaseNode, NodeGraph

        from .node_items import FlowNodeItem

        class FlowNode(BaseNode):
            __identifier__ = "nodeflow"
            NODE_NAME = "Node"

            def __init__(self):
                super().__init__(qgraphics_item=FlowNodeItem)

        self.graph = NodeGraph()
        self.graph.register_node(FlowNode)
        self.graph.set_acyclic(True)
        self._node_type = "nodeflow.FlowNode"
        self.document = document
        self.views: dict[str, object] = {}  # node id -> NodeGraphQt node
        self.backdrop_views: dict[str, object] = {}  # backdrop id -> NodeGraphQt backdrop
        self._backdrop_ids: dict[str, str] = {}  # NodeGraphQt id -> backdrop id
        self._ids: dict[str, str] = {}  # NodeGraphQt id -> node id
        self._syncing = 0
        # a wire gesture (drop, drag off, re-drop, slice) arrives as one list of pipes removed
        # and added; NodeGraphQt would apply it pipe by pipe, disconnecting an occupied input
        # before the core could refuse the new connection.  The document decides instead.
        viewer = self.graph.viewer()
        viewer.connection_changed.disconnect(self.graph._on_connection_changed)
        viewer.connection_changed.connect(self._on_wires_changed)
        viewer.connection_sliced.disconnect(self.graph._on_connection_sliced)
        viewer.connection_sliced.connect(lambda pairs: self._on_wires_changed(pairs, []))
        # NodeGraphQt's viewer puts its own undo/redo actions (Ctrl+Z, Ctrl+Shift+Z) in a
        # hidden menu bar while it has focus: the window's actions must be the only ones
        for action in viewer.findChildren(QAction):
            action.setShortcuts([])
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
        self.viewer().installEventFilter(self)  # focus changes
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
            self.backdrop_views.clear()
            self._backdrop_ids.clear()
            for backdrop in self.document.workflow.backdrops:
                self._add_backdrop_view(backdrop.id)
            for node_id in self.document.workflow.nodes:
                self._add_view(node_id)
            for edge in self.document.workflow.edges:
                self._connect_view(edge)

    def _add_view(self, node_id: str) -> None:
        from .node_items import icon_path

        node = self.document.workflow.nodes[node_id]
        spec = self.document.workflow.spec(node_id)
        with self._guard():
            view = self.graph.create_node(self._node_type, name=node_id, selected=False,
                                          pos=[node.position[0], node.position[1]], push_undo=False,
                                          color=_body_color(spec.family if spec else None))
            for port in spec.inputs if spec else ():
                view.add_input(port.name, multi_input=port.multi, color=_rgb(PORT_TYPES[port.type].color))
            for port in spec.outputs if spec else ():
                view.add_output(port.name, multi_output=True, color=_rgb(PORT_TYPES[port.type].color))
            icon = icon_path(spec)
            if icon:
                view.set_icon(icon)
        self.views[node_id] = view
        self._ids[view.id] = node_id
        self._refresh_title(node_id)

    def _remove_view(self, node_id: str) -> None:
        view = self.views.pop(node_id, None)
        if view is None:
            return
        self._ids.pop(view.id, None)
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
        from .node_items import elided_title

        node = self.document.workflow.nodes.get(node_id)
        view = self.views.get(node_id)
        if node is None or view is None:
            return
        spec = self.document.workflow.spec(node_id)
        title = node.label or node_id
        with self._guard():
            view.set_name(elided_title(title))  # the node type is in the tooltip and properties
        kind = spec.display_name if spec else node.type
        view.view.setToolTip(f"{title} ({node_id}): {kind}" if node.label else f"{node_id}: {kind}")

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

    def backdrops_following(self, positions: dict[str, tuple[float, float]]) \
            -> dict[str, tuple[tuple[float, float], tuple[float, float]]]:
        """Where each annotation goes when nodes move to ``positions``: around the nodes
        it holds now, at their new places, with the same margins (its text stays on top).
        Annotations holding none of the moved nodes stay."""
        workflow = self.document.workflow
        placed = {}
        for backdrop in workflow.backdrops:
            area = QRectF(*backdrop.position, *backdrop.size)
            inside = [n for n, v in self.views.items() if area.contains(v.view.sceneBoundingRect())]
            if not any(n in positions for n in inside):
                continue
            before, after = QRectF(), QRectF()
            for node_id in inside:
                rect = self.views[node_id].view.sceneBoundingRect()
                old = workflow.nodes[node_id].position
                new = positions.get(node_id, old)
                before = before.united(rect)
                after = after.united(rect.translated(new[0] - old[0], new[1] - old[1]))
            after.adjust(area.left() - before.left(), area.top() - before.top(),
                         area.right() - before.right(), area.bottom() - before.bottom())
            placed[backdrop.id] = ((after.x(), after.y()), (after.width(), after.height()))
        return placed

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
    def set_state(self, node_id: str, state: NodeState | str, detail: str = "") -> None:
        """The node's status light and tooltip (not configured, configured, executed...)."""
        view = self.views.get(node_id)
        if view is None:
            return
        view.view.light.set_state(NodeState(state))
        node = self.document.workflow.nodes.get(node_id)
        name = f"{node.label} ({node_id})" if node is not None and node.label else node_id
        view.view.setToolTip(f"{name}: {NodeState(state)}" + (f"\n{detail}" if detail else ""))

    def state(self, node_id: str) -> NodeState | None:
        view = self.views.get(node_id)
        return view.view.light.state if view is not None else None

    def set_shape_text(self, node_id: str, text: str) -> None:
        """The line under a node: its output shape, parameter count or training progress."""
        view = self.views.get(node_id)
        if view is not None:
            view.view.set_shape_text(text)

    def shape_text(self, node_id: str) -> str:
        view = self.views.get(node_id)
        return view.view.shape_text if view is not None else ""

    # -- graph -> document ---------------------------------------------------------------
    def _edge_of(self, port_a, port_b) -> Edge | None:
        """The edge between two port items of a gesture (either order)."""
        out_item, in_item = (port_a, port_b) if port_a.port_type == "out" else (port_b, port_a)
        source, target = self._ids.get(out_item.node.id), self._ids.get(in_item.node.id)
        if source is None or target is None:
            return None
        return Edge(source, out_item.name, target, in_item.name)

    def _on_wires_changed(self, disconnected, connected) -> None:
        """One wire gesture, one undo step: remove and add edges, or change nothing.

        Dropping onto an occupied single input replaces its connection ("Replace
        connection"), but only when the new connection is valid; a refused drop leaves
        the workflow and the undo stack as they were.  Either way the pipes drawn are
        then redrawn from the workflow, since the viewer removed some during the drag."""
        if self._syncing:
            return
        edges = self.document.workflow.edges
        removed = [e for e in (self._edge_of(a, b) for a, b in disconnected) if e is not None and e in edges]
        added = [e for e in (self._edge_of(a, b) for a, b in connected) if e is not None and e not in removed]
        try:
            self._rewire(removed, added)
        except WorkflowEditError as exc:
            self.message.emit(f"Connection refused: {exc.problems[0]}")
        finally:
            self._redraw_wires({e.source for e in removed + added} | {e.target for e in removed + added})

    def _rewire(self, removed: list[Edge], added: list[Edge]) -> None:
        """Apply a gesture as one undo step, after checking it as a whole.

        The new edges are checked as if the removed ones were gone (an input whose wire
        is being replaced counts as free), by a check that changes nothing, so a refusal
        leaves the workflow and the undo stack exactly as they were."""
        if not removed and not added:
            return
        workflow = self.document.workflow
        for edge in added:
            problems = workflow.connect_problems(edge.source, edge.source_port, edge.target,
                                                 edge.target_port, replacing=removed)
            if problems:
                raise WorkflowEditError(problems)
        stack = self.document.undo_stack
        several = len(removed) + len(added) > 1
        if several:
            stack.beginMacro("Replace connection" if removed and added else "Delete connections")
        try:
            for edge in removed:
                self.document.disconnect(edge)
            for edge in added:
                self.document.connect(edge.source, edge.source_port, edge.target, edge.target_port)
        finally:
            if several:
                stack.endMacro()

    def _redraw_wires(self, node_ids: set[str]) -> None:
        """Make the pipes of these nodes match the workflow's edges again."""
        with self._guard():
            for node_id in node_ids:
                view = self.views.get(node_id)
                if view is None:
                    continue
                for port in list(view.inputs().values()) + list(view.outputs().values()):
                    for other in port.connected_ports():
                        port.disconnect_from(other, push_undo=False, emit_signal=False)
            for edge in self.document.workflow.edges:
                if edge.source in node_ids or edge.target in node_ids:
                    self._connect_view(edge)

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
        if watched is self.viewer():
            if kind == QEvent.FocusIn:  # key releases made while a dialog had the focus never came here
                self._track_modifiers(Qt.NoModifier)
            return False
        if kind in (QEvent.MouseButtonPress, QEvent.MouseMove, QEvent.MouseButtonRelease):
            self._track_modifiers(event.modifiers())
        if kind == QEvent.ContextMenu:
            node_id, port = self.hit(event.pos())
            self.context_menu_requested.emit(node_id or "", port, event.globalPos())
            return True
        if kind == QEvent.MouseButtonDblClick:
            node_id, port = self.hit(event.position().toPoint())
            if node_id and port is not None:
                self._end_live_wire(node_id)
                self.port_double_clicked.emit(node_id, *port)
                return True
        return False

    def _track_modifiers(self, modifiers) -> None:
        """NodeGraphQt's viewer keeps Ctrl/Shift/Alt as seen in its own key events, so a
        release that went to a dialog (Ctrl+Q, Cancel) left Ctrl "held": clicks deselected
        instead of selecting.  The modifiers a mouse event carries are the truth."""
        viewer = self.viewer()
        viewer.CTRL_state = modifiers == Qt.ControlModifier
        viewer.SHIFT_state = bool(modifiers & Qt.ShiftModifier) and not modifiers & Qt.ControlModifier
        viewer.ALT_state = bool(modifiers & Qt.AltModifier) and not modifiers & Qt.ControlModifier
        if not modifiers:
            viewer._cursor_text.setVisible(False)  # "CTRL: Deselect Nodes"

    def _end_live_wire(self, node_id: str) -> None:
        """Drop the wire the double-click's first press started (NodeGraphQt starts one on
        any press on a port), and draw the node's wires again: the press may have lifted
        the wire of a connected input off its port."""
        viewer = self.viewer()
        viewer.end_live_connection()
        viewer._detached_port = None
        self._redraw_wires({node_id})

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

    # -- adding from the repository ----------------------------------------------------------
    def add_node(self, type_id: str) -> str:
        """Add a node where a person expects it, as KNIME does: right of the one selected
        node and wired to it when one of its outputs fits an input, else near the view
        centre; in free space either way.  One undo step."""
        workflow = self.document.workflow
        if type_id not in workflow.registry:  # refused with the reason, outside any undo macro
            return self.document.add_node(type_id, self.center())
        selected = self.selected()
        anchor = selected[0] if len(selected) == 1 else None
        if anchor is not None:
            rect = self.views[anchor].view.sceneBoundingRect()
            start = (rect.right() + GAP, rect.top())
        else:
            x, y = self.center()
            start = (x - 80, y - 30)
        stack = self.document.undo_stack
        stack.beginMacro(f"Add {workflow.registry[type_id].display_name}")
        try:
            node_id = self.document.add_node(type_id, start)
            rect = self.views[node_id].view.sceneBoundingRect()
            others = [v.view.sceneBoundingRect() for n, v in self.views.items() if n != node_id]
            spot = free_position(rect, others)
            if spot != rect.topLeft():
                x, y = workflow.nodes[node_id].position
                self.document.move_nodes({node_id: (x + spot.x() - rect.left(), y + spot.y() - rect.top())})
            if anchor is not None:
                self._wire_first_fit(anchor, node_id)
        finally:
            stack.endMacro()
        return node_id

    def copy_offset(self, node_ids: list[str]) -> tuple[float, float]:
        """How far to shift copies of these nodes (Duplicate) so that they land in free
        space next to the originals instead of on top of them."""
        block = QRectF()
        for node_id in node_ids:
            block = block.united(self.views[node_id].view.sceneBoundingRect())
        if block.isNull():
            return GAP, GAP
        others = [v.view.sceneBoundingRect() for v in self.views.values()]
        spot = free_position(block.translated(GAP, GAP), others)
        return spot.x() - block.left(), spot.y() - block.top()

    def _wire_first_fit(self, source: str, target: str) -> None:
        """Connect the first output of ``source`` that an input of ``target`` accepts."""
        workflow = self.document.workflow
        source_spec, target_spec = workflow.spec(source), workflow.spec(target)
        for out in source_spec.outputs if source_spec else ():
            for inp in target_spec.inputs if target_spec else ():
                if not workflow.connect_problems(source, out.name, target, inp.name):
                    self.document.connect(source, out.name, target, inp.name)
                    return

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
        """Frame the selection (or everything), never zooming out so far that titles get
        unreadable: a workflow too big for the window then shows its start (top left),
        and the rest is a scroll away."""
        from .node_items import min_fit_scale

        items = [v.view for v in self.graph.selected_nodes()] or [
            v.view for v in list(self.views.values()) + list(self.backdrop_views.values())]
        if not items:
            return
        rect = QRectF()
        for item in items:  # the light and shape line below a node count too
            rect = rect.united(item.sceneBoundingRect()).united(item.mapRectToScene(item.childrenBoundingRect()))
        rect.adjust(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        viewer = self.viewer()
        port = viewer.viewport().rect()
        scale = min(port.width() / rect.width(), port.height() / rect.height(), MAX_FIT_SCALE)
        scale = max(scale, min_fit_scale())
        width, height = port.width() / scale, port.height() / scale
        left = rect.left() if width < rect.width() else rect.center().x() - width / 2
        top = rect.top() if height < rect.height() else rect.center().y() - height / 2
        viewer._scene_range = QRectF(left, top, width, height)  # NodeGraphQt's pan/zoom state
        viewer._update_scene()

    def center(self) -> tuple[float, float]:
        viewer = self.viewer()
        point = viewer.mapToScene(viewer.viewport().rect().center())
        return float(point.x()), float(point.y())
