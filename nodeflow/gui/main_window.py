"""The editor's main window: node repository, canvas, properties, menus, files, undo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
)

from nodeflow.core import WorkflowEditError, WorkflowFileError, validate

from .canvas import Canvas
from .document import WorkflowDocument
from .live_shapes import LiveShapes
from .properties import PropertiesPanel
from .repository import NodeRepository

EXAMPLES = Path(__file__).resolve().parents[2] / "workflows"
FILE_FILTER = "NodeFlow workflows (*.nflow)"
MAX_RECENT = 8


def shape_label(node_shapes) -> str:
    """``(None, 16) · 80 params`` for a node's shape result."""
    if node_shapes.error is not None:
        return "shape error"
    if node_shapes.skipped:
        return ""
    shapes = [s for port in node_shapes.outputs.values() for s in port]
    text = ", ".join("(" + ", ".join("None" if d is None else str(d) for d in s) + ")" for s in shapes)
    return f"{text} · {node_shapes.params:,} params" if node_shapes.params else text


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings("NodeFlow", "NodeFlow")
        self.document = WorkflowDocument(self)
        self.canvas = Canvas(self.document, self)
        self.setCentralWidget(self.canvas.widget)
        self.repository = NodeRepository(self.document.workflow.registry)
        self.properties = PropertiesPanel()
        self._dock(self.repository, "Node Repository", Qt.LeftDockWidgetArea, "repository")
        self.properties.setMinimumWidth(360)
        self._dock(self.properties, "Properties", Qt.RightDockWidgetArea, "properties")
        self.total_label = QLabel("")
        self.statusBar().addPermanentWidget(self.total_label)
        self.shapes = LiveShapes(self)
        self.shapes.updated.connect(self._show_shapes)
        self.last_report = None
        self._shown_node: str | None = None
        self._states: dict[str, tuple[str, str]] = {}  # node id -> (state, detail) shown
        self._build_actions()
        self.repository.node_requested.connect(self.add_node_at_center)
        self.canvas.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.canvas.selection_changed.connect(self._selection_changed)
        self.canvas.graph.node_double_clicked.connect(self._double_clicked)
        self.properties.param_edited.connect(self._param_edited)
        self.properties.reset_requested.connect(lambda node, name: self.document.reset_param(node, name))
        self.document.changed.connect(self._document_changed)
        self.document.node_changed.connect(self._node_changed)
        self.document.node_removed.connect(lambda n: self._selection_changed(self.canvas.selected()))
        self.document.reset.connect(self._document_reset)
        self.resize(1400, 860)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
            self.restoreState(self.settings.value("window/state"))
        self._document_changed()

    def _dock(self, widget, title: str, area, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # -- actions and menus -------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
            action.setShortcutContext(Qt.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&New", self.new_workflow, QKeySequence.New)
        self._action(file_menu, "&Open...", self.open_dialog, QKeySequence.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.examples_menu = file_menu.addMenu("&Examples")
        for path in sorted(EXAMPLES.glob("*.nflow")):
            self._action(self.examples_menu, path.stem, lambda checked=False, p=path: self.open_file(p))
        file_menu.addSeparator()
        self._action(file_menu, "&Save", self.save, QKeySequence.Save)
        self._action(file_menu, "Save &As...", self.save_as, QKeySequence.SaveAs)
        self._action(file_menu, "Re&vert", self.revert)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit)
        edit = bar.addMenu("&Edit")
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action in (undo, redo):
            edit.addAction(action)
            self.addAction(action)
        edit.addSeparator()
        self._action(edit, "Cu&t", self.cut, QKeySequence.Cut)
        self._action(edit, "&Copy", self.copy, QKeySequence.Copy)
        self._action(edit, "&Paste", self.paste, QKeySequence.Paste)
        self._action(edit, "&Duplicate", self.duplicate, QKeySequence("Ctrl+D"))
        self._action(edit, "De&lete", self.delete_selected, [QKeySequence.Delete, QKeySequence("Backspace")])
        self._action(edit, "Select &All", lambda: self.canvas.graph.select_all(), QKeySequence.SelectAll)
        edit.addSeparator()
        self._action(edit, "Auto &Layout", self.auto_layout, QKeySequence("Ctrl+L"))
        self._action(edit, "Add &Annotation", self.add_annotation, QKeySequence("Ctrl+B"))
        self._action(edit, "&Find Node...", self.repository.focus_search, QKeySequence.Find)
        view = bar.addMenu("&View")
        self._action(view, "&Fit to View", self.canvas.fit, QKeySequence("F"))
        self._update_recent_menu()

    # -- files ------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """Ask before unsaved changes are lost; True to go on."""
        if not self.document.modified:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", "The workflow has unsaved changes. Save them first?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new_workflow(self) -> None:
        if self.confirm_discard():
            self.document.new()

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open workflow", str(self._start_folder()), FILE_FILTER)
        if path:
            self.open_file(path, confirmed=True)

    def open_file(self, path, confirmed: bool = False) -> bool:
        if not confirmed and not self.confirm_discard():
            return False
        try:
            self.document.open(path)
        except WorkflowFileError as exc:
            QMessageBox.warning(self, "Cannot open workflow",
                                "\n".join(f"{Path(path).name}: {p}" for p in exc.problems[:20]))
            return False
        self._remember(Path(path))
        self.canvas.fit()
        problems = validate(self.document.workflow)
        if problems:
            self.statusBar().showMessage(f"{len(problems)} problem(s): {problems[0]}", 10000)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        self.document.save()
        self._remember(self.document.path)
        self.statusBar().showMessage(f"Saved {self.document.path}", 4000)
        return True

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save workflow as", str(self._start_folder()), FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".nflow"):
            path += ".nflow"
        self.document.save(path)
        self._remember(Path(path))
        return True

    def revert(self) -> None:
        if self.document.path is not None and self.document.modified:
            answer = QMessageBox.question(self, "Revert", "Discard all changes since the last save?")
            if answer == QMessageBox.Yes:
                self.document.revert()

    def _start_folder(self) -> Path:
        return self.document.path.parent if self.document.path else Path.cwd()

    def _recent(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember(self, path: Path) -> None:
        recent = [str(path.resolve())] + [p for p in self._recent() if p != str(path.resolve())]
        self.settings.setValue("files/recent", recent[:MAX_RECENT])
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_file(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    def closeEvent(self, event) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.shapes.stop()
        event.accept()

    # -- editing ------------------------------------------------------------------------
    def add_node_at_center(self, type_id: str) -> str | None:
        x, y = self.canvas.center()
        try:
            node_id = self.document.add_node(type_id, (x - 80, y - 30))
        except WorkflowEditError as exc:
            self.statusBar().showMessage(str(exc.problems[0]), 8000)
            return None
        self.canvas.select([node_id])
        return node_id

    def delete_selected(self) -> None:
        nodes, notes = self.canvas.selected(), self.canvas.selected_backdrops()
        if not nodes and not notes:
            return
        self.document.undo_stack.beginMacro("Delete")
        self.document.remove_nodes(nodes)
        self.document.remove_backdrops(notes)
        self.document.undo_stack.endMacro()

    def add_annotation(self, text: str = "Annotation") -> str:
        """A backdrop around the selected nodes (or at the view centre), as KNIME's annotations."""
        selected = self.canvas.selected()
        if selected:
            rects = [self.canvas.views[n].view.sceneBoundingRect() for n in selected]
            left = min(r.left() for r in rects) - 30
            top = min(r.top() for r in rects) - 60
            right = max(r.right() for r in rects) + 30
            bottom = max(r.bottom() for r in rects) + 40
            position, size = (left, top), (right - left, bottom - top)
        else:
            x, y = self.canvas.center()
            position, size = (x - 150, y - 100), (300.0, 200.0)
        return self.document.add_backdrop(text, position, size)

    def _double_clicked(self, graph_node) -> None:
        backdrop_id = self.canvas._backdrop_ids.get(graph_node.id)
        if backdrop_id is not None:
            from PySide6.QtWidgets import QInputDialog

            current = self.document.backdrop(backdrop_id).text
            text, ok = QInputDialog.getMultiLineText(self, "Annotation", "Text:", current)
            if ok:
                self.document.edit_backdrop(backdrop_id, text=text)

    def copy(self) -> None:
        selected = self.canvas.selected()
        if selected:
            QGuiApplication.clipboard().setText(self.document.copy_nodes(selected))

    def cut(self) -> None:
        self.copy()
        self.delete_selected()

    def paste(self) -> None:
        pasted = self.document.paste(QGuiApplication.clipboard().text())
        self.canvas.select(pasted)

    def duplicate(self) -> None:
        selected = self.canvas.selected()
        if selected:
            self.canvas.select(self.document.paste(self.document.copy_nodes(selected)))

    def auto_layout(self) -> None:
        """Left-to-right layers by depth (the importer's layout) for the selection, or for
        everything when nothing is selected, as one undoable step."""
        from nodeflow.core.layout import layered_positions

        workflow = self.document.workflow
        chosen = set(self.canvas.selected()) or set(workflow.nodes)
        if not chosen:
            return
        origin = (min(workflow.nodes[n].position[0] for n in chosen),
                  min(workflow.nodes[n].position[1] for n in chosen))
        try:
            positions = layered_positions(workflow, chosen, origin)
        except ValueError:  # a cycle; validation already marks it
            return
        self.document.move_nodes(positions, "Auto layout")
        self.canvas.fit()

    def _param_edited(self, node_id: str, name: str, value) -> None:
        try:
            self.document.set_param(node_id, name, value)
        except WorkflowEditError as exc:
            self.statusBar().showMessage(str(exc.problems[0]), 8000)

    # -- following the document ------------------------------------------------------------
    def _selection_changed(self, node_ids: list[str]) -> None:
        node_id = node_ids[0] if len(node_ids) == 1 else None
        if node_id not in self.document.workflow.nodes:
            node_id = None
        self._shown_node = node_id
        if node_id is None:
            self.properties.show_node(None, None, {})
        else:
            self.properties.show_node(node_id, self.document.workflow.spec(node_id),
                                      dict(self.document.workflow.nodes[node_id].params))
            self.properties.set_known_columns(self.upstream_columns(node_id))

    def upstream_columns(self, node_id: str) -> list[str] | None:
        """Columns of the table(s) flowing into a node, when a run has stored them."""
        from nodeflow.runtime.engine import default_run_dir
        from nodeflow.runtime.storage import SUFFIX, stored_columns

        if self.document.path is None:
            return None
        run_dir = default_run_dir(self.document.path)
        columns: list[str] = []
        for edge in self.document.workflow.incoming(node_id):
            spec = self.document.workflow.spec(edge.source)
            port = spec.output(edge.source_port) if spec else None
            if port is None or port.type != "table":
                continue
            found = stored_columns(run_dir / "nodes" / edge.source / f"{edge.source_port}{SUFFIX['table']}")
            if found is None:
                return None
            columns += [c for c in found if c not in columns]
        return columns or None

    def _document_reset(self) -> None:
        self._states.clear()  # the canvas made new node views
        self._selection_changed([])

    def _node_changed(self, node_id: str) -> None:
        if node_id == self._shown_node:
            spec = self.document.workflow.spec(node_id)
            params = self.document.workflow.nodes[node_id].params
            for param in spec.params if spec else ():
                self.properties.update_value(param.name, params.get(param.name, param.default))

    def _document_changed(self) -> None:
        name = self.document.path.name if self.document.path else "Untitled"
        self.setWindowTitle(f"{name}{'*' if self.document.modified else ''} \u2014 NodeFlow")
        problems = validate(self.document.workflow)
        broken: dict[str, list[str]] = {}
        for problem in problems:
            if problem.node:
                broken.setdefault(problem.node, []).append(str(problem))
        last_run = self.last_run_states()
        for node_id in self.document.workflow.nodes:
            if node_id in broken:
                self._set_state(node_id, "not configured", "\n".join(broken[node_id]))
            elif node_id in last_run:
                self._set_state(node_id, *last_run[node_id])
            else:
                self._set_state(node_id, "configured")
        self.shapes.request(self.document.workflow)

    def last_run_states(self) -> dict[str, tuple[str, str]]:
        """Executed / failed states from the last run of this file (e.g. `nodeflow run`).

        A node counts as executed while its fingerprint still matches the stored one, so
        editing it (or anything upstream) takes it back to configured, as in KNIME."""
        import json

        from nodeflow.runtime.engine import STATE_FILE, Engine, default_run_dir

        if self.document.path is None or not self.document.workflow.nodes:
            return {}
        run_dir = default_run_dir(self.document.path)
        try:
            stored = json.loads((run_dir / STATE_FILE).read_text(encoding="utf-8")).get("nodes", {})
        except (OSError, ValueError, AttributeError):
            return {}
        engine = Engine(self.document.workflow, run_dir)
        states: dict[str, tuple[str, str]] = {}
        for node_id, entry in stored.items():
            if node_id in self.document.workflow.nodes and isinstance(entry, dict) \
                    and entry.get("key") == engine.key(node_id):
                states[node_id] = ("executed", "output kept from the last run")
        try:
            events = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
        except OSError:
            events = []
        for line in events:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            node_id = event.get("node")
            if event.get("event") == "node_status" and event.get("status") == "failed" \
                    and node_id in self.document.workflow.nodes and event.get("key") == engine.key(node_id):
                states[node_id] = ("failed", event.get("error", ""))
        return states

    def _set_state(self, node_id: str, state: str, detail: str = "") -> None:
        """Repaint a node only when its state or reason changed (500 repaints per edit stutter)."""
        if self._states.get(node_id) != (state, detail):
            self._states[node_id] = (state, detail)
            self.canvas.set_state(node_id, state, detail)

    def _show_shapes(self, report) -> None:
        if isinstance(report, Exception):
            self.statusBar().showMessage(f"Shape inference failed: {report}", 8000)
            return
        self.last_report = report
        for node_id, node_shapes in report.nodes.items():
            self.canvas.set_shape_text(node_id, shape_label(node_shapes))
            if node_shapes.error is not None:
                self._set_state(node_id, "not configured", str(node_shapes.error))
        self.total_label.setText(f"Model parameters: {report.total_params:,}")


def run_editor(path: str | None = None) -> int:
    """``nodeflow gui [WF.nflow]``."""
    import os
    import sys

    os.environ.setdefault("QT_API", "pyside6")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("NodeFlow")
    window = MainWindow()
    window.show()
    if path:
        window.open_file(path, confirmed=True)
    return app.exec()
