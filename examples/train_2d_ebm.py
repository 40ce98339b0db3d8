#!/usr/bin/env python
"""Train an MLP energy on 8 Gaussians by PCD into a run directory — what the Training panel's 2D page does.

    python examples/train_2d_ebm.py runs/example-pcd            # 5 000 steps
    python examples/train_2d_ebm.py runs/example-pcd --quick    # 50 small steps
The app can follow the run live: File › Open run… and pick the folder.
"""
import argparse

from core import training
from core.runs import RunDir


def main(run_dir: str, quick: bool = False) -> dict:
    small = {"batch_size": 64, "buffer_size": 500, "hidden": 16, "mcmc_steps": 5, "eval_every": 10} if quick else {}
    trainer = training.create("ebm2d", dataset="8gaussians", method="pcd", seed=0, **small)
    last = training.fit(trainer, 50 if quick else 5000, RunDir(run_dir))
    print(f"step {trainer.t}: loss {last['loss']:.4f}; run in {run_dir}")
    return last


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(args.run_dir, args.quick)
