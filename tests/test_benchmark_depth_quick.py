"""benchmarks/depth.py runs end to end in its quick mode (STYLE §13); accuracy and speed are not asserted."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_depth_benchmark_quick_mode(tmp_path):
    out = tmp_path / "depth.md"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "depth.py"), "--quick", "--markdown", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    for expected in ("initial predictor alone", "mean-depth baseline", "(a) frame energy", "(b) cnn energy, NCE",
                     "AbsRel", "images / s", "one 240×320 image"):
        assert expected in text and expected in done.stdout, expected
    assert (tmp_path / "depth.json").is_file()
