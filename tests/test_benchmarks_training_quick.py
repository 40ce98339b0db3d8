"""The training benchmarks run end to end in their quick modes (STYLE §13); speed is not asserted."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script, expect", [
    ("train2d.py", "TV to the data histogram"),
    ("regression.py", "Gaussian, true mean and std"),
    ("gan.py", "classes covered"),
])
def test_quick_mode(script, expect, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--quick",
                           "--markdown", str(tmp_path / "out.md")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expect in done.stdout and expect in (tmp_path / "out.md").read_text()
