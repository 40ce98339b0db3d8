"""The 2D-density page: train an unconditional EBM on a 2D data set (CD, PCD, DSM) and watch the exact
learned density, the data and the negatives, the loss and the TV distance."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from core import data, training
from core import device as devices
from core.runs import RunDir
from workbench.panels.training.controls import TrainingControls
from workbench.panels.training.run_page import RunPage, default_run_dir
from workbench.panels.training.views import Curves, TrainingMap, landscape_from
from workbench.panels.training.worker import TrainSettings, TrainSnapshot
from workbench.snapshots import MAX_POINTS, grid_of, snapshot_2d

CONTROLS_WIDTH = 300
SIDE_WIDTH = 400
NEGATIVES = "samples_negatives"


def grid_of_checkpoint(path: str) -> tuple[int, dict[str, Any]]:
    """(step, grid) of the newest checkpoint of an "ebm2d" run; read-only (unlike `training.resume`)."""
    run = RunDir(path, create=False)
    config = run.read_config()
    if config.get("trainer") != "ebm2d":
        raise ValueError(f"the landscape is shown for ebm2d runs only, not {config.get('trainer')!r}")
    trainer = training.create("ebm2d", **{**config.get("params", {}), "device": "cpu"})
    step, state = run.load_checkpoint()
    trainer.load_state_dict(state)
    return step, grid_of(trainer)


class Density2DPage(RunPage):
    """Train `core.training` "ebm2d" trainers and watch the landscape, negatives and curves evolve."""

    trainers = ("ebm2d",)
    sample_names = (NEGATIVES,)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Density2DPage")
        self.device = str(devices.pick())
        self.controls = TrainingControls(self.transport)
        self.map = TrainingMap()
        self.curves = Curves()
        self.device_label = QLabel(f"device {self.device}", objectName="device_label")
        self.lay_out(self.controls, self.map, (self.curves.loss, self.curves.tv), CONTROLS_WIDTH, SIDE_WIDTH,
                     labels=(self.device_label,))

    def make_settings(self) -> TrainSettings:
        """A `TrainSettings` from the controls (a new default run folder when none is given)."""
        s: dict[str, Any] = self.controls.settings()
        run_dir = s["run_dir"] or default_run_dir(s["dataset"], s["method"])
        params = {"dataset": s["dataset"], "method": s["method"], "sampler": s["sampler"], "seed": s["seed"],
                  "device": self.device, **s["params"]}
        return TrainSettings(run_dir, "ebm2d", params, s["total_steps"], snapshot_2d)

    def set_inputs_enabled(self, enabled: bool) -> None:
        self.controls.set_inputs_enabled(enabled)

    def reset_views(self) -> None:
        self.curves.clear()
        self.map.set_points(self.map.data_points, None)
        self.map.set_points(self.map.negatives, None)

    def draw_snapshot(self, snap: TrainSnapshot) -> None:
        p = snap.payload
        if p.get("data") is not None:
            self.map.set_points(self.map.data_points, p["data"])
        if p.get("grid") is not None:
            self.map.set_landscape(landscape_from(p["grid"]), "log_density")
        self.map.set_points(self.map.negatives, p.get("negatives"))

    def add_records(self, records: list[dict[str, Any]]) -> None:
        self.curves.add_records(records)

    def show_followed_config(self, config: dict[str, Any]) -> None:
        params = config.get("params", {})
        if config.get("trainer") == "ebm2d":
            self.controls.show_config(params, config.get("total_steps"))
        points = data.sample(params["dataset"], MAX_POINTS, seed=int(params.get("seed", 0))).numpy()
        self.map.set_points(self.map.data_points, points)

    def draw_followed_samples(self, name: str, step: int, array: Any) -> None:
        self.map.set_points(self.map.negatives, array)

    @staticmethod
    def checkpoint_view(path: str) -> dict[str, Any]:
        return grid_of_checkpoint(path)[1]

    def draw_checkpoint_view(self, view: dict[str, Any]) -> None:
        self.map.set_landscape(landscape_from(view), "log_density")
