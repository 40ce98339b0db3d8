#!/usr/bin/env python
"""Discrete EBMs and LeCun's losses: Ising denoising (Gibbs, ICM) vs coupling, exact vs AIS log Z of
small RBMs, CD-1 vs PCD log-likelihood on binarised digits at equal updates, and the loss explorer's
test accuracy per loss (with the energy loss's collapse). CPU, one thread per process.

    python benchmarks/discrete.py              # writes benchmarks/discrete.md (a few minutes on 2 cores)
    python benchmarks/discrete.py --quick      # small sizes (smoke test)
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COUPLINGS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
LOW_T = 0.25
LOSS_RUNS = (("energy", "free"), ("perceptron", "free"), ("hinge", "free"), ("log-likelihood", "free"),
             ("energy", "distance"))


def _torch():
    import torch

    torch.set_num_threads(1)
    return torch


# --- 1. Ising denoising -------------------------------------------------------------------
def denoise(size: int, J: float, seed: int, sweeps: int) -> dict[str, float]:
    """Pixel error rates (%) of the noisy image, ICM, low-T Gibbs and T=1 Gibbs (sample, MPM)."""
    torch = _torch()
    from core import samplers
    from core.energies.discrete import IsingGrid, binary_test_image

    m = IsingGrid.denoising(binary_test_image(size), p=0.1, J=J, seed=seed)  # h = ½ log 9
    out = {"noisy": 100 * float(m.error_rate(m.y_obs))}
    s = samplers.create("icm", m)
    st, _ = s.run(s.init(1, seed=seed, x0=m.y_obs), sweeps, record_every=0)
    out["icm"] = 100 * float(m.error_rate(st.x).mean())
    s = samplers.create("gibbs", m, temperature=LOW_T)
    st, _ = s.run(s.init(4, seed=seed, x0=m.y_obs), sweeps, record_every=0)
    out["gibbs_low"] = 100 * float(m.error_rate(st.x).mean())
    s = samplers.create("gibbs", m, temperature=1.0)
    st, trace = s.run(s.init(4, seed=seed, x0=m.y_obs), 2 * sweeps, record_every=1)
    out["gibbs_1"] = 100 * float(m.error_rate(st.x).mean())
    mpm = torch.where(trace.x[sweeps:].mean(0) > 0, 1.0, -1.0)  # sign of the posterior mean, per chain
    out["gibbs_mpm"] = 100 * float(m.error_rate(mpm).mean())
    return out


def ising_table(quick: bool, pool: ProcessPoolExecutor) -> list[str]:
    size, seeds, sweeps = (32, (0,), 20) if quick else (64, (0, 1, 2), 100)
    couplings = (0.0, 1.0) if quick else COUPLINGS
    jobs = {(J, s): pool.submit(denoise, size, J, s, sweeps) for J in couplings for s in seeds}
    lines = [f"## Ising denoising: {size}×{size} binary test image, 10% of pixels flipped", "",
             f"E(x) = −J Σ x_i x_j − h Σ y_i x_i with h = ½ log 9 (the Bayesian value for 10% flips); pixel "
             f"error rate (%) against the clean image, mean over {len(seeds)} noise draw(s). ICM and Gibbs start "
             f"at the observation; ICM and Gibbs at T = {LOW_T} run {sweeps} sweeps; Gibbs at T = 1 runs "
             f"{2 * sweeps} sweeps: its last sample, and the MPM estimate (sign of the mean of the last {sweeps}).",
             "", f"| J | noisy | ICM | Gibbs T={LOW_T} | Gibbs T=1 (sample) | Gibbs T=1 (MPM) |",
             "|---|---|---|---|---|---|"]
    best = {"icm": 100.0, "gibbs_low": 100.0}
    for J in couplings:
        rows = [jobs[(J, s)].result() for s in seeds]
        mean = {k: statistics.fmean(r[k] for r in rows) for k in rows[0]}
        if J > 0:
            best = {k: min(v, mean[k]) for k, v in best.items()}
        lines.append(f"| {J:g} | {mean['noisy']:.2f} | {mean['icm']:.2f} | {mean['gibbs_low']:.2f} | "
                     f"{mean['gibbs_1']:.2f} | {mean['gibbs_mpm']:.2f} |")
    lines += ["", f"Best over J: ICM {best['icm']:.2f} %, Gibbs at T = {LOW_T} {best['gibbs_low']:.2f} % "
              f"(target: well below 10 %: {'PASS' if max(best.values()) < 5 else 'FAIL'}). At J = 0 the pixels "
              "are independent and the MAP is the observation itself; a weak coupling (J ≤ h/4 here) cannot "
              "outvote a pixel's own evidence under ICM, so ICM only starts to clean once 4J > h.", ""]
    return lines


# --- 2. exact vs AIS log Z ------------------------------------------------------------------
def ais_row(label: str, n_v: int, n_h: int, scale: float, seed: int, n_chains: int,
            betas: tuple[int, ...]) -> tuple[str, float, list[tuple[int, float, float, float]]]:
    """Exact log Z and AIS estimates (n_betas, log Z, SE, seconds) of a random RBM."""
    torch = _torch()
    from core.energies.discrete import RBM, ais_log_partition, exact_log_partition

    rbm = RBM(n_v, n_h, seed=seed, init_std=scale, dtype=torch.float64)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        rbm.b.copy_(scale * torch.randn(n_v, generator=g, dtype=torch.float64))
        rbm.c.copy_(scale * torch.randn(n_h, generator=g, dtype=torch.float64))
    exact = exact_log_partition(rbm)
    out = []
    for k in betas:
        t0 = time.perf_counter()
        est = ais_log_partition(rbm, n_chains, k, seed=seed)
        out.append((k, est.log_z, est.std_error, time.perf_counter() - t0))
    return label, exact, out


def ais_table(quick: bool, pool: ProcessPoolExecutor) -> list[str]:
    betas = (200, 1000) if quick else (1000, 10000)
    models = [("20×12, weights σ 0.5", 20, 12, 0.5, 0), ("20×12, weights σ 1", 20, 12, 1.0, 1),
              ("64×16, weights σ 0.3", 64, 16, 0.3, 2)]
    futures = [pool.submit(ais_row, *m, 100, betas) for m in models]
    lines = ["## Exact log Z vs AIS on small RBMs", "",
             "Random RBMs (weights and biases N(0, σ²)); exact log Z by enumerating the smaller layer; AIS "
             "(Salakhutdinov & Murray 2008: base-rate model, their spacing of β) with 100 chains; ± one standard "
             "error from the importance weights.", "",
             "| RBM (visible×hidden) | exact log Z | " + " | ".join(f"AIS {k} β" for k in betas) + " | |AIS − exact|, "
             f"{betas[-1]} β |", "|---" * (3 + len(betas)) + "|"]
    worst = 0.0
    for f in futures:
        label, exact, ests = f.result()
        cells = " | ".join(f"{z:.3f} ± {se:.3f} ({sec:.1f} s)" for _, z, se, sec in ests)
        diff = abs(ests[-1][1] - exact)
        worst = max(worst, diff)
        lines.append(f"| {label} | {exact:.3f} | {cells} | {diff:.3f} |")
    lines += ["", f"Target: AIS within 0.1 nats of the exact log Z: {'PASS' if worst < 0.1 else 'FAIL'} "
              f"(worst {worst:.3f}).", ""]
    return lines


# --- 3. CD-1 vs PCD -----------------------------------------------------------------------
def rbm_run(method: str, n_hidden: int, steps: int, decay: bool, seed: int, eval_chains: int,
            eval_betas: int) -> dict:
    """Train one RBM on binarised digits; log-likelihoods (nats per image) from AIS and, when the hidden
    layer is small enough, exactly."""
    torch = _torch()
    from core import training
    from core.energies.discrete import MAX_ENUMERATED_UNITS, exact_log_partition

    tr = training.create("rbm", method=method, seed=seed, n_hidden=n_hidden, lr=0.05,
                         lr_decay_steps=steps if decay else 0, ais_every=0)
    t0 = time.perf_counter()
    for _ in range(steps):
        m = tr.step()
    out = {"method": method, "n_hidden": n_hidden, "decay": decay, "seed": seed,
           "seconds": time.perf_counter() - t0, "recon": m["recon_error"], "n_train": len(tr.data),
           "n_test": len(tr.test_data), **tr.evaluate(eval_chains, eval_betas)}
    if n_hidden <= MAX_ENUMERATED_UNITS:
        with torch.no_grad():
            log_z = exact_log_partition(tr.rbm)
            out["exact_test"] = float(tr.rbm.log_likelihood(tr.test_data, log_z).mean())
            out["exact_train"] = float(tr.rbm.log_likelihood(tr.data, log_z).mean())
    return out


def _mean(rows: list[dict], key: str) -> float:
    return statistics.fmean(r[key] for r in rows)


def rbm_table(quick: bool, pool: ProcessPoolExecutor) -> list[str]:
    steps, chains, betas = (100, 50, 200) if quick else (20000, 300, 10000)
    sizes = (16, 64)
    seeds = {True: (0,) if quick else (0, 1), False: (0,)}  # decaying lr: 2 seeds; constant: 1
    configs = [(meth, nh, decay, sd) for decay in (True, False) for nh in sizes for meth in ("cd", "pcd")
               for sd in seeds[decay]]
    futures = [pool.submit(rbm_run, meth, nh, steps, decay, sd, chains, betas) for meth, nh, decay, sd in configs]
    results = [f.result() for f in futures]
    r0 = results[0]
    lines = ["## CD-1 vs PCD on binarised digits at equal updates", "",
             f"sklearn digits thresholded at half ink ({r0['n_train']} train / {r0['n_test']} test images of 64 "
             f"pixels); {steps} SGD updates of batch 20, lr 0.05 (decaying linearly to 0 as in Tieleman 2008, or "
             "constant), momentum 0.5, weight decay 1e-4, k = 1; PCD keeps 100 persistent chains. Mean "
             f"log-likelihood in nats per image: AIS with {chains} chains × {betas} β (± SE of log Z), and exact "
             "where the hidden layer is small enough to enumerate. Decaying lr: mean over seeds "
             f"{', '.join(map(str, seeds[True]))}; constant lr: seed {seeds[False][0]}.", "",
             "| lr | hidden | method | test LL (AIS) | train LL (AIS) | test LL (exact) | train LL (exact) | "
             "recon. error | s / run |", "|---|---|---|---|---|---|---|---|---|"]

    def group(meth: str, nh: int, decay: bool) -> list[dict]:
        return [r for r in results if r["method"] == meth and r["n_hidden"] == nh and r["decay"] == decay]

    verdicts = []
    for decay in (True, False):
        for nh in sizes:
            for meth in ("cd", "pcd"):
                g = group(meth, nh, decay)
                se = math.sqrt(statistics.fmean(r["ais_std_error"] ** 2 for r in g))
                ex_te = f"{_mean(g, 'exact_test'):.3f}" if "exact_test" in g[0] else "—"
                ex_tr = f"{_mean(g, 'exact_train'):.3f}" if "exact_train" in g[0] else "—"
                lines.append(f"| {'decaying' if decay else 'constant'} | {nh} | {'CD-1' if meth == 'cd' else 'PCD'} | "
                             f"{_mean(g, 'ais_loglik'):.3f} ± {se:.3f} | {_mean(g, 'ais_loglik_train'):.3f} | {ex_te} | "
                             f"{ex_tr} | {_mean(g, 'recon'):.4f} | {_mean(g, 'seconds'):.0f} |")
            cd, pcd = group("cd", nh, decay), group("pcd", nh, decay)
            exact = "exact_train" in cd[0]
            tr_key, te_key = ("exact_train", "exact_test") if exact else ("ais_loglik_train", "ais_loglik")
            d_tr = [p[tr_key] - c[tr_key] for c, p in zip(cd, pcd)]  # paired by seed
            d_te = [p[te_key] - c[te_key] for c, p in zip(cd, pcd)]
            verdicts.append((decay, nh, d_tr, d_te, exact))
    lines += ["", "PCD − CD-1 (nats per image, per seed; > 0: PCD better):", ""]
    for decay, nh, d_tr, d_te, exact in verdicts:
        how = "exact" if exact else "AIS"
        lines.append(f"- {'decaying' if decay else 'constant'} lr, {nh} hidden ({how}): train "
                     f"{', '.join(f'{d:+.3f}' for d in d_tr)}; test {', '.join(f'{d:+.3f}' for d in d_te)}")
    big = [r for r in results if r["n_hidden"] == sizes[-1]]
    overfit = statistics.fmean(r["ais_loglik_train"] - r["ais_loglik"] for r in big)
    better_decay = all(min(d_tr) > 0 for decay, _, d_tr, _, _ in verdicts if decay)
    worse_const = [nh for decay, nh, d_tr, _, _ in verdicts if not decay and max(d_tr) < 0]
    lines += ["", "Reading: " + (
        "with the decaying learning rate PCD reaches a higher training log-likelihood than CD-1 at equal updates "
        "for every size and seed (it follows the maximum-likelihood gradient; CD-1 only looks one Gibbs sweep "
        "away from the data)" if better_decay else
        "with the decaying learning rate PCD does not beat CD-1 on the training log-likelihood for every size and "
        "seed") + ". " + (
        f"With the constant lr 0.05 and momentum 0.5, PCD ends up worse than CD-1 ({', '.join(map(str, worse_const))} "
        "hidden): its persistent chains only stay near equilibrium if the weights change slowly compared with "
        "their mixing, which is why Tieleman (2008) decays the learning rate to zero. " if worse_const else
        "With the constant lr PCD does not fall behind CD-1 here. ") +
        f"With {r0['n_train']} training images the {sizes[-1]}-hidden models overfit (their train LL is "
        f"{overfit:.2f} nats above their test LL on average), so a better fit of the training likelihood need not "
        "show in full on held-out digits. AIS under-estimates log Z slightly in expectation (Jensen), so AIS "
        "log-likelihoods lean optimistic by about their SE; the exact columns have no such bias.", ""]
    return lines


# --- 4. loss explorer ---------------------------------------------------------------------
def loss_run(loss: str, head: str, seed: int, steps: int) -> dict:
    """Train the loss explorer; final test accuracy and test-energy statistics."""
    _torch()
    from core import training

    tr = training.create("loss-explorer", loss=loss, head=head, seed=seed, eval_every=steps)
    first = tr.step()
    for _ in range(steps - 1):
        m = tr.step()
    return {"loss": loss, "head": head, "first_mean": first["energy_mean"], **m}


def loss_table(quick: bool, pool: ProcessPoolExecutor) -> list[str]:
    steps, seeds = (200, (0,)) if quick else (3000, (0, 1, 2))
    futures = {(lo, hd, s): pool.submit(loss_run, lo, hd, s, steps) for lo, hd in LOSS_RUNS for s in seeds}
    lines = ["## Loss explorer: a classifier EBM E(W, Y, X) on the 10 digit classes", "",
             f"sklearn digits in [0, 1] (1 348 train / 449 test); G_W = 64→32 tanh MLP→10; SGD lr 0.05, batch 32, "
             f"{steps} updates; hinge m = 1, log-likelihood β = 1; decision = argmin over the 10 answers. Head "
             "\"free\": E(Y, X) = G(X)_Y, a free energy per class; \"distance\": E(Y, X) = ½‖G(X) − e_Y‖² with "
             f"one-hot codes e_Y. Mean over {len(seeds)} seed(s); energy statistics on the test set: mean over "
             "answers, spread (std over answers) and gap (best wrong − correct; > 0 when right).", "",
             "| loss | head | test accuracy | mean energy (start → end) | spread | gap | note |",
             "|---|---|---|---|---|---|---|"]
    collapsed = False
    for lo, hd in LOSS_RUNS:
        rs = [futures[(lo, hd, s)].result() for s in seeds]
        acc = statistics.fmean(r["test_accuracy"] for r in rs)
        sd = statistics.stdev(r["test_accuracy"] for r in rs) if len(rs) > 1 else 0.0
        mean0 = statistics.fmean(r["first_mean"] for r in rs)
        mean1 = statistics.fmean(r["test_energy_mean"] for r in rs)
        spread = statistics.fmean(r["test_energy_spread"] for r in rs)
        gap = statistics.fmean(r["test_energy_gap"] for r in rs)
        note = "valid" + (" (no margin: the gap stays small once the answer is right)" if lo == "perceptron" else "")
        if lo == "energy" and hd == "free":
            collapsed = acc < 0.3 and abs(mean1) > 10 * spread
            note = ("**collapsed**: not a valid loss for this model — all 10 energies fall together without bound "
                    "(loss unbounded below), the correct answer is not pushed below the others" if collapsed
                    else "expected a collapse, not seen")
        elif lo == "energy":
            note = "valid: pushing E(Y^i) down pulls the other answers' energies up"
        lines.append(f"| {lo} | {hd} | {acc:.3f} ± {sd:.3f} | {mean0:.2f} → {mean1:.2f} | {spread:.2f} | "
                     f"{gap:+.2f} | {note} |")
    lines += ["", "The energy loss only pushes down E(W, Y^i, X^i). With a free energy per class nothing pulls "
              "the other answers up, so gradient descent lowers every class's energy (the shared biases and "
              "features drift the same way for all), the mean energy runs off to −∞ and the ranking of the "
              f"answers is noise: {'collapse shown' if collapsed else 'collapse NOT shown'}. On the distance "
              "head the same loss is plain regression to the one-hot code and works; perceptron, hinge and "
              "log-likelihood losses contrast the correct answer with the others and learn the free-energy model.", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--markdown", type=Path, default=ROOT / "benchmarks" / "discrete.md")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        command = "python benchmarks/discrete.py" + (" --quick" if args.quick else "")
        lines = [f"# Discrete EBMs and LeCun's losses{' (quick mode)' if args.quick else ''}", "",
                 f"Produced by `{command}` on CPU, one thread per worker process.", ""]
        lines += ising_table(args.quick, pool)
        lines += ais_table(args.quick, pool)
        lines += rbm_table(args.quick, pool)
        lines += loss_table(args.quick, pool)
    lines.append(f"Total wall time {time.perf_counter() - t0:.0f} s with {args.workers} worker process(es).")
    text = "\n".join(lines)
    print(text)
    args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
