"""The editor's main window: node repository, canvas, properties, menus, files, undo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStyle,
)

from nodeflow.core import WorkflowEditError, WorkflowFileError, validate
from nodeflow.core.ports import LIVE_VIEWS
from nodeflow.core.shape_text import node_label, parameter_summary
from nodeflow.core.states import NodeState

from .autosave import Autosave, ask_restore, orphans
from .canvas import Canvas
from .document import SaveError, WorkflowDocument
from .live_shapes import LiveShapes
from .legend import show_legend
from .log_pane import LogPane
from .monitor import LearningMonitor
from .outside_dialog import confirm_run
from .properties import PropertiesPanel
from .repository import NodeRepository
from .run_controller import RunController
from .run_session import RunSession
from .runs_view import attach_runs_view
from .sweeps import SweepEditor

EXAMPLES = Path(__file__).resolve().parents[2] / "workflows"
FILE_FILTER = "NodeFlow workflows (*.nflow)"
MAX_RECENT = 8


def show_save_error(parent, error: SaveError) -> None:
    """The one place a failed save is told: the file and the reason, and that nothing was lost."""
    QMessageBox.critical(parent, "Cannot save the workflow",
                         f"{error.path.name} could not be saved: {error.reason}.\n\n{error.path}\n\n"
                         "Your changes are still open in the editor: save them somewhere else "
                         "(File > Save As) or try again.")


def parameter_text(report) -> str:
    """The status bar's total: the weights of the model the learner builds, split as Keras's
    summary splits them."""
    return "Model parameters: " + parameter_summary(
        report.total_params, report.trainable_params, report.non_trainable_params)


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings("NodeFlow", "NodeFlow")
        self.document = WorkflowDocument(self)
        self.canvas = Canvas(self.document, self)
        self.setCentralWidget(self.canvas.widget)
        self.repository = NodeRepository(self.document.workflow.registry)
        self.properties = PropertiesPanel()
        self.repository_dock = self._dock(self.repository, "Node Repository", Qt.LeftDockWidgetArea,
                                          "repository")
        self.properties_dock = self._dock(self.properties, "Properties", Qt.RightDockWidgetArea, "properties")
        self.resizeDocks([self.properties_dock], [380], Qt.Horizontal)  # its form fits narrower too
        self.total_label = QLabel("")
        self.statusBar().addPermanentWidget(self.total_label)
        self.log = LogPane()
        self.log_dock = self._dock(self.log, "Log", Qt.BottomDockWidgetArea, "log")
        self.monitor = LearningMonitor()
        self.monitor_dock = self._dock(self.monitor, "Learning Monitor", Qt.BottomDockWidgetArea, "monitor")
        self.splitDockWidget(self.log_dock, self.monitor_dock, Qt.Horizontal)
        self.resizeDocks([self.log_dock], [220], Qt.Vertical)
        self.monitor_dock.hide()
        self.shapes = LiveShapes(self)
        self.shapes.updated.connect(self._show_shapes)
        self.last_report = None
        self._shown_node: str | None = None
        self.runner = RunController(self)
        self.session = RunSession(self.document, self.runner, self)
        self.autosave = Autosave(self.document, parent=self)
        self.autosave.failed.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.port_views: list = []  # open port view windows
        self.sweeps = SweepEditor(self)  # "Add to sweep", Run > Sweep..., the Sweep view
        self.runs_dock = attach_runs_view(self)  # View > Runs...: the recorded runs, compared
        self._build_actions()
        self.session.event.connect(self.log.add_event)
        self.session.event.connect(self.monitor.handle_event)
        self.session.output.connect(lambda text: self.log.add("output", text))
        self.session.log.connect(self._session_log)
        self.session.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.session.state_changed.connect(self.canvas.set_state)
        self.session.progress.connect(self._show_progress)
        self.session.running_changed.connect(lambda running: self._update_run_actions())
        self.session.run_finished.connect(self._run_finished)
        self.monitor.stop_requested.connect(lambda node: self.stop_learning())
        self.monitor.training_started.connect(self._training_started)
        self.canvas.context_menu_requested.connect(self._context_menu)
        self.canvas.port_double_clicked.connect(self._port_double_clicked)
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
        self.resize(*self._first_size())
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
            self.restoreState(self.settings.value("window/state"))
        self._document_changed()
        self.session.refresh()

    @staticmethod
    def _first_size() -> tuple[int, int]:
        """Most of a large screen on first start (more of a workflow fits at a readable zoom),
        never less than 1400 x 860; later starts restore the size the user left."""
        screen = QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        if available is None:
            return 1400, 860
        return max(1400, int(available.width() * 0.9)), max(860, int(available.height() * 0.9))

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
        self._action(view, "Status &Legend", lambda: show_legend(self))
        view.addSeparator()
        # every dock, so a closed one can be opened again
        for dock in (self.repository_dock, self.properties_dock, self.log_dock, self.monitor_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self._action(view, "&Runs...", self.open_runs)
        self._build_run_actions(bar.addMenu("&Run"))
        self._update_recent_menu()

    def _build_run_actions(self, menu) -> None:
        """Execute / Cancel / Reset with KNIME's keys (F7, Shift+F7, F9, F8), in the Run menu,
        a toolbar and the node context menu."""
        style = self.style()
        self.execute_selected_action = self._action(
            menu, "&Execute Selected", self.execute_selected, QKeySequence("F7"))
        self.execute_all_action = self._action(menu, "Execute &All", self.execute_all, QKeySequence("Shift+F7"))
        self.cancel_action = self._action(menu, "&Cancel", self.cancel_run, QKeySequence("F9"))
        self.stop_action = self._action(menu, "&Stop Learning", self.stop_learning, QKeySequence("Shift+F9"))
        menu.addSeparator()
        self.reset_action = self._action(menu, "&Reset", self.reset_selected, QKeySequence("F8"))
        menu.addSeparator()
        self._action(menu, "Learning &Monitor", lambda: self.open_monitor())
        menu.addSeparator()
        self._action(menu, "S&weep...", lambda: self.sweeps.open_dialog())
        self._action(menu, "Open Sweep &Results...", lambda: self.sweeps.open_results())
        menu.addAction(self.sweeps.dock.toggleViewAction())
        icons = {self.execute_selected_action: QStyle.SP_MediaPlay, self.execute_all_action: QStyle.SP_MediaSeekForward,
                 self.cancel_action: QStyle.SP_BrowserStop, self.stop_action: QStyle.SP_MediaStop,
                 self.reset_action: QStyle.SP_BrowserReload}
        toolbar = self.addToolBar("Run")
        toolbar.setObjectName("run-toolbar")
        for action, icon in icons.items():
            action.setIcon(style.standardIcon(icon))
            action.setToolTip(f"{action.text().replace('&', '')} ({action.shortcut().toString()})")
            toolbar.addAction(action)
        self._update_run_actions()

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
        """Save to the document's file (asking for one when untitled); False when nothing was
        saved, so a close or an open that waited for the save is cancelled."""
        if self.document.path is None:
            return self.save_as()
        return self._save_to(None)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save workflow as", str(self._start_folder()), FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".nflow"):
            path += ".nflow"
        return self._save_to(Path(path))

    def _save_to(self, path: Path | None) -> bool:
        """Every save goes through here: a failure is shown and leaves the document modified."""
        try:
            self.document.save(path)
        except SaveError as exc:
            show_save_error(self, exc)
            return False
        self._remember(self.document.path)
        self.statusBar().showMessage(f"Saved {self.document.path}", 4000)
        return True

    def revert(self) -> None:
        if self.document.path is not None and self.document.modified:
            answer = QMessageBox.question(self, "Revert", "Discard all changes since the last save?")
            if answer == QMessageBox.Yes:
                self.document.revert()

    def offer_recovery(self) -> bool:
        """After a crash or kill: offer the newest work an editor left unsaved (Restore /
        Discard); older ones are offered at the next start.  True when work was restored."""
        found = orphans(self.autosave.folder)
        for other in found[1:]:
            other.lock.unlock()
        if not found:
            return False
        recovered = found[0]
        if not ask_restore(self, recovered):
            recovered.drop()
            return False
        self.document.restore(recovered.workflow, recovered.path)
        self.autosave.save_now()  # this session keeps it from now on
        recovered.drop()
        self.canvas.fit()
        where = f"belongs to {recovered.path}" if recovered.path else "untitled"
        self.statusBar().showMessage(f"Restored unsaved work ({where}): save it to keep it", 15000)
        return True

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
        """Close only when the work is saved or given up; then end what this window started
        (a run, the warm runner, its shape requests, the autosave timer) before it goes."""
        event.ignore()  # until everything below went through: an error keeps the window and the work
        if not self.confirm_discard():
            return
        if self.session.running:
            answer = QMessageBox.question(self, "A run is in progress",
                                          "Training is still running. Cancel the run and quit?")
            if answer != QMessageBox.Yes:
                return
        self.runner.shutdown()  # first: a run ended below must not start another warm runner
        self.sweeps.shutdown()  # stopped as Ctrl-C would: resumable
        self.session.close()
        self.autosave.close()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.shapes.stop()
        event.accept()

    # -- editing ------------------------------------------------------------------------
    def add_node_at_center(self, type_id: str) -> str | None:
        """A node asked for in the repository: beside the selected node (and wired to it)
        or near the view centre, in free space (Canvas.add_node)."""
        try:
            node_id = self.canvas.add_node(type_id)
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
            offset = self.canvas.copy_offset(selected)  # beside the originals, not on them
            self.canvas.select(self.document.paste(self.document.copy_nodes(selected), offset))

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
        notes = self.canvas.backdrops_following(positions)  # annotations keep wrapping their nodes
        self.document.undo_stack.beginMacro("Auto layout")
        self.document.move_nodes(positions, "Auto layout")
        for backdrop_id, (position, size) in notes.items():
            self.document.edit_backdrop(backdrop_id, position=position, size=size)
        self.document.undo_stack.endMacro()
        self.canvas.fit()

    def _param_edited(self, node_id: str, name: str, value) -> None:
        try:
            self.document.set_param(node_id, name, value)
        except WorkflowEditError as exc:
            self.statusBar().showMessage(str(exc.problems[0]), 8000)

    # -- running (the run session does the work; these are the user's commands) ---------
    def execute_all(self) -> bool:
        return self._execute(None)

    def execute_selected(self) -> bool:
        selected = self.canvas.selected()
        if not selected:
            self.statusBar().showMessage("Select the nodes to execute (or use Execute All, Shift+F7)", 8000)
            return False
        return self._execute(selected)

    def _execute(self, targets: list[str] | None) -> bool:
        if not self.session.running and not confirm_run(self, self.document.workflow, self.document.path,
                                                        targets):
            self.statusBar().showMessage("Run cancelled: nothing was executed", 8000)
            return False  # files outside the workflow folder, not accepted
        self.autosave.save_now()  # a run can take the machine down (out of memory): keep the work first
        return self.session.execute(targets)

    def cancel_run(self) -> None:
        self.session.cancel()

    def stop_learning(self) -> None:
        self.session.stop_learning()

    def reset_selected(self) -> None:
        """Forget the outputs of the selected nodes and everything after them (all when none
        is selected), so that the next run executes them again."""
        workflow = self.document.workflow
        chosen = set(self.canvas.selected()) or set(workflow.nodes)
        for node_id in list(chosen):
            chosen |= workflow.downstream(node_id)
        self.session.reset(sorted(chosen))

    def _update_run_actions(self) -> None:
        running = self.session.running
        for action in (self.execute_selected_action, self.execute_all_action, self.reset_action):
            action.setEnabled(not running)
        self.cancel_action.setEnabled(running)
        self.stop_action.setEnabled(running)

    def _session_log(self, level: str, text: str) -> None:
        self.log.add(level, text)
        if level == "error":
            self.log_dock.show()

    def _show_progress(self, node_id: str, text: str) -> None:
        """Training progress under a learner while it runs, its shape label again after."""
        if not text:
            node_shapes = self.last_report.nodes.get(node_id) if self.last_report is not None else None
            text = node_label(node_shapes) if node_shapes is not None else ""
        self.canvas.set_shape_text(node_id, text)

    def open_runs(self) -> None:
        """Show the Runs view (it reads the store each time it is shown)."""
        self.runs_dock.show()
        self.runs_dock.raise_()

    def _run_finished(self, status: str, message: str) -> None:
        self.monitor.run_ended(status)
        self.statusBar().showMessage(message, 15000)
        if self._shown_node is not None:  # column pickers may know more now
            self.properties.set_known_columns(self.session.upstream_columns(self._shown_node))

    def _training_started(self, node_id: str) -> None:
        self.monitor.show_learner(node_id)
        self.open_monitor()

    def _show_monitor_dock(self) -> None:
        """The monitor beside the log, tall and wide enough to read the curves."""
        if not self.monitor_dock.isVisible():
            self.monitor_dock.show()
            if not self.monitor_dock.isFloating():
                QTimer.singleShot(0, self._size_monitor_dock)  # once the dock layout has it
        self.monitor_dock.raise_()

    def _size_monitor_dock(self) -> None:
        self.resizeDocks([self.log_dock, self.monitor_dock],
                         [int(self.width() * 0.4), int(self.width() * 0.6)], Qt.Horizontal)
        self.resizeDocks([self.monitor_dock], [max(360, int(self.height() * 0.42))], Qt.Vertical)

    def open_monitor(self, node_id: str | None = None) -> None:
        """Show the monitor; for a learner not trained in this session, its stored history."""
        if node_id is not None and node_id not in self.monitor.records:
            history = self.session.stored_history(node_id)
            if history:
                self.monitor.load_history(node_id, history)
        elif node_id is not None:
            self.monitor.show_learner(node_id)
        self._show_monitor_dock()

    # -- node context menu and port views --------------------------------------------------------
    def _context_menu(self, node_id: str, port, global_pos) -> None:
        menu = self.node_menu(node_id, port)
        menu.exec(global_pos)

    def node_menu(self, node_id: str, port=None) -> QMenu:
        """The right-click menu of a node (or of the empty canvas when node_id is "")."""
        menu = QMenu(self)
        workflow = self.document.workflow
        if node_id and node_id not in self.canvas.selected():
            self.canvas.select([node_id])
        menu.addAction(self.execute_selected_action if node_id else self.execute_all_action)
        if node_id:
            menu.addAction(self.execute_all_action)
        menu.addAction(self.cancel_action)
        menu.addAction(self.reset_action)
        spec = workflow.spec(node_id) if node_id else None
        if spec is None:
            return menu
        if any(p.view == "history" for p in spec.outputs):
            menu.addSeparator()
            menu.addAction("Open Learning Monitor", lambda: self.open_monitor(node_id))
        state, detail = self.session.node_state(node_id)
        if state == NodeState.FAILED:
            menu.addAction("Show Error...", lambda: QMessageBox.warning(self, f"{node_id} failed", detail))
        views = [p for p in spec.outputs if p.type != "network"]
        if views:
            menu.addSeparator()
        for out in views:
            action = menu.addAction(f"View {out.name} ({out.type})",
                                    lambda name=out.name: self.open_port_view(node_id, name))
            # a live view (e.g. a GAN's samples) can follow its node while it runs
            action.setEnabled(state == NodeState.EXECUTED
                              or (state == NodeState.RUNNING and out.view in LIVE_VIEWS))
        return menu

    def _port_double_clicked(self, node_id: str, port: str, output: bool) -> None:
        if output:
            self.open_port_view(node_id, port)
            return
        edges = self.document.workflow.incoming(node_id, port)
        if edges:
            self.open_port_view(edges[0].source, edges[0].source_port)

    def open_port_view(self, node_id: str, port: str):
        """A window with the value an executed node's output port holds (table, model, ...)."""
        from .port_views import PortViewError, open_port_view

        try:
            dialog = open_port_view(self, self.document.workflow, self.session.run_dir(), node_id, port)
        except PortViewError as exc:
            self.statusBar().showMessage(str(exc), 10000)
            return None
        if self.session.node_state(node_id)[0] not in (NodeState.EXECUTED, NodeState.RUNNING):
            self.statusBar().showMessage(f"{node_id} changed since this output was computed: "
                                         "execute it again to update the view", 10000)
        # a closed view deletes itself (WA_DeleteOnClose): forget it then, never touch it after
        self.port_views.append(dialog)
        dialog.destroyed.connect(lambda _=None, view=dialog: self.port_views.remove(view))
        return dialog

    # -- following the document ------------------------------------------------------------
    def _selection_changed(self, node_ids: list[str]) -> None:
        node_id = node_ids[0] if len(node_ids) == 1 else None
        if node_id not in self.document.workflow.nodes:
            node_id = None
        self._shown_node = node_id
        if node_id is None:
            self.properties.show_node(None, None, {})
        else:
            self.properties.set_folder(self.document.workflow.base_dir)
            self.properties.show_node(node_id, self.document.workflow.spec(node_id),
                                      dict(self.document.workflow.nodes[node_id].params))
            self.properties.set_known_columns(self.session.upstream_columns(node_id))

    def _document_reset(self) -> None:
        """Another workflow: the log and the learning curves of the previous one go with it."""
        self.log.clear()
        self.monitor.clear()
        self.last_report = None
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
        self.shapes.request(self.document.workflow)

    def _show_shapes(self, report) -> None:
        if isinstance(report, Exception):
            self.statusBar().showMessage(f"Shape inference failed: {report}", 8000)
            return
        self.last_report = report
        for node_id, node_shapes in report.nodes.items():
            self.canvas.set_shape_text(node_id, node_label(node_shapes))
        self.session.set_shape_problems(
            {n: str(shapes.error) for n, shapes in report.nodes.items() if shapes.error is not None})
        self.total_label.setText(parameter_text(report))


def run_editor(path: str | None = None) -> int:
    """``nodeflow gui [WF.nflow]``."""
    import os
    import sys

    os.environ.setdefault("QT_API", "pyside6")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("NodeFlow")
    window = MainWindow()
    window.show()
    # a run process waits with TensorFlow imported, started once the shape worker has
    # imported it (two imports at once would delay the first shapes on a small machine)
    window.shapes.worker.ready.connect(window.runner.warm_up)
    window.offer_recovery()
    if path:
        window.open_file(path, confirmed=not window.document.modified)
    return app.exec()
