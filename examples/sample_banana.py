#!/usr/bin/env python
"""Sample the banana energy with MALA and print diagnostics — what the Sampler panel does.

    python examples/sample_banana.py            # 2 000 chains, 1 000 steps
    python examples/sample_banana.py --quick    # a few seconds
"""
import argparse

from core import diagnostics, energies, samplers


def main(quick: bool = False) -> dict:
    E = energies.create("banana")
    s = samplers.create("mala", E, step_size=0.1)
    state = s.init(200 if quick else 2000, seed=0)
    state, trace = s.run(state, 200 if quick else 1000, record_every=5)
    burned = trace.x[trace.x.shape[0] // 2:]
    out = {"acceptance": diagnostics.acceptance_rate(trace), "ess": diagnostics.ess(burned).tolist(),
           "rhat": diagnostics.rhat(burned).tolist(), "tv": diagnostics.tv_distance(burned, E)}
    for key, value in out.items():
        print(f"{key:>10}: {value}")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
