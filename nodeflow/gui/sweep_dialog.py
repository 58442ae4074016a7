"""The Sweep dialog: the swept parameters with their spaces, the metric and the settings.

Modeless, over a :class:`~nodeflow.gui.sweep_setup.SweepSetup`: parameters added with
"Add to sweep" in the Properties panel appear while it is open, and what is typed stays
in the setup for the next time.  A space text is checked as it is typed with the sweep
package's own parser; a row that does not parse is marked and Start stays disabled
until it is fixed.  Start only asks (``start_requested``): saving the workflow and
launching the sweep are the owner's (:class:`~nodeflow.gui.sweeps.SweepEditor`).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .sweep_setup import DIRECTIONS, SAMPLERS, SweepSetup, default_direction, space_problem

INVALID_STYLE = "QLineEdit[nfInvalid=\"true\"] { border: 1px solid #d9534f; background: #fff3f3; }"


class SweepDialog(QDialog):
    start_requested = Signal()

    def __init__(self, setup: SweepSetup, metrics: list[str], workflow_name: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Sweep {workflow_name}")
        self.setStyleSheet(INVALID_STYLE)
        self.setup = setup
        self.problems: dict[str, str] = {}  # path -> why its space text does not parse
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Parameter", "Space", ""])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        self.empty = QLabel("No parameters yet: right-click a parameter in the Properties panel "
                            "and choose \u201cAdd to sweep\u201d.")
        self.empty.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c0392b")
        self.problem.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.metric_combo = QComboBox()
        self.metric_combo.setEditable(True)
        self.metric_combo.addItems(metrics)
        self.metric_combo.setToolTip("NODE.NAME: a scorer's metric, or a learner's last (val_loss) or best "
                               "(best_val_loss) epoch value")
        self.metric_combo.setCurrentText(setup.metric or (metrics[0] if metrics else ""))
        self.direction = QComboBox()
        self.direction.addItems(DIRECTIONS)
        self.direction.setCurrentText(setup.direction if setup.metric else default_direction(self.metric_combo.currentText()))
        self.metric_combo.currentTextChanged.connect(self._metric_changed)
        self.trials = QSpinBox()
        self.trials.setRange(1, 100_000)
        self.trials.setValue(setup.trials)
        self.workers = QSpinBox()
        self.workers.setRange(1, max(64, os.cpu_count() or 1))
        self.workers.setValue(setup.workers)
        self.workers.setToolTip("Trials run at the same time, each in its own process")
        self.sampler = QComboBox()
        self.sampler.addItems(SAMPLERS)
        self.sampler.setCurrentText(setup.sampler)
        self.prune = QCheckBox("Stop unpromising trials early (median pruning)")
        self.prune.setChecked(setup.prune)
        self.study = QLineEdit(setup.study)
        self.study.setPlaceholderText(workflow_name.rsplit(".", 1)[0])
        self.study.setToolTip("The same study name again resumes it")
        form = QFormLayout()
        form.addRow("Metric", self.metric_combo)
        form.addRow("Direction", self.direction)
        form.addRow("Trials", self.trials)
        form.addRow("Workers", self.workers)
        form.addRow("Sampler", self.sampler)
        form.addRow("", self.prune)
        form.addRow("Study", self.study)

        self.buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.buttons.addButton(self.start_button, QDialogButtonBox.AcceptRole)
        self.buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self._start)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Swept parameters (spaces: int(a,b[,log]), float(a,b[,log]), "
                                "loguniform(a,b), choice(x,y,...))"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.problem)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        for widget in (self.metric_combo, self.direction, self.trials, self.workers, self.sampler, self.prune, self.study):
            signal = getattr(widget, "currentTextChanged", None) or getattr(widget, "valueChanged", None) \
                or getattr(widget, "toggled", None) or widget.textChanged
            signal.connect(self._store)
        setup.changed.connect(self._fill)
        self._store()
        self._fill()
        self.resize(620, 460)

    # -- rows --------------------------------------------------------------------------------
    def _fill(self) -> None:
        self.table.setRowCount(len(self.setup.params))
        for row, item in enumerate(self.setup.params):
            name = QTableWidgetItem(item.path)
            name.setFlags(Qt.ItemIsEnabled)
            self.table.setItem(row, 0, name)
            edit = QLineEdit(item.space)
            edit.setObjectName(f"space:{item.path}")
            edit.textChanged.connect(lambda text, path=item.path, e=edit: self._space_edited(path, e))
            self.table.setCellWidget(row, 1, edit)
            remove = QToolButton()
            remove.setIcon(self.style().standardIcon(QStyle.SP_DialogDiscardButton))
            remove.setToolTip(f"Stop sweeping {item.path}")
            remove.setAutoRaise(True)
            remove.clicked.connect(lambda _checked=False, path=item.path: self.setup.remove(path))
            self.table.setCellWidget(row, 2, remove)
            self._check(item.path, edit)
        self.problems = {p: m for p, m in self.problems.items() if any(i.path == p for i in self.setup.params)}
        self.empty.setVisible(not self.setup.params)
        self._update()

    def space_edit(self, path: str) -> QLineEdit | None:
        """The space editor of one swept parameter."""
        for row, item in enumerate(self.setup.params):
            if item.path == path:
                return self.table.cellWidget(row, 1)
        return None

    def paths(self) -> list[str]:
        return [self.table.item(row, 0).text() for row in range(self.table.rowCount())]

    def _space_edited(self, path: str, edit: QLineEdit) -> None:
        self.setup.set_space(path, edit.text())
        self._check(path, edit)
        self._update()

    def _check(self, path: str, edit: QLineEdit) -> None:
        problem = space_problem(edit.text())
        if problem:
            self.problems[path] = problem
        else:
            self.problems.pop(path, None)
        if bool(edit.property("nfInvalid")) != bool(problem):
            edit.setProperty("nfInvalid", bool(problem))
            edit.style().unpolish(edit)
            edit.style().polish(edit)
        edit.setToolTip(problem or "")

    # -- settings -------------------------------------------------------------------------------
    def _metric_changed(self, text: str) -> None:
        self.direction.setCurrentText(default_direction(text))

    def _store(self, *_args) -> None:
        setup = self.setup
        setup.metric = self.metric_combo.currentText().strip()
        setup.direction = self.direction.currentText()
        setup.trials = self.trials.value()
        setup.workers = self.workers.value()
        setup.sampler = self.sampler.currentText()
        setup.prune = self.prune.isChecked()
        setup.study = self.study.text().strip()
        self._update()

    def start_problem(self) -> str:
        """Why Start is disabled ("" when it is not)."""
        if not self.setup.params:
            return "Add at least one parameter."
        if self.problems:
            return "\n".join(f"{path}: {text}" for path, text in self.problems.items())
        metric = self.metric_combo.currentText().strip()
        if "." not in metric.strip("."):
            return "Name the metric as NODE.NAME, e.g. scorer.accuracy."
        return ""

    def _update(self) -> None:
        problem = self.start_problem()
        self.start_button.setEnabled(not problem)
        self.start_button.setToolTip(problem)
        self.problem.setText(problem if self.problems else "")
        self.problem.setVisible(bool(self.problems))

    def _start(self) -> None:
        self._store()
        if not self.start_problem():
            self.start_requested.emit()
