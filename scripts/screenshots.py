#!/usr/bin/env python
"""Drive the app and save a screenshot of every panel (and every Training page) into docs/.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py [--only training] [--seconds 20]

Runs real (short) training so the curves and pictures have something to show; the files are the user
guide's figures and can be regenerated at any time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (1500, 900)


def wait(app, seconds: float) -> None:
    """Process events for `seconds` (the workers keep training meanwhile)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def landscape_and_sampler(window, app, out: Path, seconds: float) -> list[Path]:
    """The banana's landscape; MALA chains playing on it; the discrete mode denoising a digit."""
    window.energy_state.set_builtin("banana")
    window.show_panel("landscape")
    wait(app, 2.0)
    shots = [save(window, out / "screenshot-landscape.png")]
    sampler = window.panel("sampler")
    window.show_panel("sampler")
    sampler.controls.sampler_combo.setCurrentIndex(sampler.controls.sampler_combo.findData("mala"))
    sampler.set_playing(True)
    wait(app, min(seconds, 8.0))
    sampler.set_playing(False)
    wait(app, 0.5)
    shots.append(save(window, out / "screenshot-sampler.png"))
    sampler.set_mode_index(1)
    d = sampler.discrete
    d.source.setCurrentIndex(d.source.findData("digit:3"))
    d.set_clean(__import__("core.energies.discrete", fromlist=["x"]).binary_test_image(48, "digit", 3))
    d.temperature.setValue(60)
    d.step(12)
    wait(app, 0.5)
    shots.append(save(window, out / "screenshot-sampler-discrete.png"))
    sampler.set_mode_index(0)
    return shots


def training_pages(window, app, out: Path, seconds: float, tmp: Path) -> list[Path]:
    """Train each Training page for `seconds` and grab it."""
    panel = window.panel("training")
    window.show_panel("training")
    shots = []
    page = panel.show_page("density2d")
    page.controls.run_dir.setText(str(tmp / "density2d"))
    page.start()
    wait(app, seconds)
    page.pause()
    wait(app, 0.5)
    shots.append(save(window, out / "screenshot-training.png"))
    page.stop()

    page = panel.show_page("regression")
    c = page.controls
    c.method.setCurrentIndex(c.method.findData("nce-mdn"))
    c.epochs.setValue(30)
    c.run_dir.setText(str(tmp / "regression"))
    page.start()
    wait(app, seconds)
    page.maps.set_slice_x(1.2)
    page.pause()
    wait(app, 0.5)
    shots.append(save(window, out / "screenshot-training-regression.png"))
    page.stop()

    page = panel.show_page("gan")
    page.controls.run_dir.setText(str(tmp / "gan"))
    page.start()
    wait(app, seconds)
    page.smoothing.setValue(80)
    page.pause()
    wait(app, 0.5)
    shots.append(save(window, out / "screenshot-training-gan.png"))
    page.stop()

    page.controls.data.setCurrentIndex(page.controls.data.findData("8gaussians"))
    page.controls.run_dir.setText(str(tmp / "gan2d"))
    page.start()
    wait(app, seconds)
    page.pause()
    wait(app, 0.5)
    shots.append(save(window, out / "screenshot-training-gan-2d.png"))
    page.stop()

    page = panel.show_page("losses")
    page.controls.run_dir.setText(str(tmp / "losses"))
    page.controls.probe.setValue(5)
    page.start()
    wait(app, seconds / 2)
    page.pause()
    wait(app, 0.5)
    shots.append(save(window, out / "screenshot-training-losses.png"))
    page.stop()
    return shots


def depth_panel(window, app, out: Path) -> list[Path]:
    """Predict a synthetic test scene with the shipped model; grab the panel, then with the point cloud."""
    panel = window.panel("depth")
    window.show_panel("depth")
    deadline = time.monotonic() + 60
    while panel.model is None and time.monotonic() < deadline:
        wait(app, 0.2)
    panel.open_collection("synthetic")
    deadline = time.monotonic() + 120
    while panel.result is None and time.monotonic() < deadline:
        wait(app, 0.2)
    shots = [save(window, out / "screenshot-depth.png")]
    panel.show_cloud.setChecked(True)
    wait(app, 2.0)
    shots.append(save(window, out / "screenshot-depth-cloud.png"))
    panel.show_cloud.setChecked(False)
    return shots


def save(window, path: Path) -> Path:
    window.grab().save(str(path))
    print(f"wrote {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--seconds", type=float, default=20.0, help="training time before each grab")
    parser.add_argument("--only", choices=("landscape", "training", "depth"), default=None)
    args = parser.parse_args(argv)
    import tempfile

    from workbench.app import application
    from workbench.main_window import MainWindow

    app = application()
    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    wait(app, 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "landscape"):
            landscape_and_sampler(window, app, args.out, args.seconds)
        if args.only in (None, "training"):
            training_pages(window, app, args.out, args.seconds, Path(tmp))
        if args.only in (None, "depth"):
            depth_panel(window, app, args.out)
        window.close()
        wait(app, 0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
