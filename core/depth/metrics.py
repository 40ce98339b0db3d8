"""Monocular depth metrics over valid ground-truth pixels (REFERENCES §5).

    thr = max(gt/pred, pred/gt);  δ_k = mean(thr < 1.25^k)
    AbsRel = mean(|gt − pred| / gt);  SqRel = mean((gt − pred)² / gt);  RMSE = √mean((gt − pred)²)
    RMSE log = √mean((ln gt − ln pred)²);  log10 = mean(|log10 gt − log10 pred|)

A ground-truth pixel is valid when it is finite and above `min_depth` (and below `max_depth` when
one is given): 0, NaN and ±inf are never averaged in. Predictions are clamped to
[min_depth, max_depth] first, as the usual evaluation code does. Metrics are computed per image
and averaged over images (images without a valid pixel are skipped), as in the Eigen protocol.
"""
from __future__ import annotations

import torch

MIN_DEPTH = 1e-3
NAMES = ("abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "d1", "d2", "d3")
LOWER_IS_BETTER = {"abs_rel": True, "sq_rel": True, "rmse": True, "rmse_log": True, "log10": True,
                   "d1": False, "d2": False, "d3": False}
LABELS = {"abs_rel": "AbsRel", "sq_rel": "SqRel", "rmse": "RMSE", "rmse_log": "RMSE log", "log10": "log10",
          "d1": "δ<1.25", "d2": "δ<1.25²", "d3": "δ<1.25³"}


def valid_mask(depth: torch.Tensor, min_depth: float = MIN_DEPTH, max_depth: float | None = None) -> torch.Tensor:
    """Boolean mask of usable ground truth: finite, > min_depth and (if given) < max_depth; same shape."""
    depth = torch.as_tensor(depth)
    mask = torch.isfinite(depth) & (depth > min_depth)
    if max_depth is not None:
        mask &= depth < max_depth
    return mask


def _as_batch(x: torch.Tensor, name: str) -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.dim() == 2:
        x = x[None]
    if x.dim() != 3:
        raise ValueError(f"{name} must be (H, W) or (n, H, W), got shape {tuple(x.shape)}")
    return x.to(torch.float64)


def compute(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None = None, median_scaling: bool = False,
            min_depth: float = MIN_DEPTH, max_depth: float | None = None, per_image: bool = False
            ) -> dict[str, float] | list[dict[str, float]]:
    """Metrics of pred vs gt, both (H, W) or (n, H, W) metres; `mask` (same shape) restricts the pixels.

    Returns {name: value} averaged over images (plus "n_images", "n_pixels"), or one dict per image
    when `per_image`. `median_scaling` multiplies each prediction by median(gt)/median(pred) first.
    """
    p, g = _as_batch(pred, "pred"), _as_batch(gt, "gt")
    if p.shape != g.shape:
        raise ValueError(f"pred and gt must have the same shape, got {tuple(p.shape)} and {tuple(g.shape)}")
    valid = valid_mask(g, min_depth, max_depth)
    if mask is not None:
        m = torch.as_tensor(mask, dtype=torch.bool)
        m = m[None] if m.dim() == 2 else m
        if m.shape != g.shape:
            raise ValueError(f"mask must have the shape of gt {tuple(g.shape)}, got {tuple(m.shape)}")
        valid &= m
    rows = []
    for i in range(g.shape[0]):
        gi, pi = g[i][valid[i]], p[i][valid[i]]
        if gi.numel() == 0:
            continue
        if median_scaling:
            pi = pi * (gi.median() / pi.median().clamp_min(min_depth))
        pi = pi.nan_to_num(nan=min_depth).clamp(min=min_depth, max=max_depth)
        thr = torch.maximum(gi / pi, pi / gi)
        diff = gi - pi
        rows.append({
            "abs_rel": float((diff.abs() / gi).mean()),
            "sq_rel": float((diff**2 / gi).mean()),
            "rmse": float((diff**2).mean().sqrt()),
            "rmse_log": float(((gi.log() - pi.log()) ** 2).mean().sqrt()),
            "log10": float((gi.log10() - pi.log10()).abs().mean()),
            "d1": float((thr < 1.25).double().mean()),
            "d2": float((thr < 1.25**2).double().mean()),
            "d3": float((thr < 1.25**3).double().mean()),
            "n_pixels": int(gi.numel()),
        })
    if not rows:
        raise ValueError("no valid ground-truth pixels (all are 0, NaN, inf or outside the depth range)")
    if per_image:
        return rows
    out = {k: sum(r[k] for r in rows) / len(rows) for k in NAMES}
    out["n_images"] = len(rows)
    out["n_pixels"] = sum(r["n_pixels"] for r in rows)
    return out


def error_map(pred: torch.Tensor, gt: torch.Tensor, kind: str = "abs", min_depth: float = MIN_DEPTH,
              max_depth: float | None = None) -> torch.Tensor:
    """Per-pixel error, NaN where gt is invalid: "abs" |pred − gt| metres, "abs_rel" |pred − gt|/gt,
    "signed" pred − gt metres. pred, gt: (H, W) or (n, H, W)."""
    p, g = torch.as_tensor(pred, dtype=torch.float32), torch.as_tensor(gt, dtype=torch.float32)
    if p.shape != g.shape:
        raise ValueError(f"pred and gt must have the same shape, got {tuple(p.shape)} and {tuple(g.shape)}")
    if kind == "abs":
        err = (p - g).abs()
    elif kind == "abs_rel":
        err = (p - g).abs() / g
    elif kind == "signed":
        err = p - g
    else:
        raise ValueError(f"unknown error kind {kind!r}; allowed: abs, abs_rel, signed")
    return torch.where(valid_mask(g, min_depth, max_depth), err, torch.full_like(err, float("nan")))


def format_table(rows: dict[str, dict[str, float]], names: tuple[str, ...] = NAMES) -> str:
    """A Markdown table: one row per named result, one column per metric (arrows say which way is better)."""
    head = "| | " + " | ".join(f"{LABELS[k]} {'↓' if LOWER_IS_BETTER[k] else '↑'}" for k in names) + " |"
    lines = [head, "|---" + "|---:" * len(names) + "|"]
    for label, m in rows.items():
        lines.append(f"| {label} | " + " | ".join(f"{m[k]:.4f}" for k in names) + " |")
    return "\n".join(lines)
