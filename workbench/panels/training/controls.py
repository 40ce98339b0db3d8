"""The 2D page's controls column: data set, method, negative sampler, trainer parameters, seed, steps,
run folder, around the page's transport buttons. Lists come from `core` registries and specs."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit,
                               QSpinBox, QToolButton, QVBoxLayout, QWidget)

from core import data
from core.training.ebm2d import METHODS, NEGATIVE_SAMPLERS, EBM2DTrainer
from workbench.panels.training.transport import Transport
from workbench.widgets.param_form import ParamForm

METHOD_LABELS = {"cd": "CD-k (from data)", "pcd": "PCD (replay buffer)", "dsm": "DSM (score matching)"}


def combo(items: list[str], labels: dict[str, str] | None = None, current: str | None = None,
          name: str = "") -> QComboBox:
    """A combo box of `items` (shown through `labels`), `current` selected, object name `name`."""
    combo = QComboBox(objectName=name)
    for item in items:
        combo.addItem((labels or {}).get(item, item), item)
    if current is not None and combo.findData(current) >= 0:
        combo.setCurrentIndex(combo.findData(current))
    return combo


def run_dir_row(parent: QWidget) -> tuple[QLineEdit, QHBoxLayout]:
    """A run-folder line edit with a browse button (empty: a new folder for each run)."""
    edit = QLineEdit(objectName="run_dir")
    edit.setPlaceholderText("new folder under the app data folder")
    edit.setToolTip("Run directory: config.json, metrics.jsonl, checkpoints/, samples/. "
                    "Empty: a new folder for each run.")
    browse = QToolButton(text="…", toolTip="Choose the run directory")

    def choose() -> None:
        path = QFileDialog.getExistingDirectory(parent, "Run directory", edit.text())
        if path:
            edit.setText(path)

    browse.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return edit, row


def run_dir_of(edit: QLineEdit) -> Path | None:
    """The folder typed in a `run_dir_row` (None when empty)."""
    text = edit.text().strip()
    return Path(text).expanduser() if text else None


def lay_out_controls(owner: QWidget, rows: list[tuple[str, Any]], transport: Transport, form: QWidget,
                     params_title: str = "Trainer parameters") -> None:
    """The column every page uses: a "Run" group of labelled `rows`, the transport, the parameter form.
    Also gives `owner` the `buttons` and `message` of the transport."""
    setup = QGroupBox("Run")
    layout = QFormLayout(setup)
    for label, field in rows:
        layout.addRow(label, field)
    params = QGroupBox(params_title)
    QVBoxLayout(params).addWidget(form)
    owner.buttons, owner.message = transport.buttons, transport.message
    column = QVBoxLayout(owner)
    column.setContentsMargins(0, 0, 4, 0)
    column.addWidget(setup)
    column.addWidget(transport)
    column.addWidget(params)
    column.addStretch(1)


class TrainingControls(QWidget):
    """Settings for a new 2D run around `transport`; `settings()` reads them all."""

    def __init__(self, transport: Transport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset = combo(data.names(), current="8gaussians", name="dataset")
        self.method = combo(list(METHODS), METHOD_LABELS, current="pcd", name="method")
        self.sampler = combo(list(NEGATIVE_SAMPLERS), current="langevin", name="sampler")
        self.seed = QSpinBox(objectName="seed", minimum=0, maximum=2**31 - 1)
        self.total_steps = QSpinBox(objectName="total_steps", minimum=1, maximum=10_000_000, value=5000,
                                    singleStep=100)
        self.form = ParamForm(EBM2DTrainer.param_specs)
        self.run_dir, folder = run_dir_row(self)

        lay_out_controls(self, [("data set", self.dataset), ("method", self.method), ("negatives", self.sampler),
                                ("seed", self.seed), ("total steps", self.total_steps), ("run dir", folder)],
                         transport, self.form)

    def settings(self) -> dict[str, Any]:
        """The controls' values: dataset, method, sampler, seed, total_steps, params, run_dir (or None)."""
        return {"dataset": self.dataset.currentData(), "method": self.method.currentData(),
                "sampler": self.sampler.currentData(), "seed": self.seed.value(),
                "total_steps": self.total_steps.value(), "params": self.form.values(),
                "run_dir": run_dir_of(self.run_dir)}

    def set_inputs_enabled(self, enabled: bool) -> None:
        """Settings are editable only while no run is live."""
        for w in (self.dataset, self.method, self.sampler, self.seed, self.total_steps, self.form, self.run_dir):
            w.setEnabled(enabled)

    def show_config(self, params: dict[str, Any], total_steps: int | None = None) -> None:
        """Show the settings of a run's config (a followed run): combos, seed, steps and parameters."""
        for box, key in ((self.dataset, "dataset"), (self.method, "method"), (self.sampler, "sampler")):
            if box.findData(params.get(key)) >= 0:
                box.setCurrentIndex(box.findData(params[key]))
        if isinstance(params.get("seed"), int):
            self.seed.setValue(params["seed"])
        if isinstance(total_steps, int):
            self.total_steps.setValue(total_steps)
        self.form.set_values({k: v for k, v in params.items() if k in self.form.boxes})
