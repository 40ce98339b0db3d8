"""Back-projection of a depth map to a coloured 3D point cloud with the (scaled NYU) pinhole camera."""
from __future__ import annotations

import math

import torch

from core.depth.data import intrinsics


def point_cloud(depth: torch.Tensor, image: torch.Tensor | None = None, max_points: int = 60_000,
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Points (n, 3) in metres (x right, y down, z forward) of depth (H, W), with colours (n, 3) in [0, 1]
    from image (3, H, W) when given; invalid depths (≤ 0, NaN, inf) are left out; a regular stride keeps
    at most `max_points`."""
    d = torch.as_tensor(depth, dtype=torch.float32)
    if d.dim() != 2:
        raise ValueError(f"depth must be (H, W), got shape {tuple(d.shape)}")
    h, w = d.shape
    if image is not None and tuple(image.shape) != (3, h, w):
        raise ValueError(f"image must be (3, {h}, {w}) to colour a ({h}, {w}) depth map, got {tuple(image.shape)}")
    stride = max(1, math.ceil(math.sqrt(h * w / max(1, max_points))))
    fx, fy, cx, cy = intrinsics((h, w))
    v, u = torch.meshgrid(torch.arange(0, h, stride, dtype=torch.float32),
                          torch.arange(0, w, stride, dtype=torch.float32), indexing="ij")
    z = d[::stride, ::stride]
    keep = torch.isfinite(z) & (z > 0)
    x = (u - cx) / fx * z
    y = (v - cy) / fy * z
    points = torch.stack([x[keep], y[keep], z[keep]], 1)
    colours = None if image is None else image[:, ::stride, ::stride].permute(1, 2, 0)[keep].clamp(0, 1)
    return points, colours
