"""Asking before Execute when a workflow reads or writes outside its folder.

A workflow from someone else may read ``/etc/passwd`` or overwrite
``../../victim/precious.txt``.  Before such a workflow runs for the first time on this
machine the editor lists those paths (node, parameter, reads/writes, resolved path);
Run accepts them and records the trust (:mod:`nodeflow.core.trust`), so the same paths
are not asked about again, from the editor or from ``nodeflow run``; Cancel runs
nothing and changes nothing.
"""

from __future__ import annotations

import html
import os

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nodeflow.core.outside import OutsidePath, outside_paths
from nodeflow.core.trust import is_trusted, trust
from nodeflow.core.workflow import Workflow

COLUMNS = ("Node", "Parameter", "Access", "Path")


class OutsideDialog(QDialog):
    """The list of outside paths with Run and Cancel (Cancel is the default button)."""

    def __init__(self, name: str, folder: str | None, items: list[OutsidePath],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Files outside the workflow folder")
        self.items = items
        accesses = sorted({i.access for i in items})  # "reads", "writes" or both
        writes = "writes" in accesses
        intro = QLabel(
            f"<b>{html.escape(name)}</b> {' and '.join(accesses)} files outside its folder "
            f"({html.escape(folder or '')}).<br>Run it only if you trust where it came from."
            f"{' Files it writes are replaced.' if writes else ''}")
        intro.setWordWrap(True)
        self.table = QTableWidget(len(items), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        for row, item in enumerate(items):
            for column, text in enumerate((item.node, item.param, item.access, item.path)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        note = QLabel("Run trusts this workflow with these paths on this machine; NodeFlow asks "
                      "again when it reads or writes anything else.")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.run_button = self.buttons.addButton("Run", QDialogButtonBox.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.cancel_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.resize(720, 320)

    def rows(self) -> list[tuple[str, ...]]:
        """The table as shown (for tests)."""
        return [tuple(self.table.item(r, c).text() for c in range(len(COLUMNS)))
                for r in range(self.table.rowCount())]


def confirm_run(parent: QWidget | None, workflow: Workflow, path: os.PathLike | str | None,
                targets: list[str] | None) -> bool:
    """Whether the run of ``targets`` (and what they need; everything when None) may start:
    it stays inside the workflow's folder, the user trusted these paths before, or the user
    confirms them now (which records the trust for the workflow file ``path``)."""
    nodes = None
    if targets is not None:
        nodes = set(targets).union(*(workflow.upstream(t) for t in targets if t in workflow.nodes))
    items = outside_paths(workflow, nodes)
    if is_trusted(path, items):
        return True
    name = os.path.basename(path) if path is not None else "This workflow"
    dialog = OutsideDialog(name, workflow.base_dir, items, parent)
    accepted = dialog.exec() == QDialog.Accepted
    dialog.deleteLater()
    if accepted and path is not None:
        try:
            trust(path, items)
        except OSError:  # the configuration folder cannot be written: run, and ask next time
            pass
    return accepted
