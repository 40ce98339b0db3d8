"""The Sampler panel: MCMC chains on the shared energy, stepped or played live, with diagnostics.

The energy and temperature come from the shared `EnergyState` (the Landscape panel changes them;
this panel follows, and its energy combo calls `state.set_builtin`). A `SamplerRun` holds the core
sampler and its state; the `PlayWorker` steps it in a thread and sends snapshots, which are drawn
only if they belong to the current run (run ids, STYLE §5). Statistics run in a `TaskRunner`.
"""
from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QComboBox, QHBoxLayout, QLabel, QScrollArea, QStackedWidget,
                               QVBoxLayout, QWidget)

from core import landscape, samplers
from core.energies.base import Energy
from workbench.widgets.ownership import adopt_new_top_levels, top_level_ids
from workbench import errors
from workbench.panels.sampler.controls import SamplerControls
from workbench.panels.sampler.discrete import DiscreteSamplerView
from workbench.panels.sampler.diagnostics_view import LiveColumn, warnings_for
from workbench.panels.sampler.exporter import Exporter
from workbench.panels.sampler.session import PATH_MAX_CHAINS, RunSettings, SamplerRun, Snapshot
from workbench.panels.sampler.stats import INTERVAL_MS as STATS_MS
from workbench.panels.sampler.stats import LiveStats
from workbench.panels.sampler.views import ChainView
from workbench.panels.sampler.worker import PlayWorker
from workbench.state import shared_state

LANDSCAPE_RESOLUTION = 256
COUNTER_S = 0.1  # counters: at most 10 Hz
DEFAULT_SAMPLER = "mala"
CONTROLS_WIDTH = 290  # px, at most; the columns shrink to MIN_COLUMN_WIDTH on small screens
SIDE_WIDTH = 370
MIN_COLUMN_WIDTH = 160


class SamplerPanel(QWidget):
    """Run samplers from `core.samplers` on the shared energy and watch them converge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        windows_before = top_level_ids()
        self.setObjectName("SamplerPanel")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.energy_state = shared_state(parent)
        self.controls = SamplerControls()
        self.view = ChainView()
        self.live = LiveColumn()
        self.diagnostics, self.marginals, self.trace = self.live.diagnostics, self.live.marginals, self.live.trace
        self._layout()
        self.worker = PlayWorker(self)
        self.stats = LiveStats(self._stats_source, self)
        self.exporter = Exporter(self)
        self.run: SamplerRun | None = None
        self.landscape: landscape.Landscape | None = None
        self.drawn: Snapshot | None = None
        self.frames_drawn = 0
        self.centre: tuple[float, ...] | None = None  # last clicked point (model units)
        self._run_ids = itertools.count(1)
        self._params: dict[str, dict[str, Any]] = {}  # last values per sampler
        self._counter_time = 0.0
        self._closed = False
        self._landscape_timer = QTimer(self, singleShot=True, interval=60)  # debounce temperature
        self._connect()
        self._shortcuts()
        self.controls.set_sampler(DEFAULT_SAMPLER, self._values_for(DEFAULT_SAMPLER))
        self._on_energy(self.energy_state.energy)
        adopt_new_top_levels(self, windows_before)

    # --- construction ----------------------------------------------------------------------
    def _layout(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(MIN_COLUMN_WIDTH)
        scroll.setMaximumWidth(CONTROLS_WIDTH)
        self.live.setMinimumWidth(MIN_COLUMN_WIDTH)
        self.live.setMaximumWidth(SIDE_WIDTH)
        continuous = QWidget()
        row = QHBoxLayout(continuous)
        row.setContentsMargins(4, 4, 4, 4)
        row.addWidget(scroll)
        row.addWidget(self.view, 1)
        row.addWidget(self.live)
        self.discrete = DiscreteSamplerView()
        self.modes = QStackedWidget()
        self.modes.addWidget(continuous)
        self.modes.addWidget(self.discrete)
        self.mode_combo = QComboBox(objectName="sampler_mode")
        self.mode_combo.addItem("Continuous energies (Langevin, MALA, MH, HMC)", "continuous")
        self.mode_combo.addItem("Discrete models (Ising denoising, RBM: Gibbs, ICM)", "discrete")
        self.mode_combo.currentIndexChanged.connect(self.set_mode_index)
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(QLabel("Mode:"))
        top.addWidget(self.mode_combo)
        top.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(top)
        column.addWidget(self.modes, 1)

    def set_mode_index(self, index: int) -> None:
        """Switch between the continuous (0) and discrete (1) modes; the one left stops playing."""
        if index == 1:
            self.set_playing(False)
        else:
            self.discrete.set_playing(False)
        self.modes.setCurrentIndex(index)
        if self.mode_combo.currentIndex() != index:
            self.mode_combo.setCurrentIndex(index)

    def _connect(self) -> None:
        c, state = self.controls, self.energy_state
        state.energyChanged.connect(self._on_energy)
        state.temperatureChanged.connect(self._on_temperature)
        c.energyChosen.connect(self._choose_energy)
        c.samplerChosen.connect(self._on_sampler)
        c.form.valuesChanged.connect(self._on_params)
        c.startChanged.connect(self.reset)
        c.step_button.clicked.connect(self.step)
        c.play_button.toggled.connect(self.set_playing)
        c.reset_button.clicked.connect(self.reset)
        c.speed.valueChanged.connect(lambda value: setattr(self.worker, "speed", value))
        c.path_chain.valueChanged.connect(self._on_path_chain)
        c.trails_box.toggled.connect(self.redraw)
        c.proposals_box.toggled.connect(self.redraw)
        c.record_button.toggled.connect(lambda on: on and self.exporter.recorder.clear())
        c.export_trace_button.clicked.connect(self.exporter.trace_dialog)
        c.export_animation_button.clicked.connect(self.exporter.animation_dialog)
        self.view.clicked.connect(self.set_start_point)
        self.worker.snapshotReady.connect(self._on_snapshot)
        self.worker.failed.connect(self._on_worker_failed)
        self.stats.ready.connect(self._on_stats)
        self.stats.failed.connect(self._on_stats_failed)
        self._landscape_timer.timeout.connect(self._update_landscape)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def _shortcuts(self) -> None:
        """Space play/pause, → step, R reset; active when focus is in this panel, not in text fields."""
        self.shortcuts = {}
        def by_mode(continuous, discrete):
            return lambda: (discrete if self.modes.currentIndex() == 1 else continuous)()

        d = self.discrete
        for key, slot in ((Qt.Key.Key_Space, by_mode(self.controls.play_button.toggle, d.buttons["play"].toggle)),
                          (Qt.Key.Key_Right, by_mode(self.step, d.step)),
                          (Qt.Key.Key_R, by_mode(self.reset, d.rebuild))):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
            self.shortcuts[key] = sc

    # --- the energy and its landscape ------------------------------------------------------
    @property
    def energy(self) -> Energy:
        return self.energy_state.energy

    def _choose_energy(self, name: str) -> None:
        try:
            self.energy_state.set_builtin(name)
        except ValueError as exc:
            self.controls.show_error(errors.describe(exc))

    def _on_energy(self, E: Energy) -> None:
        self.drawn = None  # chains of the old energy: never drawn on the new landscape
        src = self.energy_state.source
        self.controls.set_energy(src, f"{src.get('kind')}: {src.get('text') or src.get('path') or E.name}")
        if self.centre is not None and (len(self.centre) != E.dim or not all(
                lo <= c <= hi for c, (lo, hi) in zip(self.centre, E.bounds))):
            self.centre = None
            if self.controls.init_combo.currentData() == "point":
                self.controls.set_init("uniform")
        self._update_landscape()
        self.reset()

    def _on_temperature(self, T: float) -> None:
        self.controls.form.set_values({"temperature": T})
        self._apply_params(self.controls.form.values())
        self._landscape_timer.start()

    def _update_landscape(self) -> None:
        try:
            land = landscape.density(self.energy, LANDSCAPE_RESOLUTION, self.energy_state.temperature)
        except ValueError as exc:
            self.controls.show_error(f"Could not compute the exact density: {errors.describe(exc)}")
            return
        self.landscape = land
        self.view.set_landscape(land)
        self.live.set_exact(land)
        self.view.set_start(self.centre, self._blob_radius())
        self.redraw()

    # --- sampler settings ------------------------------------------------------------------
    def _values_for(self, name: str) -> dict[str, Any]:
        values = {s.name: s.default for s in samplers.specs(name)}
        values.update(self._params.get(name, {}))
        values["temperature"] = self.energy_state.temperature
        return values

    def _on_sampler(self, name: str) -> None:
        if self.run is not None:
            self._params[self.run.settings.sampler] = self.controls.form.values()
        self.controls.set_sampler(name, self._values_for(name))
        self.reset()

    def _on_params(self, values: dict[str, Any]) -> None:
        if values.get("temperature", self.energy_state.temperature) != self.energy_state.temperature:
            try:
                self.energy_state.set_temperature(values["temperature"])  # → _on_temperature
            except ValueError as exc:
                self.controls.show_error(errors.describe(exc))
            return
        self._apply_params(values)

    def _apply_params(self, values: dict[str, Any]) -> None:
        if self.run is None:
            return
        try:
            self.run.set_params(values)
        except ValueError as exc:
            self.controls.show_error(errors.describe(exc))
            return
        self.controls.show_error("")
        self._update_warnings()

    def _on_path_chain(self, value: int) -> None:
        if self.run is not None:
            self.run.path_chain = value
            if not self.worker.playing:
                self._draw(self.run.snapshot(), force=True)

    def _blob_radius(self) -> float | None:
        return self.controls.radius.value() if self.controls.init_combo.currentData() == "blob" else None

    def run_settings(self) -> RunSettings:
        """The settings the controls show now."""
        f = self.controls.start_fields()
        return RunSettings(sampler=self.controls.sampler_combo.currentData(), params=self.controls.form.values(),
                           n_chains=f["n_chains"], seed=f["seed"], init=f["init"], centre=self.centre,
                           radius=f["radius"])

    # --- transport -------------------------------------------------------------------------
    def reset(self) -> None:
        """Start a new run from the current settings (keeps playing if it was)."""
        try:
            run = SamplerRun(self.energy, self.run_settings(), next(self._run_ids))
        except ValueError as exc:
            self.controls.show_error(errors.describe(exc))
            return
        except Exception as exc:  # an energy may raise anything; the app carries on
            self.controls.show_error(errors.report_error(self, exc, "start the chains"))
            return
        self.controls.show_error("")
        with QSignalBlocker(self.controls.path_chain):
            self.controls.path_chain.setMaximum(min(run.n_chains, PATH_MAX_CHAINS) - 1)
        run.path_chain = self.controls.path_chain.value()
        self.run, self.drawn = run, None
        self.exporter.recorder.clear()
        self.view.set_start(self.centre if run.settings.init != "uniform" else None, self._blob_radius())
        self._draw(run.snapshot(), force=True)
        self.diagnostics.show_stats({"ess": None, "rhat": None, "tv": None})
        self.stats.request()
        if self.worker.playing:
            self.worker.play(run)

    def step(self) -> None:
        """One transition of every chain, on the GUI thread (pauses a live run first)."""
        if self.run is None:
            return
        self.set_playing(False)
        try:
            self.run.step()
        except Exception as exc:  # an energy may raise anything
            errors.report_error(self, exc, "step the sampler")
            return
        self._draw(self.run.snapshot(), force=True)
        self.stats.request()

    def set_playing(self, on: bool) -> None:
        """Play or pause."""
        self.controls.set_playing(on)
        if on and self.run is not None and not self._closed:
            self.worker.play(self.run)
            self.stats.timer.start()
        elif self.worker.playing:
            self.worker.pause()
            self.stats.timer.stop()
            QTimer.singleShot(STATS_MS, self._final_refresh)

    def _final_refresh(self) -> None:
        if self.run is not None and not self.worker.playing:
            self._draw(self.run.snapshot(), force=True)
            self.stats.request()

    def set_start_point(self, x: float, y: float) -> None:
        """Start chains at (x, y) (1D: at x), or around it for a blob; restarts the run."""
        point = (x, y) if self.energy.dim == 2 else (x,)
        if not all(lo <= c <= hi for c, (lo, hi) in zip(point, self.energy.bounds)):
            self.controls.show_error("Click inside the box to choose where the chains start.")
            return
        self.centre = point
        if self.controls.init_combo.currentData() == "uniform":
            self.controls.set_init("point")
        self.reset()

    # --- drawing ---------------------------------------------------------------------------
    def _on_snapshot(self, snap: Snapshot) -> None:
        self._draw(snap)
        self.worker.ack()

    def _draw(self, snap: Snapshot, force: bool = False) -> None:
        if self.run is None or snap.run_id != self.run.run_id:
            return  # a stale snapshot of an older run
        if not force and self.drawn is not None and snap.t < self.drawn.t:
            return
        self.drawn = snap
        c = self.controls
        self.view.draw(snap, c.trails_box.isChecked(), c.proposals_box.isChecked())
        self.frames_drawn += 1
        now = time.perf_counter()
        if force or now - self._counter_time >= COUNTER_S:
            self._counter_time = now
            self.diagnostics.show_counters(snap, self.worker.playing)
            self._update_warnings()
        self.exporter.maybe_record()

    def redraw(self, *_: object) -> None:
        """Draw the last snapshot again (display options changed)."""
        if self.drawn is not None:
            self._draw(self.drawn, force=True)

    def _update_warnings(self) -> None:
        if self.run is None or self.drawn is None:
            return
        s, snap = self.run.settings, self.drawn
        self.diagnostics.set_warnings(warnings_for(
            s.sampler, self.run.sampler.accept_reject, s.params, self.energy.bounds, snap.t,
            snap.acceptance, snap.n_diverged, snap.n_divergences))

    # --- statistics ------------------------------------------------------------------------
    def _stats_source(self):
        return None if self.run is None else (self.run, self.energy, self.energy_state.temperature)

    def _on_stats(self, result: dict[str, Any]) -> None:
        if self.run is None or result["run_id"] != self.run.run_id:
            return
        self.live.show_stats(result, self.energy)

    def _on_stats_failed(self, message: str) -> None:
        self.diagnostics.labels["tv"].setToolTip(f"statistics failed: {message}")

    def _on_worker_failed(self, run_id: int, message: str) -> None:
        if self.run is not None and run_id == self.run.run_id:
            self.set_playing(False)
            self.controls.show_error(f"Sampling stopped: {message}")

    # --- export ----------------------------------------------------------------------------
    def export_view(self, path: str | Path) -> bool:
        """File › Export view: .npz trace, .gif/.mp4 animation, anything else a PNG of the panel."""
        return self.exporter.save(path)

    # --- lifetime --------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        window = self.window()
        if window is not self:
            window.removeEventFilter(self)
            window.installEventFilter(self)
        super().showEvent(event)
        QTimer.singleShot(0, self._take_focus)

    def _take_focus(self) -> None:
        """Shown as a tab: take the focus unless it is already inside, so the keys work at once."""
        focus = QApplication.focusWidget()
        if self.isVisible() and (focus is None or not self.isAncestorOf(focus)):
            self.setFocus()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and obj is self.window():
            self.shutdown()
        return super().eventFilter(obj, event)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop playing and join the worker thread and statistics (close, quit). Safe to repeat."""
        self._closed = True
        self.discrete.shutdown()
        self.stats.timer.stop()
        self._landscape_timer.stop()
        self.controls.set_playing(False)
        self.worker.shutdown()
        self.stats.wait()
