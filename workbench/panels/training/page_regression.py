"""The regression page: train a conditional EBM p(y|x) ∝ exp(f(x, y)) on a toy problem of REFERENCES §3
(ML-IS, KLD, NCE, NCE+, ML-MCMC, DSM, NCE with a learned MDN proposal) and watch p(y|x) form beside the
truth, a slice at a chosen x, the loss and D_KL."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QSpinBox, QVBoxLayout, QWidget

from core import training
from core.regression.train import METHODS, RegressionTrainer
from core.runs import RunDir
from workbench.panels.training.controls import combo, lay_out_controls, run_dir_of, run_dir_row
from workbench.panels.training.regression_views import ConditionalDensityMaps, RegressionCurves, SliceView
from workbench.panels.training.run_page import RunPage, default_run_dir
from workbench.panels.training.transport import Transport
from workbench.panels.training.worker import TrainSettings, TrainSnapshot
from workbench.snapshots import regression_grids
from workbench.widgets.param_form import ParamForm

METHOD_LABELS = {"ml-is": "ML-IS", "kld": "KLD", "nce": "NCE", "nce+": "NCE+", "ml-mcmc": "ML-MCMC (Langevin)",
                 "dsm": "DSM", "nce-mdn": "NCE + learned MDN proposal"}


def grids_of_checkpoint(path: str) -> dict[str, Any]:
    """(thread pool) The live grids of a "regression" run's newest checkpoint (read-only)."""
    run = RunDir(path, create=False)
    config = run.read_config()
    if config.get("trainer") != "regression":
        raise ValueError(f"p(y|x) is shown for regression runs only, not {config.get('trainer')!r}")
    trainer = training.create("regression", **config.get("params", {}))
    trainer.load_state_dict(run.load_checkpoint()[1])
    return regression_grids(trainer, True)


class RegressionControls(QWidget):
    """Problem, method, seed, epochs, trainer parameters and run folder around `transport`."""

    def __init__(self, transport: Transport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problem = combo(["1", "2"], {"1": "1: bimodal / log-normal", "2": "2: sin x, heteroscedastic"},
                             name="problem")
        self.method = combo(list(METHODS), METHOD_LABELS, current="nce", name="method")
        self.seed = QSpinBox(objectName="seed", minimum=0, maximum=2**31 - 1)
        self.epochs = QSpinBox(objectName="epochs", minimum=1, maximum=100_000, value=75)
        self.form = ParamForm(RegressionTrainer.param_specs)
        self.run_dir, folder = run_dir_row(self)
        lay_out_controls(self, [("problem", self.problem), ("method", self.method), ("seed", self.seed),
                                ("epochs", self.epochs), ("run dir", folder)], transport, self.form)

    def settings(self) -> dict[str, Any]:
        """problem, method, seed, epochs, params, run_dir (or None)."""
        return {"problem": int(self.problem.currentData()), "method": self.method.currentData(),
                "seed": self.seed.value(), "epochs": self.epochs.value(), "params": self.form.values(),
                "run_dir": run_dir_of(self.run_dir)}

    def set_inputs_enabled(self, enabled: bool) -> None:
        for w in (self.problem, self.method, self.seed, self.epochs, self.form, self.run_dir):
            w.setEnabled(enabled)

    def show_config(self, params: dict[str, Any]) -> None:
        for box, key in ((self.problem, "problem"), (self.method, "method")):
            index = box.findData(str(params.get(key)) if key == "problem" else params.get(key))
            if index >= 0:
                box.setCurrentIndex(index)
        if isinstance(params.get("seed"), int):
            self.seed.setValue(params["seed"])
        self.form.set_values({k: v for k, v in params.items() if k in self.form.boxes})


class RegressionPage(RunPage):
    """Train `core.training` "regression" trainers and watch p(y|x), a slice and D_KL evolve."""

    trainers = ("regression",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RegressionPage")
        self.controls = RegressionControls(self.transport)
        self.maps = ConditionalDensityMaps()
        self.slice = SliceView()
        self.curves = RegressionCurves()
        self.maps.sliceMoved.connect(self.slice.show_at)
        self.maps.set_slice_x(-1.5)
        middle = QVBoxLayout()
        middle.addWidget(self.maps, 3)
        middle.addWidget(self.slice, 2)
        self.lay_out(self.controls, middle, (self.curves.loss, self.curves.kl))

    def make_settings(self) -> TrainSettings:
        s = self.controls.settings()
        params = {"problem": s["problem"], "method": s["method"], "seed": s["seed"], **s["params"]}
        steps_per_epoch = -(-params["n_train"] // params["batch_size"])
        run_dir = s["run_dir"] or default_run_dir(f"regression{s['problem']}", s["method"])
        return TrainSettings(run_dir, "regression", params, s["epochs"] * steps_per_epoch, regression_grids)

    def set_inputs_enabled(self, enabled: bool) -> None:
        self.controls.set_inputs_enabled(enabled)

    def reset_views(self) -> None:
        self.curves.clear()
        self.maps.clear_maps()
        self.slice.clear_all()

    def draw_snapshot(self, snap: TrainSnapshot) -> None:
        self._draw_grids(snap.payload)

    def _draw_grids(self, p: dict[str, Any]) -> None:
        if "x" not in p:
            return
        self.maps.set_grids(p["x"], p["y"], p.get("model"), p.get("true"))
        if p.get("data") is not None:
            self.maps.set_data(p["data"])
        self.slice.set_grids(x=p["x"], y=p["y"], model=p.get("model"), true=p.get("true"),
                             proposal=p.get("proposal"))
        self.slice.show_at(self.maps.slice_x)

    def add_records(self, records: list[dict[str, Any]]) -> None:
        self.curves.add_records(records)

    def show_followed_config(self, config: dict[str, Any]) -> None:
        if config.get("trainer") == "regression":
            self.controls.show_config(config.get("params", {}))

    @staticmethod
    def checkpoint_view(path: str) -> dict[str, Any]:
        return grids_of_checkpoint(path)

    def draw_checkpoint_view(self, view: dict[str, Any]) -> None:
        self._draw_grids(view)

