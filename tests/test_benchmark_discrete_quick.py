"""benchmarks/discrete.py runs end to end in its quick mode (STYLE §13); the numbers are not asserted."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_mode(tmp_path):
    out = tmp_path / "out.md"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "discrete.py"), "--quick",
                           "--markdown", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    text = out.read_text()
    for expect in ("## Ising denoising", "| J | noisy | ICM |", "## Exact log Z vs AIS", "## CD-1 vs PCD",
                   "PCD − CD-1", "## Loss explorer", "| energy | free |", "| log-likelihood | free |"):
        assert expect in done.stdout and expect in text, expect
