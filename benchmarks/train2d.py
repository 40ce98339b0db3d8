#!/usr/bin/env python
"""PCD on 2D toy data: TV distance between the model's exact grid density (128²) and the data
histogram every 500 steps, up to 5 000 steps on CPU; target TV < 0.15 on 8 Gaussians and two moons.

    python benchmarks/train2d.py                 # writes benchmarks/train2d.md
    python benchmarks/train2d.py --quick         # 100 steps (smoke test)
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(dataset: str, steps: int, eval_every: int) -> tuple[str, list[tuple[int, float]], float]:
    import torch

    from core import training

    torch.set_num_threads(1)
    tr = training.create("ebm2d", dataset=dataset, method="pcd", seed=0, eval_every=eval_every)
    curve, t0 = [], time.perf_counter()
    for _ in range(steps):
        m = tr.step()
        if "tv" in m:
            curve.append((tr.t, m["tv"]))
    return dataset, curve, (time.perf_counter() - t0) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--datasets", default="8gaussians,two_moons")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--markdown", type=Path, default=ROOT / "benchmarks" / "train2d.md")
    args = parser.parse_args(argv)
    steps, every = (100, 50) if args.quick else (args.steps, 500)
    names = args.datasets.split(",")
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, names, [steps] * len(names), [every] * len(names)))
    lines = [f"# PCD on 2D data: TV to the data histogram (grid 128²), {steps} steps, CPU", "",
             "| step | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for i, (step, _) in enumerate(results[0][1]):
        lines.append(f"| {step} | " + " | ".join(f"{r[1][i][1]:.3f}" for r in results) + " |")
    lines.append("| ms / step | " + " | ".join(f"{1e3 * r[2]:.0f}" for r in results) + " |")
    final = {r[0]: r[1][-1][1] for r in results}
    lines += ["", "Target TV < 0.15 at 5 000 steps: " + ", ".join(
        f"{k} {'PASS' if v < 0.15 else 'FAIL'} ({v:.3f})" for k, v in final.items())]
    text = "\n".join(lines)
    print(text)
    args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
