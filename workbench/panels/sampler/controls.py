"""The sampler's control column: energy, sampler and its parameters, chains, start, transport, export.

Widgets only: the panel connects their signals and writes model → widget under `QSignalBlocker`.
The parameter form is built from `core.samplers.specs(name)`, so a new sampler needs no change here.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from core import energies, samplers
from workbench.panels.sampler.session import MAX_CHAINS
from workbench.panels.sampler.worker import MAX_SPEED
from workbench.widgets.param_form import ParamForm

INIT_LABELS = {"uniform": "uniform over the box", "point": "clicked point", "blob": "Gaussian blob"}
SAMPLER_LABELS = {"langevin": "langevin (ULA)", "mala": "MALA", "mh": "MH (random walk)", "hmc": "HMC"}
CUSTOM = "__custom__"


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 6, 0, 0)
    return label


class SamplerControls(QWidget):
    """The left column of the Sampler panel."""

    energyChosen = Signal(str)  # a built-in energy name
    samplerChosen = Signal(str)
    startChanged = Signal()  # chains, seed, start mode or radius: the run restarts

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 4, 6, 4)
        column.setSpacing(3)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        self.energy_combo = QComboBox()
        self.energy_combo.setObjectName("energy_combo")
        self.energy_combo.setToolTip("the energy under study, shared with the Landscape panel")
        for name in energies.names():
            self.energy_combo.addItem(f"{name} ({energies.info(name)['dim']}D)", name)
        self.energy_combo.activated.connect(self._on_energy)
        form.addRow("energy", self.energy_combo)
        self.sampler_combo = QComboBox()
        self.sampler_combo.setObjectName("sampler_combo")
        for name in samplers.names(discrete=False):  # Gibbs and ICM live in the discrete mode
            self.sampler_combo.addItem(SAMPLER_LABELS.get(name, name), name)
        self.sampler_combo.currentIndexChanged.connect(
            lambda _i: self.samplerChosen.emit(self.sampler_combo.currentData()))
        form.addRow("sampler", self.sampler_combo)
        column.addLayout(form)
        self.form = ParamForm()
        column.addWidget(self.form)

        start = QFormLayout()
        start.setContentsMargins(0, 0, 0, 0)
        start.setVerticalSpacing(3)
        self.chains = QSpinBox()
        self.chains.setObjectName("n_chains")
        self.chains.setRange(1, MAX_CHAINS)
        self.chains.setValue(1000)
        self.chains.setStepType(QSpinBox.StepType.AdaptiveDecimalStepType)
        self.chains.setGroupSeparatorShown(True)
        self.chains.setToolTip(f"number of parallel chains, 1 … {MAX_CHAINS:,}; above 20 000 the map "
                               "shows their density instead of points")
        self.seed = QSpinBox()
        self.seed.setObjectName("seed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("random seed: same seed, same chains")
        self.init_combo = QComboBox()
        self.init_combo.setObjectName("init_combo")
        for key, label in INIT_LABELS.items():
            self.init_combo.addItem(label, key)
        self.init_combo.setToolTip("where chains start; click the map to choose the point or blob centre")
        self.radius = QDoubleSpinBox()
        self.radius.setObjectName("blob_radius")
        self.radius.setRange(0.01, 100.0)
        self.radius.setValue(0.5)
        self.radius.setSingleStep(0.1)
        self.radius.setToolTip("standard deviation of the Gaussian blob of start points")
        for box in (self.chains, self.seed, self.radius):
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda _v: self.startChanged.emit())
        self.init_combo.currentIndexChanged.connect(self._on_init)
        start.addRow("chains", self.chains)
        start.addRow("seed", self.seed)
        start.addRow("start", self.init_combo)
        start.addRow("blob radius", self.radius)
        column.addLayout(start)
        self.hint = QLabel("Click the map to set the start point.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: gray;")
        column.addWidget(self.hint)

        column.addWidget(_heading("Run"))
        buttons = QHBoxLayout()
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("one transition of every chain (→)")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("play / pause (Space)")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("restart the chains from their start (R)")
        for b in (self.step_button, self.play_button, self.reset_button):
            b.setObjectName(f"{b.text().lower()}_button")
            buttons.addWidget(b)
        column.addLayout(buttons)
        run = QFormLayout()
        run.setContentsMargins(0, 0, 0, 0)
        run.setVerticalSpacing(3)
        self.speed = QSpinBox()
        self.speed.setObjectName("speed")
        self.speed.setRange(1, MAX_SPEED)
        self.speed.setSuffix(" steps/frame")
        self.speed.setToolTip("transitions per drawn frame while playing (frames at up to 60 per second)")
        run.addRow("speed", self.speed)
        self.path_chain = QSpinBox()
        self.path_chain.setObjectName("path_chain")
        self.path_chain.setRange(0, 999)
        self.path_chain.setToolTip("HMC: the chain whose leapfrog path is drawn (paths are recorded up to "
                                   "1 000 chains)")
        run.addRow("HMC path of chain", self.path_chain)
        column.addLayout(run)
        show = QHBoxLayout()
        self.trails_box = QCheckBox("trails", objectName="trails")
        self.trails_box.setChecked(True)
        self.trails_box.setToolTip("fading trails of the last 20 positions (up to 50 chains)")
        self.proposals_box = QCheckBox("proposals", objectName="proposals")
        self.proposals_box.setChecked(True)
        self.proposals_box.setToolTip("last proposals of the first 50 chains: accepted green, rejected red")
        show.addWidget(self.trails_box)
        show.addWidget(self.proposals_box)
        show.addStretch(1)
        column.addLayout(show)

        column.addWidget(_heading("Export"))
        export = QHBoxLayout()
        self.record_button = QPushButton("Record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("record the map while playing, for Export animation")
        self.export_trace_button = QPushButton("Trace…")
        self.export_trace_button.setToolTip("save recorded positions (last 2 000 steps × up to 1 000 chains), "
                                            "acceptances and settings as NPZ")
        self.export_animation_button = QPushButton("Animation…")
        self.export_animation_button.setToolTip("save the recorded frames (or the last steps re-drawn) as a GIF")
        for b in (self.record_button, self.export_trace_button, self.export_animation_button):
            export.addWidget(b)
        column.addLayout(export)
        self.error_label = QLabel()
        self.error_label.setObjectName("sampler_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #ff6060;")
        self.error_label.setVisible(False)
        column.addWidget(self.error_label)
        column.addStretch(1)
        self._on_init()

    # --- model → widget --------------------------------------------------------------------
    def set_sampler(self, name: str, values: dict) -> None:
        """Select sampler `name` and rebuild the parameter form for it, showing `values`."""
        with QSignalBlocker(self.sampler_combo):
            self.sampler_combo.setCurrentIndex(self.sampler_combo.findData(name))
        self.form.set_specs(samplers.specs(name), values)
        self.path_chain.setEnabled(name == "hmc")

    def set_energy(self, source: dict, label: str) -> None:
        """Show the shared energy: its built-in name, or a custom entry describing it."""
        with QSignalBlocker(self.energy_combo):
            custom = self.energy_combo.findData(CUSTOM)
            if custom >= 0:
                self.energy_combo.removeItem(custom)
            index = self.energy_combo.findData(source.get("name")) if source.get("kind") == "builtin" else -1
            if index < 0:
                self.energy_combo.insertItem(0, label, CUSTOM)
                index = 0
            self.energy_combo.setCurrentIndex(index)

    def set_playing(self, playing: bool) -> None:
        with QSignalBlocker(self.play_button):
            self.play_button.setChecked(playing)
        self.play_button.setText("Pause" if playing else "Play")

    def show_error(self, message: str) -> None:
        """An inline error in words ('' hides it)."""
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def start_fields(self) -> dict:
        """n_chains, seed, init and radius as shown."""
        return {"n_chains": self.chains.value(), "seed": self.seed.value(),
                "init": self.init_combo.currentData(), "radius": self.radius.value()}

    def set_init(self, mode: str) -> None:
        with QSignalBlocker(self.init_combo):
            self.init_combo.setCurrentIndex(self.init_combo.findData(mode))
        self._update_init_widgets()

    # --- widget → signals ------------------------------------------------------------------
    def _on_energy(self, index: int) -> None:
        name = self.energy_combo.itemData(index)
        if name != CUSTOM:
            self.energyChosen.emit(name)

    def _on_init(self, *_: object) -> None:
        self._update_init_widgets()
        self.startChanged.emit()

    def _update_init_widgets(self) -> None:
        mode = self.init_combo.currentData()
        self.radius.setEnabled(mode == "blob")
        self.hint.setText({"uniform": "Click the map to start all chains at a point.",
                           "point": "Click the map to move the start point.",
                           "blob": "Click the map to move the blob centre."}[mode])
