"""The controls column: data set, method, negative sampler, trainer parameters, seed, steps, run folder,
and Start / Pause / Resume / Stop / Save checkpoint. Lists come from `core` registries and specs."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from core import data
from core.training.ebm2d import METHODS, NEGATIVE_SAMPLERS, EBM2DTrainer
from workbench.widgets.param_form import ParamForm

METHOD_LABELS = {"cd": "CD-k (from data)", "pcd": "PCD (replay buffer)", "dsm": "DSM (score matching)"}


def _combo(items: list[str], labels: dict[str, str] | None = None, current: str | None = None) -> QComboBox:
    combo = QComboBox()
    for item in items:
        combo.addItem((labels or {}).get(item, item), item)
    if current is not None and combo.findData(current) >= 0:
        combo.setCurrentIndex(combo.findData(current))
    return combo


class TrainingControls(QWidget):
    """Settings for a new run and the transport buttons; `settings()` reads them all."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset = _combo(data.names(), current="8gaussians")
        self.method = _combo(list(METHODS), METHOD_LABELS, current="pcd")
        self.sampler = _combo(list(NEGATIVE_SAMPLERS), current="langevin")
        self.seed = QSpinBox(objectName="seed", minimum=0, maximum=2**31 - 1)
        self.total_steps = QSpinBox(objectName="total_steps", minimum=1, maximum=10_000_000, value=5000,
                                    singleStep=100)
        self.form = ParamForm(EBM2DTrainer.param_specs)
        self.run_dir = QLineEdit(objectName="run_dir")
        self.run_dir.setPlaceholderText("new folder under the app data folder")
        self.run_dir.setToolTip("Run directory: config.json, metrics.jsonl, checkpoints/, samples/. "
                                "Empty: a new folder for each run.")
        browse = QToolButton(text="…", toolTip="Choose the run directory")
        browse.clicked.connect(self._browse)

        setup = QGroupBox("Run")
        form = QFormLayout(setup)
        form.addRow("data set", self.dataset)
        form.addRow("method", self.method)
        form.addRow("negatives", self.sampler)
        form.addRow("seed", self.seed)
        form.addRow("total steps", self.total_steps)
        folder = QHBoxLayout()
        folder.addWidget(self.run_dir, 1)
        folder.addWidget(browse)
        form.addRow("run dir", folder)
        params = QGroupBox("Trainer parameters")
        QVBoxLayout(params).addWidget(self.form)

        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (key, text) in enumerate((("start", "Start"), ("pause", "Pause"), ("resume", "Resume"),
                                         ("stop", "Stop"), ("save", "Save checkpoint"))):
            button = QPushButton(text, objectName=f"{key}_button")
            self.buttons[key] = button
            grid.addWidget(button, i // 2, i % 2, 1, 2 if key == "save" else 1)
        self.message = QLabel(objectName="message", wordWrap=True)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 4, 0)
        column.addWidget(setup)
        column.addLayout(grid)
        column.addWidget(self.message)
        column.addWidget(params)
        column.addStretch(1)
        self.set_state("idle")

    def settings(self) -> dict[str, Any]:
        """The controls' values: dataset, method, sampler, seed, total_steps, params, run_dir (or None)."""
        text = self.run_dir.text().strip()
        return {"dataset": self.dataset.currentData(), "method": self.method.currentData(),
                "sampler": self.sampler.currentData(), "seed": self.seed.value(),
                "total_steps": self.total_steps.value(), "params": self.form.values(),
                "run_dir": Path(text).expanduser() if text else None}

    def set_state(self, state: str) -> None:
        """Enable the buttons that make sense when `state` is idle, running or paused."""
        live = state in ("running", "paused")
        self.buttons["start"].setEnabled(not live)
        self.buttons["pause"].setEnabled(state == "running")
        self.buttons["resume"].setEnabled(state == "paused")
        self.buttons["stop"].setEnabled(live)
        self.buttons["save"].setEnabled(live)
        for w in (self.dataset, self.method, self.sampler, self.seed, self.total_steps, self.form, self.run_dir):
            w.setEnabled(not live)

    def show_config(self, params: dict[str, Any], total_steps: int | None = None) -> None:
        """Show the settings of a run's config (a followed run): combos, seed, steps and parameters."""
        for combo, key in ((self.dataset, "dataset"), (self.method, "method"), (self.sampler, "sampler")):
            if combo.findData(params.get(key)) >= 0:
                combo.setCurrentIndex(combo.findData(params[key]))
        if isinstance(params.get("seed"), int):
            self.seed.setValue(params["seed"])
        if isinstance(total_steps, int):
            self.total_steps.setValue(total_steps)
        self.form.set_values({k: v for k, v in params.items() if k in self.form.boxes})

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Run directory", self.run_dir.text())
        if path:
            self.run_dir.setText(path)
