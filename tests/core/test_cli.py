"""`ebm sample`: progress, diagnostics table, trace file, errors in words (no Qt)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from core import cli

ROOT = Path(__file__).resolve().parents[2]


def test_sample_prints_a_table_and_writes_the_trace(tmp_path, capsys):
    out = tmp_path / "trace.npz"
    code = cli.main(["sample", "--energy", "banana", "--sampler", "mala", "--chains", "200", "--steps", "60",
                     "--step-size", "0.1", "--out", str(out), "--no-progress"])
    assert code == 0
    text = capsys.readouterr().out
    for row in ("acceptance", "bulk ESS / R-hat", "TV distance to exact", "diverged chains"):
        assert row in text
    with np.load(out) as data:
        assert data["x"].shape == (60, 200, 2)
        assert json.loads(str(data["meta"]))["sampler"] == "mala"


def test_sample_with_a_formula_and_parameters(capsys):
    assert cli.main(["sample", "--expression", "(x**2-1)**2 + y**2", "--bounds", "-2", "2", "-2", "2",
                     "--sampler", "hmc", "--n-leapfrog", "5", "--chains", "50", "--steps", "20",
                     "--no-progress"]) == 0
    assert cli.main(["sample", "--energy", "donut", "--param", "radius=2", "--sampler", "mh",
                     "--chains", "50", "--steps", "20", "--no-progress"]) == 0


def test_bad_input_is_one_line_and_exit_status_2(capsys):
    assert cli.main(["sample", "--energy", "bananna", "--no-progress"]) == 2
    assert "valid names" in capsys.readouterr().err
    assert cli.main(["sample", "--expression", "x + foo", "--no-progress"]) == 2
    assert "'foo'" in capsys.readouterr().err
    assert cli.main(["sample", "--step-size", "-1", "--no-progress"]) == 2
    assert "step_size" in capsys.readouterr().err


def test_the_installed_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "core.cli", "sample", "--chains", "20", "--steps", "10"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "acceptance" in done.stdout and "step" in done.stderr  # the tqdm bar goes to stderr
