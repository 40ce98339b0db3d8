"""The loss-explorer page: train a classifier EBM E(W, Y, X) over the 10 digit classes with one of LeCun's
losses (energy, perceptron, hinge, log-likelihood) and watch, for a chosen test image, the energies of
all 10 answers as bars — the correct one highlighted, the hinge margin drawn above it — with the loss,
the test accuracy and the energy spread (the energy loss's collapse shows there) as curves."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QSpinBox, QVBoxLayout, QWidget

from core import energy_losses
from core.training.classifier import HEADS, LossExplorerTrainer
from workbench.panels.training.controls import combo, lay_out_controls, run_dir_of, run_dir_row
from workbench.panels.training.gan_views import ImageGrid, SeriesPlot
from workbench.panels.training.run_page import RunPage, default_run_dir
from workbench.panels.training.transport import Transport
from workbench.panels.training.views import TITLE_SIZE
from workbench.panels.training.worker import TrainSettings, TrainSnapshot
from workbench.snapshots import ProbeSnapshot
from workbench.widgets.param_form import ParamForm

LOSS_LABELS = {"energy": "energy loss E(Yⁱ)", "perceptron": "perceptron E(Yⁱ) − min E",
               "hinge": "hinge max(0, m + E(Yⁱ) − min_{Y≠Yⁱ} E)", "log-likelihood": "log-likelihood (β)"}
HEAD_LABELS = {"free": "free energy per class (energy loss invalid)",
               "distance": "distance to class code (energy loss valid)"}
CORRECT, WRONG, CHOSEN = (80, 200, 90), (150, 150, 150), (255, 90, 90)


class EnergyBars(pg.PlotWidget):
    """E(W, Y, X) of the 10 answers Y as bars; correct answer green, a wrong decision red, margin line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EnergyBars")
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setLabel("bottom", "answer Y (digit class)")
        self.setLabel("left", "energy E(W, Y, X)")
        self.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7, brushes=[WRONG] * 10)
        self.addItem(self.bars)
        self.margin_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#f0d040", width=1.5,
                                                                 style=pg.QtCore.Qt.PenStyle.DashLine))
        self.addItem(self.margin_line)
        self.margin_line.hide()
        self.heights = np.zeros(10)

    def show_energies(self, p: dict[str, Any]) -> None:
        e, label, decision = p["energies"], p["label"], p["decision"]
        brushes = [CORRECT if y == label else (CHOSEN if y == decision else WRONG) for y in range(10)]
        # bars rise from below the lowest energy (the winner must show as the shortest bar, not vanish)
        span = float(e.max() - e.min()) or 1.0
        base = min(0.0, float(e.min())) - 0.1 * span
        self.bars.setOpts(x=np.arange(10), y0=base, height=e - base, brushes=brushes)
        self.heights = np.asarray(e, float)
        wrong = "" if decision == label else f", decided {decision} (wrong)"
        self.setTitle(f"test image #{p['index']}: correct answer {label}{wrong} · gap "
                      f"min_(Y≠Yⁱ) E − E(Yⁱ) = {p['gap']:+.3f}", size=TITLE_SIZE)
        if p["loss"] == "hinge":  # every wrong answer should sit above this line
            self.margin_line.setValue(float(e[label]) + p["margin"])
            self.margin_line.show()
        else:
            self.margin_line.hide()


class LossControls(QWidget):
    """Loss, head, seed, steps, probe image, trainer parameters and run folder around `transport`."""

    def __init__(self, transport: Transport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss = combo(energy_losses.names(), LOSS_LABELS, current="hinge", name="loss")
        self.head = combo(list(HEADS), HEAD_LABELS, current="free", name="head")
        self.seed = QSpinBox(objectName="seed", minimum=0, maximum=2**31 - 1)
        self.total_steps = QSpinBox(objectName="total_steps", minimum=1, maximum=10_000_000, value=3000,
                                    singleStep=500)
        self.probe = QSpinBox(objectName="probe", minimum=0, maximum=449)
        self.probe.setToolTip("the test image whose 10 energies are drawn (can change while training)")
        self.form = ParamForm(tuple(s for s in LossExplorerTrainer.param_specs if s.name != "probe_index"))
        self.run_dir, folder = run_dir_row(self)
        lay_out_controls(self, [("loss", self.loss), ("energy", self.head), ("seed", self.seed),
                                ("total steps", self.total_steps), ("probe image", self.probe), ("run dir", folder)],
                         transport, self.form)

    def set_inputs_enabled(self, enabled: bool) -> None:
        for w in (self.loss, self.head, self.seed, self.total_steps, self.form, self.run_dir):
            w.setEnabled(enabled)

    def show_config(self, params: dict[str, Any]) -> None:
        for box, key in ((self.loss, "loss"), (self.head, "head")):
            if box.findData(params.get(key)) >= 0:
                box.setCurrentIndex(box.findData(params[key]))
        self.form.set_values({k: v for k, v in params.items() if k in self.form.boxes})


class LossExplorerPage(RunPage):
    """Train `core.training` "loss-explorer" and watch the 10 energies of a test image move."""

    trainers = ("loss-explorer",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LossExplorerPage")
        self.controls = LossControls(self.transport)
        self.snapshot = ProbeSnapshot()
        self.controls.probe.valueChanged.connect(self._probe_changed)
        self.bars = EnergyBars()
        self.image = ImageGrid("probe image", columns=1)
        self.loss_curve = SeriesPlot("training loss", (("loss", "loss", "#f0a020", False),))
        self.accuracy = SeriesPlot("accuracy", (("train_accuracy", "train", "#60b0ff", False),
                                                ("test_accuracy", "test", "#60d060", False)))
        self.spread = SeriesPlot("energies of all answers (batch)", (
            ("energy_mean", "mean", "#c080ff", False), ("energy_spread", "spread (std over Y)", "#f0d040", False),
            ("energy_gap", "gap min_(Y≠Yⁱ) E − E(Yⁱ)", "#ff5060", False)))
        middle = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(self.image, 1)
        top.addWidget(self.spread, 2)
        middle.addWidget(self.bars, 3)
        middle.addLayout(top, 2)
        self.lay_out(self.controls, middle, (self.loss_curve, self.accuracy), controls_width=340)

    def _probe_changed(self, index: int) -> None:
        self.snapshot.index = index
        self.worker.update_snapshot(self.snapshot)  # the run in progress probes the new image

    def make_settings(self) -> TrainSettings:
        c = self.controls
        params = {"loss": c.loss.currentData(), "head": c.head.currentData(), "seed": c.seed.value(),
                  **c.form.values()}
        run_dir = run_dir_of(c.run_dir) or default_run_dir("losses", params["loss"], params["head"])
        return TrainSettings(run_dir, "loss-explorer", params, c.total_steps.value(), self.snapshot)

    def set_inputs_enabled(self, enabled: bool) -> None:
        self.controls.set_inputs_enabled(enabled)

    def reset_views(self) -> None:
        for plot in (self.loss_curve, self.accuracy, self.spread):
            plot.set_series(plot.series)
        self.image.clear_images()

    def draw_snapshot(self, snap: TrainSnapshot) -> None:
        p = snap.payload
        if "energies" in p:
            self.bars.show_energies(p)
            self.image.show_images(p["image"][None] * 2 - 1, (1, 8, 8))

    def add_records(self, records: list[dict[str, Any]]) -> None:
        for plot in (self.loss_curve, self.accuracy, self.spread):
            plot.add_records(records)

    def show_followed_config(self, config: dict[str, Any]) -> None:
        if config.get("trainer") == "loss-explorer":
            self.controls.show_config(config.get("params", {}))
