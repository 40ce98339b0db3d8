"""Smoke test of benchmarks/samplers.py: `--quick` runs end to end, with and without the peers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "samplers.py"
HEADER = "| sampler | N chains | ours (M chain-steps/s) | peer | peer (M chain-steps/s) | ours/peer |"
# --quick is designed for well under 60 s on 2 cores; the limit only stops a hung run.
TIMEOUT_S = 180


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--quick", "--device", "cpu", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


def test_quick_benchmark_prints_table(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    proc = _run("--markdown", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert HEADER in proc.stdout
    for name in ("langevin (ULA)", "mala", "mh (random walk)", "hmc (L=10)"):
        assert f"| {name} | 1 |" in proc.stdout and f"| {name} | 100 |" in proc.stdout
    assert "## Targets" in proc.stdout
    assert HEADER in out.read_text()


def test_quick_benchmark_skips_missing_peers(tmp_path: Path) -> None:
    """With jax, blackjax and torchebm unimportable, peers show n/a and the run still succeeds."""
    for mod in ("jax", "blackjax", "torchebm"):
        (tmp_path / mod).mkdir()
        (tmp_path / mod / "__init__.py").write_text(f"raise ImportError('{mod} hidden by test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    proc = _run("--samplers", "langevin,mala", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert HEADER in proc.stdout
    assert "n/a (torchebm not importable" in proc.stdout
    assert "n/a (jax/blackjax not importable" in proc.stdout
