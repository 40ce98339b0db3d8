#!/usr/bin/env python
"""Depth EBM on held-out synthetic scenes: what the energy adds over the plain regression network.

Rows: the mean-depth baseline, the initial predictor alone, and the predictor refined by energy (a)
(conditional FRAME) and (b) (CNN), both learned by Algorithm 1 (maximum likelihood with short-run
Langevin negatives from the prediction), plus (b) learned by NCE. Test images come from the test split
(seeds never used in training or validation) at 240×320, the size the app shows; the model works at
its training size and its maps are upsampled. Also: loss curves (convergence), inference time for one
240×320 image with T = 20 on CPU, training images per second, and whether the Langevin std says
where the errors are.

    python benchmarks/depth.py                 # uses runs/depth-default + assets/depth/depth-ebm.pt when
                                               # present (made by `ebm depth train`, see assets/depth/), else
                                               # trains with the same settings; writes benchmarks/depth.md
    python benchmarks/depth.py --quick         # a tiny model, a few test images (smoke test)
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core import depth  # noqa: E402
from core.depth import metrics  # noqa: E402
from core.depth.train import DepthTrainer  # noqa: E402
from core.runs import RunDir  # noqa: E402

NOTES = """## Notes: what worked, what did not, and why

- **Convergence.** The first version sampled the energy over every pixel of the log-depth map. It did not
  converge (the seed's observation for its image-conditioned model): E(negatives) − E(data) grew without
  bound and the refinement got worse, because the energy learned to tell the sharp true maps from the
  chains' maps by detail (edges, pixel noise) that 20 Langevin steps could not reproduce, and a blur
  preconditioner only moved the problem. What converges is the residual parametrisation on a coarse
  correction field, z = z₀ + U(c), one value per 4×4 cell, with the data projected on the same cells;
  the predictor's error is almost entirely of low spatial frequency (the first ceiling). With it, (a)
  FRAME trains flat: E(data) − E(negatives) stays near 0 and |c_neg − c_data| does not drift (figure).
  Its smooth |·| response needed ε = 0.05: with ε = 0.01 (curvature 1/ε) the energy became stiff
  and the gap jumped late in training. (b) CNN keeps a slowly growing gap (the data below the
  negatives) and its refinement helps at no step size: the validation calibration picks the smallest
  step, so it is neutral. (b) by NCE with isotropic noise around the target separates target from noise
  perfectly within ~100 steps (loss → 0); such an energy says nothing about the way from the prediction
  to the target, and refining with it is worse at every step size tried.
- **Acceptance: AbsRel improves, δ1 does not.** {frame}
  A supervised residual head with the inputs of (b), trained by L1 on the same targets (the control
  row), does about as well: {control}. So the energy adds nothing measurable over a plain regression
  network here. The first ceiling shows that a perfect correction on the 4×4 cells would bring AbsRel
  to {oracle_cells:.3f}: the representation is not the limit, the predictor's residual is simply not
  predictable from the image by either energy or by the control head. The per-image scale, which
  these scenes leave ambiguous (camera height 1.0–1.8 m, random room and object sizes, no object of
  known size), accounts for AbsRel {initial:.3f} → {oracle_scale:.3f} (second ceiling).
- **Uncertainty.** The std of the Langevin chains (cooled, s = 0.3, as in training) does not point at the
  errors (Spearman ρ ≈ 0, table above).
- **Speed.** The refinement runs on the 60×80 working size (the 240×320 image is resized in and the maps
  out), so one image with T = 20 costs tens of milliseconds on one CPU thread.
"""


QUICK = dict(height=24, width=32, n_train=16, n_eval=4, n_calibrate=8, batch_size=4, base=4, energy_channels=4,
             langevin_steps=5, predictor_steps=20, energy_steps=10, eval_every=10)


def train_run(params: dict, run_path: Path, energy: str = "both", method: str = "ml",
              predictor_from: depth.DepthModel | None = None) -> tuple[depth.DepthModel, list[dict]]:
    """Train (phase 2 only when `predictor_from` is given) into `run_path`; the model and the metric records."""
    tr = DepthTrainer(energy=energy, method=method, **params)
    if predictor_from is not None:
        tr.model.predictor.load_state_dict(predictor_from.predictor.state_dict())
        tr.t = tr.params["predictor_steps"]
    run = RunDir(run_path)
    run.write_config({"trainer": tr.name, "params": tr.config(), "total_steps": tr.total_steps})
    from core.training.base import train_step

    while tr.t < tr.total_steps:
        train_step(tr, run)
    return tr.trained_model(), run.read_metrics()


class ResidualHead(torch.nn.Module):
    """The control: a plain regression head with the inputs of energy (b) (image, predictor features and z₀
    pooled to the correction grid) that outputs the correction field directly, trained by L1."""

    def __init__(self, base: int, coarse_size: tuple[int, int], hidden: int = 32) -> None:
        super().__init__()
        self.coarse_size = coarse_size
        conv = torch.nn.Conv2d
        self.net = torch.nn.Sequential(conv(3 + base + 1, hidden, 3, padding=1), torch.nn.SiLU(),
                                       conv(hidden, hidden, 3, padding=2, dilation=2), torch.nn.SiLU(),
                                       conv(hidden, hidden, 3, padding=4, dilation=4), torch.nn.SiLU(),
                                       conv(hidden, 1, 1))

    def forward(self, image, features, z0):
        x = torch.nn.functional.adaptive_avg_pool2d(torch.cat([image, features, z0[:, None]], 1), self.coarse_size)
        return self.net(x)[:, 0]


def train_residual_head(model: depth.DepthModel, n_train: int, steps: int, batch: int = 16,
                        seed: int = 0) -> tuple[ResidualHead, float]:
    """Fit the control head on the training split with the predictor frozen; (head, seconds)."""
    t0 = time.perf_counter()
    energy = model.energy()
    images, gt = depth.synthetic(n_train, model.size, "train")
    torch.manual_seed(seed)
    head = ResidualHead(model.predictor.base, energy.coarse_size(model.size))
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    model.eval()
    for _ in range(steps):
        idx = torch.randint(0, n_train, (batch,), generator=g)
        with torch.no_grad():
            z0, feats = model.predictor(images[idx])
            valid = metrics.valid_mask(gt[idx])
            target = energy.project(torch.where(valid, gt[idx].clamp_min(1e-3).log(), z0), z0, valid)
        loss = (head(images[idx], feats, z0) - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return head.eval(), time.perf_counter() - t0


@torch.no_grad()
def predict_with_head(model: depth.DepthModel, head: ResidualHead, images: torch.Tensor) -> torch.Tensor:
    """Depth (n, H, W) metres: z₀ + U(head) at the working size, upsampled to the images' size."""
    from core.depth.predict import resize_images, resize_log_depth

    x = resize_images(images, model.size)
    z0, feats = model.predictor(x)
    z = model.energy().depth_of(head(x, feats, z0), z0)
    return resize_log_depth(z, tuple(images.shape[-2:]))


@torch.no_grad()
def oracle_rows(model: depth.DepthModel, images: torch.Tensor, gt: torch.Tensor) -> dict[str, dict]:
    """Ceilings that use the ground truth: the best correction field (what a perfect energy on the 4×4 cells
    could reach) and the per-image global log-offset alone (the monocular scale)."""
    from core.depth.predict import resize_images, resize_log_depth

    x = resize_images(images, model.size)
    z0, _ = model.predictor(x)
    small = torch.nn.functional.interpolate(gt[:, None], size=model.size, mode="area")[:, 0]
    valid = metrics.valid_mask(small)
    z_true = torch.where(valid, small.clamp_min(1e-3).log(), z0)
    e = model.energy()
    best = e.depth_of(e.project(z_true, z0, valid), z0)
    offset = ((z_true - z0) * valid).sum((1, 2), keepdim=True) / valid.sum((1, 2), keepdim=True).clamp_min(1)
    out_size = tuple(images.shape[-2:])
    return {"oracle: initial + the true correction field (4×4 cells)": metrics.compute(resize_log_depth(best, out_size), gt),
            "oracle: initial + each image's true mean log-error (global scale)":
                metrics.compute(resize_log_depth(z0 + offset, out_size), gt)}


def mean_depth_map(size: tuple[int, int], n: int, out_size: tuple[int, int]) -> torch.Tensor:
    """The baseline: the per-pixel mean depth of `n` training scenes, upsampled to `out_size`."""
    _, train_depth = depth.synthetic(n, size, "train")
    m = train_depth.mean(0, keepdim=True)[None]
    return torch.nn.functional.interpolate(m, size=out_size, mode="bilinear", align_corners=False)[0, 0]


def uncertainty_check(pred: torch.Tensor, std: torch.Tensor, gt: torch.Tensor) -> tuple[float, float, float]:
    """(AbsRel of the 10% pixels with the smallest std, of the 10% with the largest, Spearman ρ(std, error))."""
    err = ((pred - gt).abs() / gt).flatten()
    s = (std / pred).flatten()  # relative std
    order = torch.argsort(s)
    k = max(1, order.numel() // 10)
    low, high = float(err[order[:k]].mean()), float(err[order[-k:]].mean())
    rank_s = torch.empty_like(s)
    rank_s[order] = torch.arange(s.numel(), dtype=s.dtype)
    rank_e = torch.empty_like(err)
    rank_e[torch.argsort(err)] = torch.arange(err.numel(), dtype=err.dtype)
    rho = float(torch.corrcoef(torch.stack([rank_s, rank_e]))[0, 1])
    return low, high, rho


def paired_ci(per_image: list[dict], base: list[dict], key: str, n_boot: int = 4000,
              seed: int = 0) -> tuple[float, float, float]:
    """Mean per-image difference of metric `key` (refined − initial) and its 95 % paired-bootstrap interval."""
    d = torch.tensor([a[key] - b[key] for a, b in zip(per_image, base)], dtype=torch.float64)
    idx = torch.randint(0, d.numel(), (n_boot, d.numel()), generator=torch.Generator().manual_seed(seed))
    means = d[idx].mean(1)
    return float(d.mean()), float(means.quantile(0.025)), float(means.quantile(0.975))


def time_inference(model: depth.DepthModel, image: torch.Tensor, energy: str, repeats: int = 5, **kw) -> float:
    """Median seconds of `predict` on one image (after one warm-up call)."""
    depth.predict(model, image, energy=energy, keep_steps=False, **kw)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        depth.predict(model, image, energy=energy, keep_steps=False, **kw)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def images_per_second(records: list[dict], batch: int, phase: int) -> float:
    times = [r["time_per_step"] for r in records if r.get("phase") == phase and "time_per_step" in r]
    return batch / statistics.median(times) if times else float("nan")


def smooth(values: list[float], k: int) -> list[float]:
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= k:
            acc -= values[i - k]
        out.append(acc / min(i + 1, k))
    return out


def plot_curves(records: list[dict], nce_records: list[dict], path: Path, names: list[str]) -> bool:
    """Loss curves of both phases and the validation AbsRel; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    p1 = [r for r in records if r.get("phase") == 1]
    p2 = [r for r in records if r.get("phase") == 2]
    k1 = max(1, len(p1) // 50)
    axes[0].plot([r["step"] for r in p1], smooth([r["loss"] for r in p1], k1), label="L1 log-depth + gradient term")
    axes[0].set_title("phase 1: initial predictor")
    axes[0].set_xlabel("step")
    axes[0].legend()
    k2 = max(1, len(p2) // 30)
    for name, colour in zip(names, ("tab:blue", "tab:orange")):
        if p2 and f"ml_{name}" in p2[0]:
            steps = [r["step"] for r in p2]
            axes[1].plot(steps, smooth([r[f"ml_{name}"] for r in p2], k2), color=colour,
                         label=f"({'a' if name == 'frame' else 'b'}) {name}: E(data) − E(negatives)")
            axes[1].plot(steps, smooth([r[f"neg_error_{name}"] for r in p2], k2), color=colour, ls=":",
                         label=f"{name}: |c_neg − c_data| (cells)")
    if nce_records:
        axes[1].plot([r["step"] for r in nce_records], smooth([r["loss"] for r in nce_records], k2), color="tab:green",
                     label="(b) cnn, NCE loss")
    axes[1].axhline(0, color="grey", lw=0.5)
    axes[1].set_title("phase 2: energies (per cell of the correction field)")
    axes[1].set_xlabel("step")
    axes[1].legend(fontsize=7)
    val = [r for r in records if "val_abs_rel" in r]
    axes[2].plot([r["step"] for r in val], [r["val_abs_rel"] for r in val], "k.-", label="initial predictor")
    for name, colour in zip(names, ("tab:blue", "tab:orange")):
        pts = [r for r in val if f"val_abs_rel_{name}" in r]
        axes[2].plot([r["step"] for r in pts], [r[f"val_abs_rel_{name}"] for r in pts], ".-", color=colour,
                     label=f"refined by {name}")
    pts = [r for r in nce_records if "val_abs_rel_cnn" in r]
    if pts:
        axes[2].plot([r["step"] for r in pts], [r["val_abs_rel_cnn"] for r in pts], ".-", color="tab:green",
                     label="refined by cnn (NCE)")
    axes[2].set_title("validation AbsRel")
    axes[2].set_xlabel("step")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


def phase_summary(records: list[dict], key: str) -> str:
    vals = [r[key] for r in records if key in r]
    if len(vals) < 10:
        return "n/a"
    k = max(1, len(vals) // 10)
    first, last = statistics.mean(vals[:k]), statistics.mean(vals[-k:])
    spread = statistics.pstdev(vals[-k:])
    return f"{first:.4f} → {last:.4f} (last tenth ± {spread:.4f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / "depth-default",
                        help="run directory of `ebm depth train` (its curves); trained here when missing")
    parser.add_argument("--model", type=Path, default=ROOT / "assets" / "depth" / "depth-ebm.pt")
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--size", type=int, nargs=2, default=(240, 320))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-nce", action="store_true", help="skip training (b) by NCE")
    parser.add_argument("--head-steps", type=int, default=1500, help="training steps of the control head")
    parser.add_argument("--markdown", type=Path, default=ROOT / "benchmarks" / "depth.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    size = tuple(args.size)
    if args.quick:
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="depth-bench-"))
        params = {**{s.name: s.default for s in DepthTrainer.param_specs}, **QUICK}
        n_test = min(args.n_test, 6)
        model, records = train_run(params, tmp / "run")
    else:
        n_test = args.n_test
        if args.model.is_file() and (args.run / "metrics.jsonl").is_file():
            model = depth.DepthModel.load(args.model)
            records = RunDir(args.run, create=False).read_metrics()
            defaults = {s.name: s.default for s in DepthTrainer.param_specs}
            params = {**defaults, **{k: v for k, v in model.info.get("params", {}).items() if k in defaults}}
        else:
            params = {s.name: s.default for s in DepthTrainer.param_specs}
            model, records = train_run(params, args.run)
    params = dict(params)
    names = model.energy_names()
    nce_model, nce_records = None, []
    if not args.no_nce:
        nce_run = (tmp if args.quick else ROOT / "runs") / "depth-bench-cnn-nce"
        if nce_run.exists() and (nce_run / "model.pt").is_file() and not args.quick:
            nce_model = depth.DepthModel.load(nce_run / "model.pt")
            nce_records = RunDir(nce_run, create=False).read_metrics()
        else:
            import shutil

            shutil.rmtree(nce_run, ignore_errors=True)
            nce_model, nce_records = train_run({**params, "n_calibrate": params.get("n_calibrate", 128)}, nce_run,
                                               "cnn", "nce", predictor_from=model)
            nce_model.save(nce_run / "model.pt")
    # --- test set ------------------------------------------------------------------------------
    images, gt = depth.synthetic(n_test, size, "test")
    rows: dict[str, dict] = {}
    scaled: dict[str, dict] = {}
    per_image: dict[str, list[dict]] = {}
    baseline = mean_depth_map(model.size, 16 if args.quick else 1000, size).expand(n_test, *size)
    rows["mean-depth baseline (per-pixel mean of 1000 training maps)"] = metrics.compute(baseline, gt)
    scaled["mean-depth baseline"] = metrics.compute(baseline, gt, median_scaling=True)
    initial = depth.predict_initial(model, images)
    rows["initial predictor alone (U-Net)"] = metrics.compute(initial, gt)
    per_image["initial predictor alone (U-Net)"] = metrics.compute(initial, gt, per_image=True)
    scaled["initial predictor alone"] = metrics.compute(initial, gt, median_scaling=True)
    head_steps = 40 if args.quick else args.head_steps
    head, head_seconds = train_residual_head(model, params["n_train"], head_steps)
    controlled = predict_with_head(model, head, images)
    label = "initial + supervised residual head (control: plain regression, inputs of (b))"
    rows[label] = metrics.compute(controlled, gt)
    per_image[label] = metrics.compute(controlled, gt, per_image=True)
    scaled["initial + supervised residual head (control)"] = metrics.compute(controlled, gt, median_scaling=True)
    uncertainty = []
    variants = [(model, name, "ML (Algorithm 1)") for name in names]
    if nce_model is not None:
        variants.append((nce_model, "cnn", "NCE"))
    shrink = 1.0
    for m, name, how in variants:
        label = f"({'a' if name == 'frame' else 'b'}) {name} energy, {how}"
        r = depth.predict(m, images, energy=name, keep_steps=False)
        if name == "frame":
            shrink = float(torch.exp((r.final.log() - initial.log()).mean()))
        s = r.settings
        for row, pred in ((f"initial + {label}: descent, T = {s['steps']}, δ = {s['step_size']:g}", r.final),
                          (f"initial + {label}: mean of {s['n_samples']} Langevin chains (s = {s['noise']:g})", r.mean)):
            rows[row] = metrics.compute(pred, gt)
            per_image[row] = metrics.compute(pred, gt, per_image=True)
        scaled[f"initial + {label}, descent"] = metrics.compute(r.final, gt, median_scaling=True)
        uncertainty.append((label, *uncertainty_check(r.mean, r.std, gt)))
    # --- speed ---------------------------------------------------------------------------------
    one = images[0]
    timing = []
    for m, name, how in variants[: len(names)]:
        timing.append((f"{name}: initial + T = 20 descent + 8 Langevin chains",
                       time_inference(m, one, name, steps=20, repeats=2 if args.quick else 5)))
        timing.append((f"{name}: initial + T = 20 descent only",
                       time_inference(m, one, name, steps=20, n_samples=1, repeats=2 if args.quick else 5)))
    timing.append(("initial predictor alone", statistics.median(
        [(lambda t0: (depth.predict_initial(model, one), time.perf_counter() - t0)[1])(time.perf_counter())
         for _ in range(5)])))
    bs = params["batch_size"]
    speed = [("phase 1 (predictor)", images_per_second(records, bs, 1)),
             (f"phase 2 (ML, {' + '.join(names)}, K = {params['langevin_steps']} Langevin steps)",
              images_per_second(records, bs, 2))]
    if nce_records:
        speed.append((f"phase 2 (NCE, cnn, {params['nce_samples']} noise fields)", images_per_second(nce_records, bs, 2)))
    # --- report --------------------------------------------------------------------------------
    figure = Path(args.markdown).with_suffix(".png")
    have_figure = plot_curves(records, nce_records, figure, names)
    init = rows["initial predictor alone (U-Net)"]
    lines = [f"# Depth EBM on held-out synthetic scenes ({n_test} test images at {size[0]}×{size[1]}, CPU)", "",
             f"Model: working size {model.size[0]}×{model.size[1]}, correction cells of "
             f"{model.energy(names[0]).coarse}×{model.energy(names[0]).coarse} pixels; trained on "
             f"{params['n_train']} scenes of the train split, {params['predictor_steps']} predictor + "
             f"{params['energy_steps']} energy steps of {bs} images; refinement settings chosen on the "
             "validation split. Test scenes use seeds never used in training or validation.", "",
             "## Accuracy (metres, no scaling)", "", metrics.format_table(rows), "",
             "## With per-image median scaling (scale-invariant: monocular depth is ambiguous in scale here)", "",
             metrics.format_table(scaled), ""]
    ceilings = oracle_rows(model, images, gt)
    lines += ["## Ceilings (use the ground truth)", "", metrics.format_table(ceilings), ""]
    lines += ["## What the refinement changes, relative to the initial predictor", "",
              "Paired over the test images: mean per-image difference with its 95 % bootstrap interval.", "",
              "| refinement | AbsRel | ΔAbsRel [95 % CI] | δ1 | Δδ1, points [95 % CI] | RMSE |",
              "|---|---:|---:|---:|---:|---:|"]
    base_rows = per_image["initial predictor alone (U-Net)"]
    for label, m in rows.items():
        if label.startswith("initial +"):
            da, alo, ahi = paired_ci(per_image[label], base_rows, "abs_rel")
            dd, dlo, dhi = paired_ci(per_image[label], base_rows, "d1")
            lines.append(f"| {label[len('initial + '):]} | {100 * (m['abs_rel'] / init['abs_rel'] - 1):+.2f} % | "
                         f"{da:+.4f} [{alo:+.4f}, {ahi:+.4f}] | {100 * (m['d1'] - init['d1']):+.2f} | "
                         f"{100 * dd:+.2f} [{100 * dlo:+.2f}, {100 * dhi:+.2f}] | "
                         f"{100 * (m['rmse'] / init['rmse'] - 1):+.2f} % |")
    lines.append("")
    lines += [f"- the control head was trained for {head_steps} steps of 16 scenes "
              f"({head_seconds:.0f} s) with L1 on the same correction targets", ""]
    lines += ["", "## Does the Langevin std point at the errors?", "",
              "| energy | AbsRel of the 10 % most certain pixels | of the 10 % least certain | Spearman ρ(std, error) |",
              "|---|---:|---:|---:|"]
    lines += [f"| {lab} | {lo:.4f} | {hi:.4f} | {rho:.3f} |" for lab, lo, hi, rho in uncertainty]
    lines += ["", "## Convergence (training curves)", ""]
    if have_figure:
        lines += [f"![loss curves]({figure.name})", ""]
    lines.append(f"- phase 1 loss (first tenth → last tenth): {phase_summary([r for r in records if r.get('phase') == 1], 'loss')}")
    for name in names:
        p2 = [r for r in records if r.get("phase") == 2]
        lines.append(f"- ({'a' if name == 'frame' else 'b'}) {name}, E(data) − E(negatives) per cell: {phase_summary(p2, f'ml_{name}')}")
        lines.append(f"  - |c_neg − c_data| (log-depth per cell): {phase_summary(p2, f'neg_error_{name}')}")
        val = [r for r in records if f"val_abs_rel_{name}" in r]
        if val:
            lines.append(f"  - validation AbsRel refined by {name} (first → last evaluation): "
                         f"{val[0][f'val_abs_rel_{name}']:.4f} → {val[-1][f'val_abs_rel_{name}']:.4f} "
                         f"(initial predictor {val[-1]['val_abs_rel']:.4f})")
    if nce_records:
        lines.append(f"- (b) cnn, NCE loss per cell: {phase_summary(nce_records, 'loss')}")
    lines += ["", "## Speed (CPU, %d thread%s)" % (args.threads, "" if args.threads == 1 else "s"), "",
              "| one 240×320 image | seconds |", "|---|---:|"]
    lines += [f"| {lab} | {sec:.3f} |" for lab, sec in timing]
    lines += ["", "| training | images / s |", "|---|---:|"]
    lines += [f"| {lab} | {v:.1f} |" for lab, v in speed]
    if not args.quick:
        base_rows = per_image["initial predictor alone (U-Net)"]

        def change(label: str) -> str:
            m = rows[label]
            da, alo, ahi = paired_ci(per_image[label], base_rows, "abs_rel")
            dd, dlo, dhi = paired_ci(per_image[label], base_rows, "d1")
            return (f"AbsRel {100 * (m['abs_rel'] / init['abs_rel'] - 1):+.2f} % (per-image change {da:+.4f}, 95 % CI "
                    f"{alo:+.4f}…{ahi:+.4f}), δ1 {100 * dd:+.2f} points (CI {100 * dlo:+.2f}…{100 * dhi:+.2f}), "
                    f"RMSE {100 * (m['rmse'] / init['rmse'] - 1):+.2f} %")

        frame_label = next((k for k in rows if k.startswith("initial + (a) frame") and "descent" in k), None)
        control_label = next(k for k in rows if "control" in k)
        frame_text = "No FRAME energy in this model."
        if frame_label is not None:
            fm, fi = scaled["initial + (a) frame energy, ML (Algorithm 1), descent"], scaled["initial predictor alone"]
            frame_text = (f"Refined by (a) FRAME, the default energy, on the {n_test} test scenes: {change(frame_label)}. "
                          f"It changes the depth by {100 * (shrink - 1):+.1f} % on average (geometric mean), a "
                          "global shift that AbsRel rewards when it shrinks and δ1 does not: with per-image median scaling its "
                          f"AbsRel changes by {100 * (fm['abs_rel'] / fi['abs_rel'] - 1):+.2f} % and δ1 by "
                          f"{100 * (fm['d1'] - fi['d1']):+.2f} points. (b) CNN by ML is neutral and (b) by NCE worse "
                          "(table above).")
        lines += ["", NOTES.format(frame=frame_text, control=change(control_label),
                                   oracle_cells=ceilings["oracle: initial + the true correction field (4×4 cells)"]["abs_rel"],
                                   oracle_scale=ceilings["oracle: initial + each image's true mean log-error (global scale)"]["abs_rel"],
                                   initial=init["abs_rel"])]
    text = "\n".join(lines)
    print(text)
    Path(args.markdown).write_text(text + "\n")
    (Path(args.markdown).with_suffix(".json")).write_text(json.dumps({"rows": rows, "median_scaled": scaled,
                                                                       "timing_s": dict(timing)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
