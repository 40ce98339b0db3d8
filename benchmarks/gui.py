#!/usr/bin/env python
"""GUI benchmark: frames per second of the Sampler panel while playing, and landscape recompute times.

What is measured
    1. The Sampler panel plays MALA on banana (step size 0.1, 1 transition per frame) with 10^2,
       10^4 and 10^5 chains on a 512×512 map. Over --seconds (3 s) we count
         - fps: snapshots actually drawn by the panel per second (the panel's `frames_drawn`),
         - paints/s: paint events of the map's viewport (what reached the screen),
       once as the panel runs (frames paced at 60 Hz, the screen rate), and once with the pacing
       off ("uncapped"), which shows the headroom. Where the time of one frame goes is profiled
       separately: sampler step, snapshot copy (worker thread), overlay update and map paint
       (GUI thread), each the median of repeated calls.
    2. Recomputing a 512×512 landscape: `core.landscape.density(E, 512)` then `Map2D.set_landscape`
       (and one paint), for the analytic banana and for an MLP energy
       (`MLPEnergy(dim=2, hidden=(64, 64))`), median of --repeats runs.
    3. GUI while training: every page of the Training panel trains at once (4 training processes) and
       a 20 ms QTimer on the GUI thread records how late it fires (mean, 95th percentile, max) while
       the shown page changes every 0.5 s; also the GUI thread's CPU use, the training steps per
       second and the curve redraws per second; once with the training processes at background
       priority (what the app does, `workbench.headless.background_priority`) and once at the GUI's
       (--quick: the first only).
Targets: ≥ 60 fps at 10^4 chains (below 30 is a defect); 512×512 analytic recompute < 16 ms.

Run under a display (Xvfb in CI):
    xvfb-run -a python benchmarks/gui.py            # full table, about a minute
    xvfb-run -a python benchmarks/gui.py --quick    # 10^2 and 10^4 chains, 1 s each (smoke test, ~15 s)
    xvfb-run -a python benchmarks/gui.py --only training --seconds 5   # one section (the README's table)
Without a display it falls back to Qt's offscreen platform (and says so).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == REPO / "benchmarks":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # noqa: E402

from core import energies, landscape  # noqa: E402
from core.energies.neural import MLPEnergy  # noqa: E402
from workbench import headless  # noqa: E402
from workbench.app import application, leave_a_core_for_the_gui  # noqa: E402
from workbench.panels.sampler import SamplerPanel  # noqa: E402
from workbench.widgets.landscape_view import Map2D  # noqa: E402

MAP_PX = 512
FULL_SIZES = (100, 10_000, 100_000)
QUICK_SIZES = (100, 10_000)
TARGET_FPS, DEFECT_FPS, TARGET_RECOMPUTE_MS = 60.0, 30.0, 16.0
SECTIONS = ("sampler", "landscape", "training")
START_TIMEOUT_S = 120.0  # the training processes start (import torch) before anything is measured
CAP_TOLERANCE = 0.98  # a 60 Hz pacing measured over a few seconds may read 59.x


class PaintCounter(QObject):
    """Counts paint events of a widget (its viewport for a graphics view)."""

    def __init__(self, target) -> None:
        super().__init__()
        self.count = 0
        target.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def spin(seconds: float) -> None:
    """Run the Qt event loop for `seconds`."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def times_ms(fn: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    return statistics.median(times_ms(fn, repeats))


def load_average() -> str:
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def measure_play(panel: SamplerPanel, paints: PaintCounter, seconds: float, warmup: float) -> dict:
    panel.set_playing(True)
    spin(warmup)
    f0, p0, t0, c0 = panel.frames_drawn, paints.count, panel.run.t, time.perf_counter()
    spin(seconds)
    f1, p1, t1, c1 = panel.frames_drawn, paints.count, panel.run.t, time.perf_counter()
    panel.set_playing(False)
    panel.worker.wait_idle()
    spin(0.3)
    dt = c1 - c0
    return {"fps": (f1 - f0) / dt, "paints": (p1 - p0) / dt, "steps": (t1 - t0) / dt}


def profile_frame(panel: SamplerPanel, repeats: int) -> dict:
    """Medians of the parts of one frame: step, snapshot (worker side), overlay update, map paint."""
    run = panel.run
    out = {"step": median_ms(run.step, repeats), "snapshot": median_ms(run.snapshot, repeats)}
    snap = run.snapshot()
    c = panel.controls
    out["draw"] = median_ms(lambda: panel.view.draw(snap, c.trails_box.isChecked(), c.proposals_box.isChecked()),
                            repeats)
    viewport = panel.view.map.viewport()
    out["paint"] = median_ms(viewport.repaint, repeats)
    return out


def bench_sampler(app, sizes, seconds: float, warmup: float, repeats: int) -> list[dict]:
    panel = SamplerPanel()
    panel.energy_state.set_builtin("banana")
    panel.view.map.setFixedSize(MAP_PX, MAP_PX)
    panel.resize(1280, 800)
    panel.show()
    spin(0.5)
    paints = PaintCounter(panel.view.map.viewport())
    rows = []
    try:
        for n in sizes:
            c = panel.controls
            c.sampler_combo.setCurrentIndex(c.sampler_combo.findData("mala"))
            c.form.boxes["step_size"].setValue(0.1)
            c.speed.setValue(1)
            c.chains.setValue(n)
            spin(0.2)
            row = {"n": n, "size": (panel.view.map.width(), panel.view.map.height())}
            row.update(measure_play(panel, paints, seconds, warmup))
            row.update(profile_frame(panel, repeats))
            rows.append(row)
    finally:
        panel.shutdown()
        panel.close()
        panel.deleteLater()
        spin(0.1)
    return rows


def bench_landscape(repeats: int) -> list[dict]:
    view = Map2D()
    view.setFixedSize(MAP_PX, MAP_PX)
    view.show()
    spin(0.3)
    rows = []
    for name, E in (("banana (analytic)", energies.create("banana")),
                    ("MLP 2-64-64-1", MLPEnergy(dim=2, hidden=(64, 64)))):
        land = landscape.density(E, MAP_PX)
        view.set_landscape(land, "energy")
        dens = median_ms(lambda: landscape.density(E, MAP_PX), repeats)
        show = median_ms(lambda: view.set_landscape(land), repeats)
        both = times_ms(lambda: view.set_landscape(landscape.density(E, MAP_PX)), repeats)
        paint = median_ms(view.viewport().repaint, repeats)
        rows.append({"energy": name, "density": dens, "set": show, "total": statistics.median(both),
                     "best": min(both), "paint": paint})
    view.close()
    view.deleteLater()
    return rows


def bench_training_load(seconds: float, background: bool) -> dict:
    """Timer lateness (ms) of the GUI thread while all Training pages train; steps each page made."""
    import tempfile

    import numpy as np

    import workbench.panels.training.run_page as run_page
    from workbench.panels.training.live_plot import LivePlot
    from workbench.panels.training.panel import TrainingPanel

    policy = headless.BACKGROUND_NICE
    if not background:  # training at the GUI thread's own priority
        headless.BACKGROUND_NICE = os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0
    folder = Path(tempfile.mkdtemp(prefix="gui-bench-"))
    names = iter(range(1_000_000))
    default_dir = run_page.default_run_dir
    run_page.default_run_dir = lambda *parts: folder / f"run-{next(names)}"
    panel = TrainingPanel()
    panel.resize(1400, 850)
    panel.show()
    try:
        for page in panel.pages.values():
            page.controls.run_dir.setText("")
            length = getattr(page.controls, "total_steps", None) or page.controls.epochs
            length.setValue(length.maximum())  # no run ends while measured
            page.start()
        late: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            late.append(now - last[0] - 0.020)
            last[0] = now

        def cycle() -> None:
            panel.show_page(list(panel.pages)[int(time.perf_counter() * 2) % len(panel.pages)])

        timers = [QTimer(), QTimer()]
        timers[0].timeout.connect(tick)
        timers[1].timeout.connect(cycle)
        deadline = time.perf_counter() + START_TIMEOUT_S  # the processes start, the first snapshots arrive
        while time.perf_counter() < deadline and not all(p.snapshots_drawn for p in panel.pages.values()):
            spin(0.2)
        spin(1.0)
        plots = panel.findChildren(LivePlot)
        redraws0 = sum(plot.redraws for plot in plots)
        last[0], cpu0 = time.perf_counter(), time.thread_time()
        last0 = last[0]
        steps0 = sum(page.step for page in panel.pages.values())
        timers[0].start(20)
        timers[1].start(500)
        spin(seconds)
        for t in timers:
            t.stop()
        elapsed = time.perf_counter() - last0  # longer than `seconds` when the GUI thread stalls
        gui_cpu = (time.thread_time() - cpu0) / elapsed
        ms = np.array(late) * 1000
        steps = sum(page.step for page in panel.pages.values()) - steps0
        return {"mean": float(ms.mean()), "p95": float(np.percentile(ms, 95)), "max": float(ms.max()),
                "steps": steps / elapsed, "gui": 100 * gui_cpu,
                "redraws": (sum(plot.redraws for plot in plots) - redraws0) / elapsed}
    finally:
        panel.shutdown()
        panel.deleteLater()
        run_page.default_run_dir = default_dir
        headless.BACKGROUND_NICE = policy


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^2 and 10^4 chains, 1 s each")
    parser.add_argument("--seconds", type=float, default=None, help="measuring time per run (default 3)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats for medians (default 15)")
    parser.add_argument("--only", choices=SECTIONS, default=None, help="run one section of the three")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: the app's choice, cores − 1, at least 1)")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    warmup = 0.3 if args.quick else 0.8
    repeats = args.repeats or (3 if args.quick else 15)
    load_at_start = load_average()
    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        leave_a_core_for_the_gui()  # measure what the app does
    app = application()
    platform_name = app.platformName()
    print(f"# GUI benchmark: {platform.node()} · {os.cpu_count()} CPU · torch {torch.__version__} "
          f"({torch.get_num_threads()} threads) · Qt platform '{platform_name}'"
          f"{' (no display: offscreen)' if platform_name == 'offscreen' else ''}")
    sections = {args.only} if args.only else set(SECTIONS)
    rows, lands = [], []
    if "sampler" in sections:
        print(f"\n## Sampler panel playing MALA on banana, {MAP_PX}×{MAP_PX} map, 1 step per frame, "
              f"{seconds:g} s per run\n")
        print("| chains | fps drawn | paints/s | steps/s | step ms | snapshot ms | overlay ms | paint ms "
              "| GUI ms/frame | GUI-bound fps | drawn as |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        rows = bench_sampler(app, sizes, seconds, warmup, repeats)
        for r in rows:
            how = "density image" if r["n"] > 20_000 else "points"
            gui = r["draw"] + r["paint"]
            print(f"| {r['n']:,} | {r['fps']:.1f} | {r['paints']:.1f} | {r['steps']:.1f} | {r['step']:.2f} "
                  f"| {r['snapshot']:.2f} | {r['draw']:.2f} | {r['paint']:.2f} | {gui:.2f} | {1000 / gui:.0f} | {how} |")
    if "landscape" in sections:
        print(f"\n## 512×512 landscape recompute (median of {repeats})\n")
        print("| energy | density(E, 512) ms | Map2D.set_landscape ms | total ms | total ms, best | paint ms |")
        print("|---|---:|---:|---:|---:|---:|")
        lands = bench_landscape(repeats)
        for r in lands:
            print(f"| {r['energy']} | {r['density']:.2f} | {r['set']:.2f} | {r['total']:.2f} | {r['best']:.2f} "
                  f"| {r['paint']:.2f} |")
    if "training" in sections:
        print(f"\n## GUI while training: all 4 Training pages train at once, {seconds * 3:g} s each\n")
        print("| training processes | timer lateness mean ms | p95 ms | max ms | GUI thread CPU % "
              "| steps/s, all pages | curve redraws/s |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for background in (True,) if args.quick else (True, False):
            r = bench_training_load(seconds * 3, background)
            label = f"background (nice {headless.BACKGROUND_NICE})" if background else "GUI's priority"
            print(f"| {label} | {r['mean']:.1f} | {r['p95']:.1f} | {r['max']:.0f} | {r['gui']:.0f} "
                  f"| {r['steps']:.0f} | {r['redraws']:.1f} |")
    print("\n## Targets\n")
    at_1e4 = next((r for r in rows if r["n"] == 10_000), None)
    if at_1e4 is not None:
        fps = at_1e4["fps"]
        verdict = ("met" if fps >= TARGET_FPS * CAP_TOLERANCE else
                   "DEFECT (< 30)" if fps < DEFECT_FPS else "below target")
        print(f"- fps at 10^4 chains: {fps:.1f} drawn (frames are paced at 60 Hz, the screen rate); "
              f"the GUI thread needs {at_1e4['draw'] + at_1e4['paint']:.1f} ms a frame; "
              f"target ≥ {TARGET_FPS:.0f}: {verdict}")
    if lands:
        analytic = lands[0]["total"]
        print(f"- 512×512 analytic recompute: {analytic:.1f} ms median, {lands[0]['best']:.1f} ms best; "
              f"target < {TARGET_RECOMPUTE_MS:.0f} ms: {'met' if analytic < TARGET_RECOMPUTE_MS else 'NOT met'}")
    print(f"- load average (1/5/15 min) at the start: {load_at_start}, at the end: {load_average()}; "
          "other processes on these cores slow torch's 2-thread kernels far more than 1-thread ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
