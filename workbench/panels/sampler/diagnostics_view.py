"""The diagnostics column: counters from each snapshot, ESS / R-hat / TV distance from `stats.compute`,
plain-words warnings about runs that cannot be sampling well, marginal histograms and the trace.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from core.energies.base import Energy
from workbench.panels.sampler.live_plots import MarginalPlot, TracePlot

from workbench.panels.sampler.session import Snapshot, move_scale
from workbench.panels.sampler.stats import TV_RESOLUTION, WINDOW_CHAINS, WINDOW_STEPS

MIN_ACCEPTANCE = 0.01
MIN_STEPS_FOR_ACCEPTANCE = 20
DASH = "–"

TIPS = {
    "t": "transitions done by every chain since the start of this run",
    "rate": "transitions per second while playing (× number of chains = chain-steps per second)",
    "acceptance": "accepted proposals / (steps × chains) since the start (core.diagnostics.acceptance_rate);"
                  " 100 % for unadjusted Langevin, which has no accept step",
    "ess": f"bulk effective sample size per coordinate (rank-normalised, split chains; core.diagnostics.ess) "
           f"over a rolling window of the last {WINDOW_STEPS} steps of at most {WINDOW_CHAINS} chains",
    "rhat": f"rank-normalised split R-hat per coordinate (core.diagnostics.rhat) over the last {WINDOW_STEPS} "
            f"steps of at most {WINDOW_CHAINS} chains; near 1.00 when the chains agree",
    "tv": f"total-variation distance between the sample histogram and the exact density on a "
          f"{TV_RESOLUTION}-cell grid per axis (core.diagnostics.tv_distance); 0 is perfect",
    "diverged": "chains frozen because their state became NaN/inf (unadjusted Langevin), and proposals "
                "rejected because they were NaN/inf (MH-type samplers)",
}


def warnings_for(sampler: str, adjusted: bool, params: dict[str, Any], bounds, t: int,
                 acceptance: float, n_diverged: int, n_divergences: int) -> list[str]:
    """Plain-words warnings about a run that cannot be sampling well (empty list: none)."""
    out = []
    scale = move_scale(sampler, params)
    box = min(hi - lo for lo, hi in bounds)
    if scale > box:
        what = {"mh": "σ", "hmc": "ε·L"}.get(sampler, "√ε")
        out.append(f"Step size too large: one move ({what} = {scale:.3g}) is larger than the box ({box:.3g}).")
    if adjusted and t >= MIN_STEPS_FOR_ACCEPTANCE and acceptance < MIN_ACCEPTANCE:
        out.append(f"Acceptance {acceptance:.2%} after {t} steps: almost every proposal is rejected; "
                   "lower the step size.")
    if n_diverged:
        out.append(f"{n_diverged} chain(s) diverged (NaN/inf) and are frozen; lower the step size.")
    if n_divergences and not n_diverged:
        out.append(f"{n_divergences} proposal(s) were NaN/inf and rejected; the step size may be too large.")
    return out


def _fmt_pair(values: np.ndarray | None, fmt: str, axes: str = "xy") -> str:
    if values is None:
        return DASH
    return " · ".join(f"{a} {format(v, fmt) if math.isfinite(v) else DASH}" for a, v in zip(axes, values))


class DiagnosticsView(QWidget):
    """A grid of labelled numbers and a warning line; `labels` maps keys to the value labels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        names = [("t", "step t"), ("rate", "steps/s"), ("acceptance", "acceptance"),
                 ("ess", "bulk ESS"), ("rhat", "R-hat"), ("tv", "TV distance"),
                 ("diverged", "divergent")]
        self.labels: dict[str, QLabel] = {}
        for row, (key, title) in enumerate(names):
            name = QLabel(title)
            value = QLabel(DASH)
            value.setObjectName(f"diag_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            for w in (name, value):
                w.setToolTip(TIPS[key])
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.labels[key] = value
        grid.setColumnStretch(1, 1)
        self.warning = QLabel()
        self.warning.setObjectName("sampler_warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("QLabel { background: #7a2e00; color: white; padding: 4px; border-radius: 3px; }")
        self.warning.setVisible(False)
        grid.addWidget(self.warning, len(names), 0, 1, 2)

    def show_counters(self, snap: Snapshot | None, playing: bool) -> None:
        """Step, rate, acceptance and divergence counts from a snapshot (None: a fresh run)."""
        if snap is None:
            for label in self.labels.values():
                label.setText(DASH)
            return
        self.labels["t"].setText(f"{snap.t:,}")
        rate = snap.steps_per_s
        n = len(snap.x)
        self.labels["rate"].setText(f"{rate:,.0f}  ({rate * n / 1e6:.3g} M chain-steps/s)"
                                    if playing and math.isfinite(rate) else ("paused" if snap.t else DASH))
        acc = snap.acceptance
        self.labels["acceptance"].setText(f"{acc:.1%}" if math.isfinite(acc) else DASH)
        self.labels["diverged"].setText(f"{snap.n_diverged} chains frozen · {snap.n_divergences} NaN proposals")

    def show_stats(self, result: dict[str, Any]) -> None:
        """ESS, R-hat and TV distance from `compute`."""
        steps, chains = result.get("window", (0, 0))
        self.labels["ess"].setText(_fmt_pair(result["ess"], ",.0f"))
        self.labels["rhat"].setText(_fmt_pair(result["rhat"], ".3f"))
        for key in ("ess", "rhat"):
            self.labels[key].setToolTip(f"{TIPS[key]} (now: {steps} steps × {chains} chains)")
        tv = result["tv"]
        self.labels["tv"].setText(DASH if tv is None else f"{tv:.3f}")
        self.labels["tv"].setToolTip(f"{TIPS['tv']} (samples: {result.get('samples', '')})")

    def set_warnings(self, messages: list[str]) -> None:
        """Show the warnings (hidden when there are none)."""
        self.warning.setText("⚠ " + "\n⚠ ".join(messages) if messages else "")
        self.warning.setVisible(bool(messages))


class LiveColumn(QWidget):
    """The right-hand column: diagnostics, then marginals of x and y, then the trace plot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagnostics = DiagnosticsView()
        self.marginals = [MarginalPlot("x"), MarginalPlot("y")]
        self.trace = TracePlot()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.diagnostics)
        for plot in (*self.marginals, self.trace):
            column.addWidget(plot, 1)

    def set_exact(self, land) -> None:
        """Exact marginals of a density-normalised landscape; the y marginal hides in 1D."""
        for axis, plot in enumerate(self.marginals):
            plot.setVisible(axis < len(land.axes))
            if axis < len(land.axes):
                plot.set_exact(land.axes[axis].numpy(), land.marginals[axis].numpy(), land.bounds[axis])

    def show_stats(self, result: dict[str, Any], energy: Energy) -> None:
        """Numbers, histograms and trace from `stats.compute`."""
        self.diagnostics.show_stats(result)
        for axis, plot in enumerate(self.marginals[: energy.dim]):
            plot.set_histogram(*result["hist"][axis])
        self.trace.set_trace(*result["trace"], energy.bounds[0])
