"""Every script in examples/ runs in quick mode, in a subprocess, as a user would start it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
NEEDS_RUN_DIR = {"train_2d_ebm.py", "train_began.py"}


def test_every_example_is_listed():
    assert {p.name for p in EXAMPLES} >= {"sample_banana.py", "train_2d_ebm.py", "train_regression_ebm.py",
                                          "train_began.py", "predict_depth.py"}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_in_quick_mode(script, tmp_path):
    args = [sys.executable, str(script), "--quick"]
    if script.name in NEEDS_RUN_DIR:
        args.insert(2, str(tmp_path / "run"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
