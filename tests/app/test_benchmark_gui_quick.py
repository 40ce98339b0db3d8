"""Smoke test of benchmarks/gui.py: `--quick` plays the Sampler panel and times a landscape, end to end."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "gui.py"
HEADER = "| chains | fps drawn | paints/s | steps/s |"
TIMEOUT_S = 300  # --quick takes 15–40 s on 2 cores (4 training processes start); the limit only stops a hung run


def test_quick_gui_benchmark_prints_its_tables():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick"], cwd=REPO, env=dict(os.environ),
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert HEADER in out
    assert "| 100 |" in out and "| 10,000 |" in out
    assert "| banana (analytic) |" in out and "| MLP 2-64-64-1 |" in out
    assert "## Targets" in out and "fps at 10^4 chains" in out
