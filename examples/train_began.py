#!/usr/bin/env python
"""Train BEGAN on the 8×8 digits and save a grid of samples — the Training panel's GAN page, headless.

    python examples/train_began.py runs/example-began            # 5 000 steps
    python examples/train_began.py runs/example-began --quick    # 20 steps
"""
import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from core import training
from core.runs import RunDir


def main(run_dir: str, quick: bool = False) -> dict:
    trainer = training.create("began", data="digits", seed=0, **({"hidden": 32, "code": 8} if quick else {}))
    last = training.fit(trainer, 20 if quick else 5000, RunDir(run_dir))
    samples = trainer.sample(64, seed=0).numpy().reshape(8, 8, 8, 8)  # (row, col, h, w) in [-1, 1]
    grid = ((samples.transpose(0, 2, 1, 3).reshape(64, 64) + 1) * 127.5).clip(0, 255).astype(np.uint8)
    out = Path(run_dir) / "samples.png"
    Image.fromarray(grid).resize((256, 256), Image.Resampling.NEAREST).save(out)
    print(f"step {trainer.t}: M_global {last['m_global']:.4f}, k_t {last['k_t']:.4f}; samples in {out}")
    return last


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(args.run_dir, args.quick)
