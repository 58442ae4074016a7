"""The editor's sweeps: "Add to sweep", the Sweep dialog, the background sweep and its view.

:class:`SweepEditor` wires them into the main window: the Properties panel's "Add to
sweep" adds to the open workflow's :class:`~nodeflow.gui.sweep_setup.SweepSetup`
(editor state, kept until another workflow is opened), Run > Sweep... opens the dialog,
Start saves the workflow when it has unsaved changes (a sweep runs the file on disk,
as ``nodeflow sweep`` would) and starts ``nodeflow sweep`` in the background, and the
Sweep view (a dock) follows it.  One sweep at a time per editor.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from .sweep_dialog import SweepDialog
from .sweep_process import StudyFiles, SweepProcess, study_dir
from .sweep_setup import SweepSetup, metric_candidates
from .sweep_view import SweepView


class SweepEditor(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.setup = SweepSetup(self)
        self.dialog: SweepDialog | None = None
        self.sweep: SweepProcess | None = None
        self._results: StudyFiles | None = None  # a study shown by Open Sweep Results
        self.view = SweepView(window.document)
        self.dock = window._dock(self.view, "Sweep", Qt.BottomDockWidgetArea, "sweep")
        self.dock.hide()
        self._path = window.document.path
        self.view.best_applied.connect(lambda text: window.statusBar().showMessage(text, 10000))
        window.properties.add_to_sweep.connect(self.add)
        window.document.reset.connect(self._document_reset)
        window.document.changed.connect(self._document_changed)

    def add(self, path: str, param, value) -> None:
        """"Add to sweep" on a parameter: it joins the list with its default space."""
        self.setup.add_param(path, param, value)
        self.window.statusBar().showMessage(f"Sweeping {path} (Run > Sweep... to start)", 6000)

    def open_dialog(self) -> SweepDialog:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        document = self.window.document
        name = document.path.name if document.path else "untitled workflow"
        self.dialog = SweepDialog(self.setup, metric_candidates(document.workflow), name, self.window)
        self.dialog.start_requested.connect(self.start)
        self.dialog.show()
        return self.dialog

    def _saved(self) -> bool:
        """The file on disk holds the workflow as it is in the editor (asks to save if not)."""
        document = self.window.document
        if document.path is not None and not document.modified:
            return True
        answer = QMessageBox.question(
            self.window, "Save before sweeping",
            "A sweep runs the workflow file on disk. Save the workflow first?",
            QMessageBox.Save | QMessageBox.Cancel, QMessageBox.Save)
        return answer == QMessageBox.Save and self.window.save()

    def start(self) -> SweepProcess | None:
        if self.sweep is not None and self.sweep.running:
            QMessageBox.information(self.window, "Sweep", "A sweep is running: stop it first.")
            return None
        if not self._saved():
            return None
        self.sweep = SweepProcess(self.window.document.path, self.setup, self)
        self.sweep.finished.connect(self._finished)
        self.sweep.start()
        self.view.show_sweep(self.sweep)
        self.dock.show()
        self.dock.raise_()
        if self.dialog is not None:
            self.dialog.close()
        return self.sweep

    def studies(self) -> list[str]:
        """The open workflow's studies that have results (any sweep of its file, whether
        started here or in a terminal), newest first."""
        path = self.window.document.path
        if path is None:
            return []
        sweeps = study_dir(path).parent
        found = [d for d in sweeps.iterdir() if (d / "trials.csv").is_file()] if sweeps.is_dir() else []
        return [d.name for d in sorted(found, key=lambda d: (d / "trials.csv").stat().st_mtime, reverse=True)]

    def open_results(self) -> str | None:
        """Run > Open Sweep Results...: show a study's trials in the Sweep view (the only
        one, or the one picked); it keeps following a sweep that is still running."""
        names = self.studies()
        if not names:
            QMessageBox.information(self.window, "Sweep results",
                                    "This workflow has no sweep results yet: start one with Run > Sweep... "
                                    "or `nodeflow sweep` in a terminal.")
            return None
        name = names[0]
        if len(names) > 1:
            name, ok = QInputDialog.getItem(self.window, "Sweep results", "Study:", names, 0, False)
            if not ok:
                return None
        if self._results is not None:  # the study shown before stops being followed
            self._results.follow(False)
            self._results.deleteLater()
        files = self._results = StudyFiles(study_dir(self.window.document.path, name), self)
        files.follow(True)
        self.view.show_study(files)
        self.dock.show()
        self.dock.raise_()
        return name

    def _finished(self, status: str, message: str) -> None:
        text = {"finished": "Sweep finished.", "stopped": "Sweep stopped.", "failed": "Sweep failed."}[status]
        self.window.statusBar().showMessage(text, 10000)

    def _document_reset(self) -> None:
        """Another workflow: its own (empty) sweep list.  Revert keeps the list."""
        path = self.window.document.path
        if path != self._path:
            self._path = path
            self.setup.clear()

    def _document_changed(self) -> None:
        if self.window.document.path is not None:  # saved under a name: the list stays its
            self._path = self.window.document.path

    def shutdown(self) -> None:
        if self.sweep is not None:
            self.sweep.shutdown()

