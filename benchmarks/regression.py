#!/usr/bin/env python
"""Energy-based regression on the two toy problems of REFERENCES §3: D_KL(p_true ‖ p_model) for every
training method (mean ± std over seeds, 75 epochs), the Gaussian baseline with the true mean and std,
and the test NLL of NCE with a fixed proposal against NCE with a learned MDN proposal (K = 1, 4, 16).

    python benchmarks/regression.py                    # full protocol, writes benchmarks/regression.md
    python benchmarks/regression.py --quick            # 1 seed, 2 epochs, coarse grid (smoke test)
    python benchmarks/regression.py --jobs 2           # runs in 2 processes
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

METHOD_ROWS = ["ml-is", "kld", "nce", "nce+", "ml-mcmc", "dsm", "nce-mdn:1", "nce-mdn:4", "nce-mdn:16"]


def run_one(problem: int, row: str, seed: int, epochs: int, grid: int) -> dict:
    """Train one model; return its D_KL, test NLL and time."""
    import torch

    from core import regression

    torch.set_num_threads(1)
    method, _, k = row.partition(":")
    extra = {"n_components": int(k)} if k else {}
    t0 = time.perf_counter()
    model = regression.train(problem, method=method, seed=seed, epochs=epochs, **extra)
    elapsed = time.perf_counter() - t0
    prob = regression.toy_problem(problem)
    x_test, y_test = prob.sample(2000, seed=10_000 + seed)
    return {"problem": problem, "row": row, "seed": seed, "time": elapsed,
            "kl": regression.kl_divergence(prob, model, n_x=grid, n_y=grid),
            "nll": model.nll(x_test, y_test, n_y=grid)}


def load_cache(path: Path | None, epochs: int, grid: int) -> list[dict]:
    """Finished runs from an earlier, interrupted benchmark with the same epochs and grid."""
    if path is None or not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("epochs") == epochs and r.get("grid") == grid]


def mean_std(values: list[float], seeds: int) -> str:
    """mean ± std over seeds; '(n of N seeds)' when a run is unfinished; '—' when none is done."""
    if not values:
        return "—"
    if any(not math.isfinite(v) for v in values):
        return "NaN"
    text = f"{values[0]:.4f}" if len(values) == 1 else f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"
    return text if len(values) == seeds else f"{text} ({len(values)} of {seeds} seeds)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=75)
    parser.add_argument("--grid", type=int, default=2048, help="x and y grid size of the D_KL metric")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHOD_ROWS))
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 epochs, grid 256")
    parser.add_argument("--markdown", type=Path, default=ROOT / "benchmarks" / "regression.md")
    parser.add_argument("--cache", type=Path, default=None,
                        help="jsonl of finished runs: read to skip them, appended to as runs finish "
                             "(a killed benchmark resumes where it stopped)")
    parser.add_argument("--problems", default="1,2", help="which toy problems to run, in this order")
    parser.add_argument("--report-only", action="store_true",
                        help="write the table from --cache without training (an unfinished benchmark's interim)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.grid = 1, 2, 256
        args.methods = "ml-is,nce,nce-mdn:4"
    rows = args.methods.split(",")
    problems = tuple(int(p) for p in args.problems.split(","))
    jobs = list(itertools.product(problems, rows, range(args.seeds)))
    if args.report_only:  # the table covers both problems whatever ran
        jobs = list(itertools.product((1, 2), rows, range(args.seeds)))
    results = load_cache(args.cache, args.epochs, args.grid)
    done = {(r["problem"], r["row"], r["seed"]) for r in results}
    results = [r for r in results if (r["problem"], r["row"], r["seed"]) in set(jobs)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_one, p, r, s, args.epochs, args.grid) for p, r, s in jobs
                   if (p, r, s) not in done and not args.report_only]
        for fut in futures:
            res = fut.result()
            results.append(res)
            if args.cache is not None:
                with args.cache.open("a") as fh:
                    fh.write(json.dumps({**res, "epochs": args.epochs, "grid": args.grid}) + "\n")
            print(f"problem {res['problem']} {res['row']:<10} seed {res['seed']}: D_KL {res['kl']:.4f} "
                  f"NLL {res['nll']:.4f} ({res['time']:.0f} s)", flush=True)
    from core import regression

    lines = [f"# Energy-based regression (REFERENCES §3): {args.seeds} seeds, {args.epochs} epochs, "
             f"D_KL on a {args.grid}×{args.grid} grid", "",
             "| method | D_KL problem 1 | D_KL problem 2 | test NLL problem 2 | s / run |", "|---|---|---|---|---|"]
    for row in rows:
        by = {p: [r for r in results if r["row"] == row and r["problem"] == p] for p in (1, 2)}
        times = [r["time"] for r in by[1] + by[2]]
        t = f"{statistics.mean(times):.0f}" if times else "—"
        n = args.seeds
        lines.append(f"| {row.replace(':', ', K=')} | {mean_std([r['kl'] for r in by[1]], n)} | "
                     f"{mean_std([r['kl'] for r in by[2]], n)} | {mean_std([r['nll'] for r in by[2]], n)} | {t} |")
    base = [regression.gaussian_baseline_kl(p, args.grid, args.grid) for p in (1, 2)]
    lines.append(f"| Gaussian, true mean and std | {base[0]:.4f} | {base[1]:.4f} | — | — |")
    nce = {r["seed"]: r["nll"] for r in results if r["problem"] == 2 and r["row"] == "nce"}
    for row in [r for r in rows if r.startswith("nce-mdn")]:
        mdn = {r["seed"]: r["nll"] for r in results if r["problem"] == 2 and r["row"] == row}
        paired = [mdn[s] - nce[s] for s in sorted(set(nce) & set(mdn))]
        if len(paired) >= 2:
            d, sd = statistics.mean(paired), statistics.stdev(paired)
            verdict = ("beats" if d + 2 * sd / math.sqrt(len(paired)) < 0 else
                       "is worse than" if d - 2 * sd / math.sqrt(len(paired)) > 0 else "ties with")
            lines.append(f"- problem 2 test NLL, {row.replace(':', ' K=')} minus nce, paired over {len(paired)} "
                         f"seeds: {d:+.4f} ± {sd / math.sqrt(len(paired)):.4f} (standard error): the learned "
                         f"proposal {verdict} fixed-proposal NCE")
    lines += ["", "Problem 2 *is* Gaussian with that mean and std, so its baseline D_KL is 0 and no method can "
              "beat it there; the comparison that means something is problem 1.", "",
              "Why some rows are high on problem 2, whose noise std σ(x) = 0.15 / (1 + e^−x) is at most 0.15: "
              "DSM (σ = 0.2) learns the data density smoothed by N(0, 0.2²), wider than the target itself; "
              "NCE+ learns the target perturbed by its own noise (β = 0.025 of the variances 0.1² and 0.8², "
              "std up to 0.13, as large as σ(x)); ML-MCMC's short Langevin chains (λ = 0.05) started at the "
              "data explore little of y, so the energy is shaped only near the data and the result varies "
              "from seed to seed. Problem 1's wider, bimodal noise hides the first two effects.",
              "", "s / run: wall time of one run on 1 thread; runs done while other jobs shared the 2 cores "
              "took up to 10× longer (cached rows keep the time they were measured with).", ""]
    text = "\n".join(lines)
    print(text)
    args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
