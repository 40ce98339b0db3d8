"""A deterministic synthetic indoor-scene generator: RGB images and metric depth, no download.

A pinhole camera (NYU Depth v2 intrinsics scaled to the image size) stands inside a room (floor,
four walls, ceiling) holding random boxes, spheres and flat rectangles (tables, screens). Every
surface has a colour and a procedural texture (plain, checker, stripes, waves); shading is
Lambertian from one point light with 1/(1 + d²/d₀²) fall-off plus ambient light, then a little
sensor noise, gamma and 8-bit quantisation. Rays are cast for all images of a chunk at once (vectorised torch).

    images, depth = synthetic(2000, size=(60, 80), split="train")   # (n, 3, H, W) in [0, 1]; (n, H, W) m

Image `i` of a split is drawn from its own seed `SPLITS[split] + start + i`, so the train, validation
and test sets never share a scene and any image can be regenerated alone. Depth is the camera z
coordinate (as in NYU), at most `MAX_DEPTH` metres; every pixel of a synthetic depth map is valid.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

# NYU Depth v2 colour-camera intrinsics at 640×480 (fx, fy, cx, cy), scaled to the requested size.
NYU_INTRINSICS = (518.857901, 519.469611, 325.582449, 253.736166)
NYU_SIZE = (480, 640)
MAX_DEPTH = 10.0
MIN_SIZE, MAX_SIZE = 16, 1024
SPLIT_STRIDE = 1_000_000
SPLITS = {"train": 0, "val": SPLIT_STRIDE, "test": 2 * SPLIT_STRIDE}
N_BOXES, N_SPHERES, N_RECTS = 4, 2, 2
N_ROOM = 6  # floor, ceiling, left, right, back (behind the camera), front wall
N_MATERIALS = N_ROOM + N_BOXES + N_SPHERES + N_RECTS
_N_UNIFORM = 192  # uniforms drawn per scene (one RNG call each; 168 are used)
_EPS = 1e-4


def check_size(size: Sequence[int]) -> tuple[int, int]:
    """(H, W) as ints; ValueError unless both lie in [16, 1024]."""
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (height, width), got {size!r}") from None
    if not (MIN_SIZE <= h <= MAX_SIZE and MIN_SIZE <= w <= MAX_SIZE):
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels per side, got {h}×{w}")
    return h, w


def intrinsics(size: Sequence[int]) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) in pixels: the NYU Depth v2 camera scaled to `size` = (H, W)."""
    h, w = check_size(size)
    fx, fy, cx, cy = NYU_INTRINSICS
    sx, sy = w / NYU_SIZE[1], h / NYU_SIZE[0]
    return fx * sx, fy * sy, cx * sx, cy * sy


def split_seeds(split: str, n: int, start: int = 0) -> list[int]:
    """Seeds of images start … start+n−1 of `split` ("train", "val" or "test"); splits never overlap."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    if isinstance(n, bool) or int(n) != n or n < 1 or start < 0 or start + n > SPLIT_STRIDE:
        raise ValueError(f"need 1 <= n and start + n <= {SPLIT_STRIDE}, got n={n!r}, start={start!r}")
    base = SPLITS[split] + int(start)
    return list(range(base, base + int(n)))


def synthetic(n: int, size: Sequence[int] = (60, 80), split: str = "train", start: int = 0,
              device: str | torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` scenes of `split`: images (n, 3, H, W) float32 in [0, 1], depth (n, H, W) float32 metres."""
    return render(split_seeds(split, n, start), size, device=device)


def render(seeds: Sequence[int], size: Sequence[int] = (60, 80), device: str | torch.device | None = None,
           chunk_pixels: int = 400_000) -> tuple[torch.Tensor, torch.Tensor]:
    """Render one scene per seed: images (n, 3, H, W) in [0, 1], depth (n, H, W) metres (z-depth)."""
    h, w = check_size(size)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("need at least one seed")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    per_chunk = max(1, chunk_pixels // (h * w))
    images, depths = [], []
    for i in range(0, len(seeds), per_chunk):
        img, dep = _render_chunk(seeds[i:i + per_chunk], h, w, dev)
        images.append(img)
        depths.append(dep)
    return torch.cat(images), torch.cat(depths)


# --- scene parameters -------------------------------------------------------------------------
def _uniforms(seeds: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, _N_UNIFORM) uniforms and (n, 2) noise seeds, one generator per scene (order-independent)."""
    rows, noise_seeds = [], []
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        rows.append(torch.rand(_N_UNIFORM, generator=g, dtype=torch.float64))
        noise_seeds.append(int(torch.randint(0, 2**62, (1,), generator=g)))
    return torch.stack(rows), torch.tensor(noise_seeds)


class _Cursor:
    """Hands out consecutive columns of the per-scene uniforms, mapped to [lo, hi)."""

    def __init__(self, u: torch.Tensor) -> None:
        self.u, self.i = u, 0

    def take(self, lo: float | torch.Tensor = 0.0, hi: float | torch.Tensor = 1.0, k: int | None = None) -> torch.Tensor:
        cols = 1 if k is None else k
        v = self.u[:, self.i:self.i + cols]
        self.i += cols
        if self.i > self.u.shape[1]:
            raise RuntimeError("synthetic scene generator ran out of uniforms")  # a programming error
        lo_t = torch.as_tensor(lo, dtype=v.dtype)
        hi_t = torch.as_tensor(hi, dtype=v.dtype)
        if lo_t.dim() == 1:
            lo_t = lo_t[:, None]
        if hi_t.dim() == 1:
            hi_t = hi_t[:, None]
        out = lo_t + (hi_t - lo_t) * v
        return out[:, 0] if k is None else out


def _hsv_to_rgb(hue: torch.Tensor, sat: torch.Tensor, val: torch.Tensor) -> torch.Tensor:
    """HSV in [0, 1] → RGB (..., 3)."""
    k = torch.stack([torch.full_like(hue, 5.0), torch.full_like(hue, 3.0), torch.full_like(hue, 1.0)], -1)
    k = (k + hue[..., None] * 6.0) % 6.0
    return val[..., None] - val[..., None] * sat[..., None] * torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)


def _rot_y(angle: torch.Tensor) -> torch.Tensor:
    c, s = torch.cos(angle), torch.sin(angle)
    z, o = torch.zeros_like(c), torch.ones_like(c)
    return torch.stack([torch.stack([c, z, s], -1), torch.stack([z, o, z], -1), torch.stack([-s, z, c], -1)], -2)


def _rot_x(angle: torch.Tensor) -> torch.Tensor:
    c, s = torch.cos(angle), torch.sin(angle)
    z, o = torch.zeros_like(c), torch.ones_like(c)
    return torch.stack([torch.stack([o, z, z], -1), torch.stack([z, c, -s], -1), torch.stack([z, s, c], -1)], -2)


def _rot_z(angle: torch.Tensor) -> torch.Tensor:
    c, s = torch.cos(angle), torch.sin(angle)
    z, o = torch.zeros_like(c), torch.ones_like(c)
    return torch.stack([torch.stack([c, -s, z], -1), torch.stack([s, c, z], -1), torch.stack([z, z, o], -1)], -2)


def _scene(u: torch.Tensor) -> dict[str, torch.Tensor]:
    """Room, camera, light, objects and materials of each scene from its uniforms (float64)."""
    c = _Cursor(u)
    n = u.shape[0]
    sc: dict[str, torch.Tensor] = {}
    width, length, height = c.take(3.0, 5.5), c.take(4.0, 8.0), c.take(2.4, 3.2)
    sc["room_lo"] = torch.stack([-width / 2, torch.zeros(n, dtype=u.dtype), torch.zeros(n, dtype=u.dtype)], -1)
    sc["room_hi"] = torch.stack([width / 2, height, length], -1)
    cam = torch.stack([c.take(-0.25, 0.25) * width, torch.minimum(c.take(1.0, 1.8), height - 0.3), c.take(0.2, 1.0)], -1)
    sc["origin"] = cam
    yaw, pitch, roll = c.take(-0.5, 0.5), c.take(-0.08, 0.35), c.take(-0.05, 0.05)  # pitch > 0: down
    sc["rotation"] = _rot_y(yaw) @ _rot_x(pitch) @ _rot_z(roll)
    sc["light"] = torch.stack([c.take(-0.35, 0.35) * width, height - 0.15, c.take(0.3, 0.8) * length], -1)
    sc["light_power"] = c.take(0.7, 1.3)
    sc["light_falloff"] = c.take(2.0, 5.0)  # d₀ in metres
    sc["ambient"] = c.take(0.12, 0.3)
    near = cam[:, 2] + 1.0  # objects start at least 1 m in front of the camera
    # boxes standing on the floor, rotated about the vertical axis
    present = c.take(k=N_BOXES) < torch.tensor([0.95, 0.8, 0.6, 0.4], dtype=u.dtype)
    half = torch.stack([c.take(0.15, 0.75, N_BOXES), c.take(0.15, 0.8, N_BOXES), c.take(0.15, 0.6, N_BOXES)], -1)
    bx = (c.take(k=N_BOXES) - 0.5) * (width[:, None] - 0.4)
    bz = near[:, None] + half[..., 2] + c.take(k=N_BOXES) * (length[:, None] - near[:, None] - 2 * half[..., 2]).clamp_min(0)
    sc["box_centre"] = torch.stack([bx, half[..., 1], bz], -1)
    sc["box_half"], sc["box_present"] = half, present
    sc["box_rot"] = _rot_y(c.take(0.0, math.pi / 2, N_BOXES))
    # spheres, on the floor or floating
    radius = c.take(0.15, 0.55, N_SPHERES)
    lift = torch.where(c.take(k=N_SPHERES) < 0.5, torch.zeros_like(radius), c.take(0.0, 1.2, N_SPHERES))
    sx = (c.take(k=N_SPHERES) - 0.5) * (width[:, None] - 0.4)
    sz = near[:, None] + radius + c.take(k=N_SPHERES) * (length[:, None] - near[:, None] - 2 * radius).clamp_min(0)
    sc["sphere_centre"] = torch.stack([sx, radius + lift, sz], -1)
    sc["sphere_radius"] = radius
    sc["sphere_present"] = c.take(k=N_SPHERES) < torch.tensor([0.7, 0.4], dtype=u.dtype)
    # flat rectangles: a table top (horizontal) or a standing screen (vertical, turned about y)
    horizontal = c.take(k=N_RECTS) < 0.5
    ra, rb = c.take(0.3, 0.9, N_RECTS), c.take(0.25, 0.7, N_RECTS)
    rx = (c.take(k=N_RECTS) - 0.5) * (width[:, None] - 0.4)
    rz = near[:, None] + 0.5 + c.take(k=N_RECTS) * (length[:, None] - near[:, None] - 1.0).clamp_min(0)
    ry = torch.where(horizontal, c.take(0.6, 0.95, N_RECTS), rb)  # a screen stands on the floor
    turn = _rot_y(c.take(-1.2, 1.2, N_RECTS))  # (n, R, 3, 3)
    ex, ey, ez = (torch.eye(3, dtype=u.dtype)[i].expand(n, N_RECTS, 3) for i in range(3))
    rot = lambda v: (turn @ v[..., None])[..., 0]  # noqa: E731
    sc["rect_centre"] = torch.stack([rx, ry, rz], -1)
    sc["rect_normal"] = torch.where(horizontal[..., None], ey, rot(ez))
    sc["rect_u"] = rot(ex)
    sc["rect_v"] = torch.where(horizontal[..., None], rot(ez), ey)
    sc["rect_half"] = torch.stack([ra, rb], -1)
    sc["rect_present"] = c.take(k=N_RECTS) < torch.tensor([0.6, 0.35], dtype=u.dtype)
    # materials: room surfaces pale, objects more saturated
    m = N_MATERIALS
    sat_hi = torch.cat([torch.full((N_ROOM,), 0.3), torch.full((m - N_ROOM,), 0.8)]).to(u.dtype)
    val_lo = torch.cat([torch.full((N_ROOM,), 0.55), torch.full((m - N_ROOM,), 0.3)]).to(u.dtype)
    hue, sat, val = c.take(k=m), c.take(k=m) * sat_hi, val_lo + c.take(k=m) * (0.95 - val_lo)
    sc["albedo"] = _hsv_to_rgb(hue, sat, val)  # (n, m, 3)
    sc["pattern"] = (c.take(k=m) * 4).floor().clamp(max=3)  # 0 plain, 1 checker, 2 stripes, 3 waves
    sc["frequency"] = c.take(0.8, 4.0, m)  # cycles per metre
    sc["contrast"] = c.take(0.2, 0.6, m)
    sc["phase"] = c.take(0.0, 2 * math.pi, m)
    return sc


# --- ray casting ------------------------------------------------------------------------------
# Pass 1 finds, per ray, the distance to the nearest surface and which surface it is; pass 2
# computes normals and texture coordinates only for the pixels each surface won.
def _rays(n: int, h: int, w: int, rotation: torch.Tensor) -> torch.Tensor:
    """World directions (n, P, 3) with unit camera-z component, so the hit distance is z-depth."""
    fx, fy, cx, cy = intrinsics((h, w))
    v, u = torch.meshgrid(torch.arange(h, dtype=rotation.dtype, device=rotation.device) + 0.5,
                          torch.arange(w, dtype=rotation.dtype, device=rotation.device) + 0.5, indexing="ij")
    cam = torch.stack([(u - cx) / fx, -(v - cy) / fy, torch.ones_like(u)], -1).reshape(-1, 3)  # y up
    return torch.einsum("nij,pj->npi", rotation, cam)


def _safe(d: torch.Tensor) -> torch.Tensor:
    return torch.where(d.abs() < 1e-9, torch.full_like(d, 1e-9), d)


def _distances(o: torch.Tensor, d: torch.Tensor, sc: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest hit distance (n, P) and surface index (n, P): room faces, then boxes, spheres, rects."""
    ds = _safe(d)
    inv = 1.0 / ds
    bound = torch.where(ds > 0, sc["room_hi"][:, None, :], sc["room_lo"][:, None, :])
    t_best, axis = ((bound - o[:, None, :]) * inv).min(-1)
    positive = torch.gather(ds, -1, axis[..., None])[..., 0] > 0
    surface = torch.tensor([2, 0, 4], device=o.device)[axis] + positive.long()  # floor 0 … front wall 5

    def offer(t: torch.Tensor, hit: torch.Tensor, index: int) -> None:
        nonlocal t_best, surface
        closer = hit & (t < t_best)
        t_best = torch.where(closer, t, t_best)
        surface = torch.where(closer, torch.full_like(surface, index), surface)

    for k in range(N_BOXES):
        rot = sc["box_rot"][:, k]  # box → world; local = rotᵀ world
        oc = torch.einsum("nji,nj->ni", rot, o - sc["box_centre"][:, k])[:, None, :]
        inv_l = 1.0 / _safe(torch.einsum("nji,npj->npi", rot, d))
        half = sc["box_half"][:, k][:, None, :]
        t1, t2 = (-half - oc) * inv_l, (half - oc) * inv_l
        t_near = torch.minimum(t1, t2).amax(-1)
        t_far = torch.maximum(t1, t2).amin(-1)
        offer(t_near, (t_near <= t_far) & (t_near > _EPS) & sc["box_present"][:, k, None], N_ROOM + k)
    for k in range(N_SPHERES):
        oc = (o - sc["sphere_centre"][:, k])[:, None, :]
        a = (d * d).sum(-1)
        b = (oc * d).sum(-1)
        disc = b * b - a * ((oc * oc).sum(-1) - sc["sphere_radius"][:, k, None] ** 2)
        t = (-b - disc.clamp_min(0).sqrt()) / a
        offer(t, (disc > 0) & (t > _EPS) & sc["sphere_present"][:, k, None], N_ROOM + N_BOXES + k)
    for k in range(N_RECTS):
        centre, nrm = sc["rect_centre"][:, k], sc["rect_normal"][:, k]
        t = ((centre - o) * nrm).sum(-1)[:, None] / _safe((d * nrm[:, None, :]).sum(-1))
        rel = o[:, None, :] + t[..., None] * d - centre[:, None, :]
        half = sc["rect_half"][:, k]
        hit = ((rel * sc["rect_u"][:, k, None, :]).sum(-1).abs() <= half[:, None, 0]) \
            & ((rel * sc["rect_v"][:, k, None, :]).sum(-1).abs() <= half[:, None, 1])
        offer(t, hit & (t > _EPS) & sc["rect_present"][:, k, None], N_ROOM + N_BOXES + N_SPHERES + k)
    return t_best, surface


_UV_AXES = torch.tensor([[2, 1], [0, 2], [0, 1]])  # texture coordinates on a face across x, y, z


def _surface_frame(p: torch.Tensor, surface: torch.Tensor, sc: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Outward normals (n, P, 3) and texture coordinates (n, P, 2) at hit points p (n, P, 3)."""
    normal = torch.zeros_like(p)
    uv = torch.zeros(p.shape[:-1] + (2,), dtype=p.dtype, device=p.device)
    uv_axes = _UV_AXES.to(p.device)
    for s in range(N_MATERIALS):
        img, pix = (surface == s).nonzero(as_tuple=True)
        if img.numel() == 0:
            continue
        q = p[img, pix]
        if s < N_ROOM:  # room faces: axis s // 2 (y, x, z order below), inward normal
            axis = (1, 0, 2)[s // 2]
            nrm = torch.zeros_like(q)
            nrm[:, axis] = 1.0 if s % 2 == 0 else -1.0
            st = torch.gather(q, -1, uv_axes[axis].expand(q.shape[0], 2))
        elif s < N_ROOM + N_BOXES:
            k = s - N_ROOM
            rot = sc["box_rot"][img, k]
            local = torch.einsum("mji,mj->mi", rot, q - sc["box_centre"][img, k])
            axis = (local.abs() / sc["box_half"][img, k]).argmax(-1)
            n_local = torch.nn.functional.one_hot(axis, 3).to(q.dtype) * torch.sign(local)
            nrm = torch.einsum("mij,mj->mi", rot, n_local)
            st = torch.gather(local, -1, uv_axes[axis])
        elif s < N_ROOM + N_BOXES + N_SPHERES:
            k = s - N_ROOM - N_BOXES
            r = sc["sphere_radius"][img, k, None]
            nrm = (q - sc["sphere_centre"][img, k]) / r
            st = torch.stack([torch.atan2(nrm[:, 0], nrm[:, 2]), torch.asin(nrm[:, 1].clamp(-1, 1))], -1) * r
        else:
            k = s - N_ROOM - N_BOXES - N_SPHERES
            rel = q - sc["rect_centre"][img, k]
            nrm = sc["rect_normal"][img, k]
            st = torch.stack([(rel * sc["rect_u"][img, k]).sum(-1), (rel * sc["rect_v"][img, k]).sum(-1)], -1)
        normal[img, pix] = nrm
        uv[img, pix] = st
    return normal, uv


def _texture(uv: torch.Tensor, material: torch.Tensor, sc: dict[str, torch.Tensor]) -> torch.Tensor:
    """Pattern brightness factor in (0, 1] per pixel (n, P)."""
    pick = lambda key: torch.gather(sc[key], 1, material)  # noqa: E731
    f, contrast, phase, kind = pick("frequency"), pick("contrast"), pick("phase"), pick("pattern")
    a, b = uv[..., 0] * f, uv[..., 1] * f
    checker = (torch.floor(a) + torch.floor(b)) % 2
    stripes = 0.5 + 0.5 * torch.sin(2 * math.pi * a + phase)
    waves = 0.5 + 0.25 * (torch.sin(2 * math.pi * a + phase) + torch.sin(2 * math.pi * 0.7 * b + 1.7 * a - phase))
    value = torch.where(kind == 1, checker, torch.where(kind == 2, stripes, torch.where(kind == 3, waves, torch.zeros_like(a))))
    return 1.0 - contrast * value


def _render_chunk(seeds: list[int], h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    u, noise_seeds = _uniforms(seeds)
    sc = {k: (v.to(torch.float32) if v.is_floating_point() else v).to(device) for k, v in _scene(u).items()}
    n = len(seeds)
    o = sc["origin"]
    d = _rays(n, h, w, sc["rotation"])
    t, surface = _distances(o, d, sc)
    p = o[:, None, :] + t[..., None] * d
    normal, uv = _surface_frame(p, surface, sc)
    # shading: Lambertian, one point light with fall-off, ambient; normals turned toward the camera
    normal = normal * torch.where((normal * d).sum(-1, keepdim=True) > 0, -1.0, 1.0)
    to_light = sc["light"][:, None, :] - p
    dist2 = (to_light * to_light).sum(-1)
    lambert = ((normal * to_light).sum(-1) * dist2.rsqrt()).clamp_min(0)
    falloff = 1.0 / (1.0 + dist2 / sc["light_falloff"][:, None] ** 2)
    light = sc["ambient"][:, None] + sc["light_power"][:, None] * lambert * falloff
    albedo = torch.gather(sc["albedo"], 1, surface[..., None].expand(-1, -1, 3))
    colour = albedo * (_texture(uv, surface, sc) * light)[..., None]
    noise = torch.stack([torch.randn(h * w, 3, generator=torch.Generator().manual_seed(int(s)))
                         for s in noise_seeds]).to(device)
    colour = (colour.clamp(0, 1) ** (1 / 2.2) + 0.01 * noise).clamp(0, 1)
    colour = torch.round(colour * 255) / 255  # 8-bit, like a camera image (and lossless as uint8 or PNG)
    images = colour.reshape(n, h, w, 3).permute(0, 3, 1, 2).contiguous()
    depth = t.clamp(max=MAX_DEPTH).reshape(n, h, w).contiguous()
    return images, depth
