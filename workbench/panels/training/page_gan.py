"""The GAN-style EBM page (monitor): train EBGAN, BEGAN or MAGAN on digits, a 2D data set or a folder of
images, and watch losses, real vs fake energies with the margin, k_t / M_global / the margin over time,
image grids of samples and reconstructions, or, for 2D data, the discriminator's energy over the plane."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QSlider,
                               QSpinBox, QStackedWidget, QToolButton, QWidget)

from core import data, training
from core.runs import RunDir
from core.training.gan import _GANTrainer
from workbench.panels.training.controls import combo, lay_out_controls, run_dir_of, run_dir_row
from workbench.panels.training.gan_views import SERIES, THIRD_TITLE, ImageGrid, SeriesPlot, pairs
from workbench.panels.training.run_page import RunPage, default_run_dir
from workbench.panels.training.transport import Transport
from workbench.panels.training.views import TrainingMap, landscape_from
from workbench.panels.training.worker import TrainSettings, TrainSnapshot
from workbench.snapshots import gan_snapshot
from workbench.widgets.param_form import ParamForm

MODELS = {"ebgan": "EBGAN (margin, pulling-away)", "began": "BEGAN (equilibrium k_t)",
          "magan": "MAGAN (adaptive margin)"}
DEFAULT_LR = {"ebgan": 2e-4, "began": 2e-4, "magan": 5e-4}  # REFERENCES §4: Adam 2e-4; MAGAN Adamax 5e-4
FOLDER = "__folder__"


def gan_view_of_checkpoint(path: str) -> dict[str, Any]:
    """(thread pool) The monitor payload of a GAN run's newest checkpoint (read-only)."""
    run = RunDir(path, create=False)
    config = run.read_config()
    if config.get("trainer") not in MODELS:
        raise ValueError(f"not a GAN-style EBM run: trainer {config.get('trainer')!r}")
    trainer = training.create(config["trainer"], **config.get("params", {}))
    trainer.load_state_dict(run.load_checkpoint()[1])
    return gan_snapshot(trainer, True)


class GanControls(QWidget):
    """Model, data (digits, 2D sets, an image folder), seed, steps, hyper-parameters, run folder."""

    def __init__(self, transport: Transport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = combo(list(MODELS), MODELS, current="ebgan", name="model")
        self.data = combo(["digits", *data.names(), FOLDER], {"digits": "digits 8×8 (scikit-learn)",
                                                               FOLDER: "image folder…"}, current="digits",
                          name="data")
        self.folder = QLineEdit(objectName="image_folder", placeholderText="folder of PNG/JPG images")
        browse = QToolButton(text="…", toolTip="Choose a folder of images")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.seed = QSpinBox(objectName="seed", minimum=0, maximum=2**31 - 1)
        self.total_steps = QSpinBox(objectName="total_steps", minimum=1, maximum=10_000_000, value=5000,
                                    singleStep=500)
        self.form = ParamForm(_GANTrainer.param_specs)
        self.run_dir, folder = run_dir_row(self)
        lay_out_controls(self, [("model", self.model), ("data", self.data), ("images", folder_row),
                                ("seed", self.seed), ("total steps", self.total_steps), ("run dir", folder)],
                         transport, self.form, "Hyper-parameters (REFERENCES §4 defaults)")
        self.model.currentIndexChanged.connect(self._model_changed)
        self.data.currentIndexChanged.connect(lambda _i: self.folder.setEnabled(self.data.currentData() == FOLDER))
        self.folder.setEnabled(False)

    def _model_changed(self, _index: int) -> None:
        self.form.set_values({"lr": DEFAULT_LR[self.model.currentData()]})

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of images", self.folder.text())
        if path:
            self.folder.setText(path)

    def data_name(self) -> str:
        """The `data` argument of the trainer: digits, a 2D set, or the folder; ValueError if none given."""
        name = self.data.currentData()
        if name != FOLDER:
            return name
        text = self.folder.text().strip()
        if not text:
            raise ValueError("choose a folder of images (data: image folder…)")
        return str(Path(text).expanduser())

    def settings(self) -> dict[str, Any]:
        return {"model": self.model.currentData(), "data": self.data_name(), "seed": self.seed.value(),
                "total_steps": self.total_steps.value(), "params": self.form.values(),
                "run_dir": run_dir_of(self.run_dir)}

    def set_inputs_enabled(self, enabled: bool) -> None:
        for w in (self.model, self.data, self.seed, self.total_steps, self.form, self.run_dir):
            w.setEnabled(enabled)
        self.folder.setEnabled(enabled and self.data.currentData() == FOLDER)

    def show_config(self, trainer: str, params: dict[str, Any], total_steps: int | None) -> None:
        with_signals_blocked = self.model.blockSignals(True)
        if self.model.findData(trainer) >= 0:
            self.model.setCurrentIndex(self.model.findData(trainer))
        self.model.blockSignals(with_signals_blocked)
        name = params.get("data")
        if self.data.findData(name) >= 0:
            self.data.setCurrentIndex(self.data.findData(name))
        elif isinstance(name, str):
            self.data.setCurrentIndex(self.data.findData(FOLDER))
            self.folder.setText(name)
        if isinstance(params.get("seed"), int):
            self.seed.setValue(params["seed"])
        if isinstance(total_steps, int):
            self.total_steps.setValue(total_steps)
        self.form.set_values({k: v for k, v in params.items() if k in self.form.boxes})


class GanPage(RunPage):
    """Monitor `core.training` "ebgan", "began" and "magan" runs, live or followed from a run directory."""

    trainers = tuple(MODELS)
    sample_names = ("samples_generated", "samples_reconstructions")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GanPage")
        self.controls = GanControls(self.transport)
        self.losses = SeriesPlot("D and G losses", SERIES["losses"])
        self.energies = SeriesPlot("mean energy: real vs fake, margin", SERIES["energies"])
        self.third = SeriesPlot(THIRD_TITLE["ebgan"], SERIES["ebgan"])
        self.plots = (self.losses, self.energies, self.third)
        self.smoothing = QSlider(Qt.Orientation.Horizontal, objectName="smoothing", minimum=0, maximum=99)
        self.smoothing.setToolTip("display smoothing: exponential moving average weight on the past (0 = raw)")
        self.smoothing.valueChanged.connect(lambda v: [p.set_smoothing(v / 100) for p in self.plots])
        self.log_scale = QCheckBox("log scale", objectName="log_scale")
        self.log_scale.toggled.connect(lambda on: [p.set_log(on) for p in self.plots])
        self.sort_by_energy = QCheckBox("sort by energy", objectName="sort_by_energy")
        self.sort_by_energy.setToolTip("order real and fake examples from low to high energy")
        self.sort_by_energy.toggled.connect(lambda _on: self._draw_images(self._last_images))
        self.generated = ImageGrid("generated samples (fixed z)")
        self.real = ImageGrid("real | reconstruction")
        self.fake = ImageGrid("fake | reconstruction")
        self.map = TrainingMap()
        self.map.plot.setTitle("discriminator energy · real grey · generated red", size="9pt")
        self._last_images: dict[str, Any] = {}
        self._layout()
        self.controls.model.currentIndexChanged.connect(lambda _i: self._set_model(self.controls.model.currentData()))

    def _layout(self) -> None:
        grids = QWidget()
        g = QGridLayout(grids)
        g.setContentsMargins(0, 0, 0, 0)
        g.addWidget(self.generated, 0, 0, 1, 2)
        g.addWidget(self.real, 1, 0)
        g.addWidget(self.fake, 1, 1)
        g.addWidget(self.sort_by_energy, 2, 0, 1, 2)
        self.pictures = QStackedWidget()
        self.pictures.addWidget(grids)
        self.pictures.addWidget(self.map)
        options = QHBoxLayout()
        options.addWidget(QLabel("smoothing"))
        options.addWidget(self.smoothing, 1)
        options.addWidget(self.log_scale)
        self.lay_out(self.controls, self.pictures, self.plots, controls_width=340, side_width=420, side_top=options)

    def _set_model(self, model: str) -> None:
        self.third.set_series(SERIES[model], THIRD_TITLE[model])

    def make_settings(self) -> TrainSettings:
        s = self.controls.settings()
        params = {"data": s["data"], "seed": s["seed"], **s["params"]}
        run_dir = s["run_dir"] or default_run_dir(s["model"], Path(s["data"]).name)
        self._set_model(s["model"])
        return TrainSettings(run_dir, s["model"], params, s["total_steps"], gan_snapshot)

    def set_inputs_enabled(self, enabled: bool) -> None:
        self.controls.set_inputs_enabled(enabled)

    def reset_views(self) -> None:
        for plot in self.plots:
            plot.set_series(plot.series)
        for grid in (self.generated, self.real, self.fake):
            grid.clear_images()
        self.map.set_points(self.map.data_points, None)
        self.map.set_points(self.map.negatives, None)
        self._last_images = {}

    def draw_snapshot(self, snap: TrainSnapshot) -> None:
        self._draw_payload(snap.payload)

    def _draw_payload(self, p: dict[str, Any]) -> None:
        if p.get("image_shape") is not None:
            self.pictures.setCurrentIndex(0)
            self._draw_images(p)
            return
        self.pictures.setCurrentIndex(1)
        if p.get("grid") is not None:
            self.map.set_landscape(landscape_from(p["grid"]), "energy")
        if p.get("real") is not None:
            self.map.set_points(self.map.data_points, p["real"])
        self.map.set_points(self.map.negatives, p.get("generated"))

    def _draw_images(self, p: dict[str, Any]) -> None:
        if not p or p.get("image_shape") is None:
            return
        self._last_images = p
        shape = tuple(p["image_shape"])
        if p.get("generated") is not None:
            self.generated.show_images(p["generated"], shape)
        for grid, key in ((self.real, "real"), (self.fake, "fake")):
            if p.get(key) is None:
                continue
            order = (np.argsort(p[f"{key}_energy"]) if self.sort_by_energy.isChecked()
                     else np.arange(len(p[key])))
            grid.show_images(pairs(p[key][order], p[f"{key}_recon"][order]), shape)

    def add_records(self, records: list[dict[str, Any]]) -> None:
        for plot in self.plots:
            plot.add_records(records)

    def show_followed_config(self, config: dict[str, Any]) -> None:
        trainer = config.get("trainer")
        if trainer in MODELS:
            self.controls.show_config(trainer, config.get("params", {}), config.get("total_steps"))
            self._set_model(trainer)

    def draw_followed_samples(self, name: str, step: int, array: Any) -> None:
        shape = self._last_images.get("image_shape") or (1, 8, 8)
        if array.ndim != 2 or array.shape[1] != int(np.prod(shape)):
            return  # 2D runs: the checkpoint view draws the points
        if name == "samples_generated":
            self.generated.show_images(array, tuple(shape))

    @staticmethod
    def checkpoint_view(path: str) -> dict[str, Any]:
        return gan_view_of_checkpoint(path)

    def draw_checkpoint_view(self, view: dict[str, Any]) -> None:
        self._draw_payload(view)
