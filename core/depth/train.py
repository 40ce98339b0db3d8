"""Training the depth EBM (trainer "depth"): first the initial predictor, then the energies.

Phase 1 (`predictor_steps`): the U-Net predictor by L1 on log-depth plus an L1 term on its x/y
gradients, over valid pixels only (cosine learning-rate decay).

Phase 2 (`energy_steps`): the predictor is frozen and each energy is learned by maximum likelihood,
Algorithm 1 of the seed (REFERENCES §5). The data of an image is its correction field c_data (the
mean of ln D − z₀ over the valid pixels of each cell, see `core.depth.model`); the negatives are
Langevin chains started from the prediction (c = 0, or the chain's last state when `persistent`),
K steps of c ← c − (δ/2)∇E + s·√δ·ξ; then a step on

    mean_i E_learned(c_data,i | X_i) − mean_i E_learned(c̃_i | X_i) + α·(E_pos² + E_neg²)     (energies per cell)

i.e. θ moves along ∂f(D_i) − ∂f(D̃_i) with f = −E; the Gaussian reference has no parameter. What makes
it converge on the whole training set (the seed's image-conditioned version did not): the residual
parametrisation (everything relative to z₀), a coarse correction field (on full-resolution maps the
energy learned to tell sharp data from the sampler's maps by details the chains could not reach, and
diverged), short-run chains from z₀, a small step with cooled noise (s = 0.3), the energy-magnitude
regulariser α and gradient clipping. Energy (b) can instead be learned by NCE or ML-IS with a
two-scale Gaussian proposal around the target, reusing the regression losses (`method="nce"` / `"ml-is"`).
At the end, the refinement step and the default energy are chosen on validation images (`calibrate`).

Data: the synthetic generator (`core.depth.data`), train split for training, validation split for
the curves and the calibration. Multi-GPU/CPU: when torch.distributed is initialised (torchrun), the
modules being trained are wrapped in DistributedDataParallel; every process draws the randomness of
the whole global batch from the same generator and keeps its shard, so N processes take the same step
as one process on the concatenated batch.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any

import torch
from torch import distributed as dist
from torch.nn.parallel import DistributedDataParallel

from core.depth import data as synthetic_data
from core.depth.metrics import compute as compute_metrics
from core.depth.metrics import valid_mask
from core.depth.model import DepthModel
from core.depth.predict import langevin
from core.params import param, resolve_params
from core.regression import losses as reg_losses
from core.training.base import TRAINERS

ENERGY_CHOICES = ("frame", "cnn", "both")
METHODS = ("ml", "nce", "ml-is")
NCE_SIGMAS = (0.03, 0.1)  # log-depth std of the two proposal components around the target (NCE, ML-IS)


@TRAINERS.register("depth")
class DepthTrainer:
    """Steps one global minibatch at a time; phase 1 trains the predictor, phase 2 the energies."""

    name = "depth"
    param_specs = (
        param("height", 60, 16, 480, "working height (pixels)", int),
        param("width", 80, 16, 640, "working width (pixels)", int),
        param("n_train", 4000, 8, 1_000_000, "synthetic training images (train split)", int),
        param("batch_size", 16, 1, 4096, "images per update, over all processes", int),
        param("predictor_steps", 2000, 0, 10_000_000, "updates of phase 1 (initial predictor)", int),
        param("energy_steps", 600, 0, 10_000_000, "updates of phase 2 (energies)", int),
        param("lr", 2e-3, 1e-6, 1.0, "Adam learning rate of the predictor (cosine decay)"),
        param("energy_lr", 3e-4, 1e-7, 1.0, "Adam learning rate of the energies"),
        param("grad_weight", 0.5, 0.0, 10.0, "weight of the L1 gradient term of the predictor loss"),
        param("base", 16, 4, 128, "channels of the predictor's first level", int),
        param("energy_channels", 32, 4, 256, "channels of the CNN energy", int),
        param("coarse", 4, 1, 32, "cell size (pixels) of the correction field c: z = z0 + U(c)", int),
        param("sigma_ref", 0.2, 1e-3, 10.0, "std of the Gaussian reference around z0 (log-depth)"),
        param("langevin_steps", 20, 1, 1000, "Langevin steps K per update (short-run from the prediction)", int),
        param("step_size", 5e-3, 1e-8, 10.0, "Langevin step δ: c ← c − (δ/2)·M∇E + s·√δ·M^½ξ"),
        param("noise", 0.3, 0.0, 10.0, "noise scale s of the Langevin moves (1: exact Langevin; < 1: cooled)"),
        param("smooth", 0.0, 0.0, 50.0, "blur σ (cells) of the Langevin preconditioner M = B² (0: plain ULA)"),
        param("persistent", 0.0, 0.0, 1.0, "probability that a chain continues its last negative (PCD)"),
        param("alpha", 1.0, 0.0, 100.0, "energy-magnitude regulariser α·(E_pos² + E_neg²), per cell"),
        param("clip", 1.0, 0.0, 1e6, "gradient-norm clipping of every update (0: off)"),
        param("nce_samples", 8, 1, 1024, "proposal samples per image (NCE, ML-IS)", int),
        param("eval_every", 100, 0, 1_000_000, "steps between validation metrics (0: never)", int),
        param("n_eval", 32, 1, 100_000, "validation images for the curves", int),
        param("n_calibrate", 128, 0, 100_000, "validation images to choose the refinement step (0: keep step_size)",
              int),
        param("amp", 0, 0, 1, "mixed precision (bfloat16/float16 autocast) when 1", int),
    )

    def __init__(self, energy: str = "both", method: str = "ml", seed: int = 0, device: str = "cpu",
                 distributed: bool | None = None, **params: Any) -> None:
        if energy not in ENERGY_CHOICES:
            raise ValueError(f"unknown depth energy {energy!r}; allowed: {', '.join(ENERGY_CHOICES)}")
        if method not in METHODS:
            raise ValueError(f"unknown depth training method {method!r}; allowed: {', '.join(METHODS)}")
        if method != "ml" and energy == "frame":
            raise ValueError("NCE / ML-IS train the CNN energy only; use energy='cnn' or 'both' (frame then uses ml)")
        self.params = resolve_params("trainer 'depth'", self.param_specs, params)
        self.energy_kind, self.method, self.seed, self.device_name = energy, method, int(seed), str(device)
        self.distributed = dist.is_available() and dist.is_initialized() if distributed is None else bool(distributed)
        self.world = dist.get_world_size() if self.distributed else 1
        self.rank = dist.get_rank() if self.distributed else 0
        p = self.params
        if p["batch_size"] % self.world:
            raise ValueError(f"batch_size {p['batch_size']} must be a multiple of the number of processes {self.world}")
        self.device = self._resolve_device(device)
        self.size = (p["height"], p["width"])
        images, depth = synthetic_data.synthetic(p["n_train"], self.size, "train")
        self.images = (images * 255).round().to(torch.uint8)  # lossless: the generator quantises to 8 bits
        self.depth = depth
        self.val_images, self.val_depth = synthetic_data.synthetic(p["n_eval"], self.size, "val")
        names = ("frame", "cnn") if energy == "both" else (energy,)
        cfgs = {"frame": {"kind": "frame", "sigma_ref": p["sigma_ref"], "coarse": p["coarse"]},
                "cnn": {"kind": "cnn", "sigma_ref": p["sigma_ref"], "coarse": p["coarse"],
                        "channels": p["energy_channels"]}}
        torch.manual_seed(self.seed)  # identical initial weights in every process
        self.model = DepthModel(self.size, p["base"], {n: cfgs[n] for n in names}).to(self.device)
        self.model.refine = {n: self._refine_settings() for n in names}
        self.opt_predictor = torch.optim.Adam(self.model.predictor.parameters(), lr=p["lr"])
        self.opt_energy = {n: torch.optim.Adam(self.model.energies[n].parameters(), lr=p["energy_lr"], betas=(0.5, 0.999))
                           for n in names}
        self._ddp: dict[str, torch.nn.Module] = {}
        self.generator = torch.Generator().manual_seed(self.seed)
        self.t, self.epoch, self._cursor = 0, 0, 0
        self._order = torch.randperm(p["n_train"], generator=self.generator)
        self.buffer: torch.Tensor | None = None
        self.amp_dtype = None
        if p["amp"]:
            self.amp_dtype = torch.bfloat16 if self.device.type == "cpu" or (
                self.device.type == "cuda" and torch.cuda.is_bf16_supported()) else torch.float16
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)

    # --- setup ----------------------------------------------------------------------------
    def _resolve_device(self, device: str) -> torch.device:
        from core.device import pick

        dev = pick(None if device in (None, "auto") else device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but CUDA is not available here; use cpu or auto")
        if dev.type == "cuda" and dev.index is None and self.distributed:
            import os

            dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", self.rank)))
            torch.cuda.set_device(dev)
        return dev

    def _refine_settings(self) -> dict[str, Any]:
        p = self.params
        return {"step_size": p["step_size"], "noise": p["noise"], "smooth": p["smooth"], "steps": p["langevin_steps"],
                "n_samples": 8, "mode": "descent"}

    def _wrap(self, key: str, module: torch.nn.Module) -> torch.nn.Module:
        """The DDP wrapper of `module` (made once), or the module itself in a single process."""
        if not self.distributed:
            return module
        if key not in self._ddp:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self._ddp[key] = DistributedDataParallel(module, device_ids=ids)
        return self._ddp[key]

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    # --- protocol -------------------------------------------------------------------------
    @property
    def total_steps(self) -> int:
        """Updates of both phases."""
        return self.params["predictor_steps"] + self.params["energy_steps"]

    @property
    def phase(self) -> str:
        """"predictor" (phase 1) or "energy" (phase 2): what the next step trains."""
        return "predictor" if self.t < self.params["predictor_steps"] else "energy"

    @property
    def steps_per_epoch(self) -> int:
        """Updates per pass over the training scenes."""
        return math.ceil(self.params["n_train"] / self.params["batch_size"])

    def config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this trainer."""
        return {"energy": self.energy_kind, "method": self.method, "seed": self.seed, "device": self.device_name,
                **self.params}

    def step(self) -> dict[str, Any]:
        """One update of the current phase; every `eval_every` steps adds validation metrics."""
        if self.t < self.params["predictor_steps"]:
            out = self._predictor_step()
        else:
            out = self._energy_step()
        self.t += 1
        out["epoch"] = self.epoch
        every = self.params["eval_every"]
        if every and (self.t % every == 0 or self.t == self.params["predictor_steps"] or self.t == self.total_steps):
            out.update(self.evaluate())
        if self.t == self.total_steps and self.params["energy_steps"] and self.params["n_calibrate"]:
            out.update(self.calibrate())
        return out

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly (weights, optimisers, generator, data order, calibration)."""
        return {"t": self.t, "epoch": self.epoch, "cursor": self._cursor, "order": self._order,
                "model": self.model.state_dict(), "opt_predictor": self.opt_predictor.state_dict(),
                "opt_energy": {k: o.state_dict() for k, o in self.opt_energy.items()},
                "generator": self.generator.get_state(), "buffer": self.buffer, "scaler": self.scaler.state_dict(),
                "refine": self.model.refine, "default_energy": self.model.default_energy}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a `state_dict`."""
        self.t, self.epoch, self._cursor, self._order = state["t"], state["epoch"], state["cursor"], state["order"]
        self.model.load_state_dict(state["model"])
        self.opt_predictor.load_state_dict(state["opt_predictor"])
        for k, o in self.opt_energy.items():
            o.load_state_dict(state["opt_energy"][k])
        self.generator.set_state(state["generator"])
        self.buffer = state.get("buffer")
        if state.get("refine"):
            self.model.refine = {k: dict(v) for k, v in state["refine"].items()}
            self.model.default_energy = state.get("default_energy", self.model.default_energy)
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])

    def trained_model(self) -> DepthModel:
        """The model being trained (shared weights), with its refinement settings and provenance."""
        self.model.info = {"trainer": self.name, "params": self.config(), "steps": self.t}
        return self.model

    # --- data -------------------------------------------------------------------------------
    def _shard(self, x: torch.Tensor) -> torch.Tensor:
        """This process's contiguous part of a global-batch tensor."""
        b = x.shape[0] // self.world
        return x[self.rank * b:(self.rank + 1) * b]

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(indices, images (b, 3, H, W), depth (b, H, W)) of this process, randomly flipped."""
        n, bs = self.params["n_train"], self.params["batch_size"]
        if self._cursor + bs > n:
            self.epoch += 1
            self._cursor = 0
            self._order = torch.randperm(n, generator=self.generator)
        idx = self._order[self._cursor:self._cursor + bs]
        if idx.numel() < bs:  # a training set smaller than one batch: wrap around
            idx = idx.repeat(math.ceil(bs / max(1, idx.numel())))[:bs]
        self._cursor += bs
        flips = torch.rand(bs, generator=self.generator) < 0.5
        idx, flips = self._shard(idx), self._shard(flips)
        img = self.images[idx].float() / 255.0
        dep = self.depth[idx]
        img = torch.where(flips[:, None, None, None], img.flip(-1), img)
        dep = torch.where(flips[:, None, None], dep.flip(-1), dep)
        return idx, img.to(self.device), dep.to(self.device)

    def _noise(self, *shape: int) -> torch.Tensor:
        """Standard normal noise for the global batch (first axis), this process's shard, on the device."""
        return self._shard(torch.randn(self.params["batch_size"], *shape, generator=self.generator)).to(self.device)

    # --- phase 1 ----------------------------------------------------------------------------
    def _predictor_step(self) -> dict[str, Any]:
        p = self.params
        _, img, dep = self._batch()
        frac = self.t / max(1, p["predictor_steps"])
        for group in self.opt_predictor.param_groups:
            group["lr"] = p["lr"] * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        self.model.predictor.train()
        net = self._wrap("predictor", self.model.predictor)
        with self._autocast():
            z, _ = net(img)
        loss = predictor_loss(z.float(), dep, p["grad_weight"])
        self.opt_predictor.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        gnorm = self._clip(self.opt_predictor, self.model.predictor.parameters())
        self.scaler.step(self.opt_predictor)
        self.scaler.update()
        return {"loss": loss.item(), "phase": 1, "grad_norm": gnorm}

    def _clip(self, opt: torch.optim.Optimizer, params) -> float:
        self.scaler.unscale_(opt)
        params = list(params)
        if self.params["clip"] > 0:
            return float(torch.nn.utils.clip_grad_norm_(params, self.params["clip"]))
        return float(torch.sqrt(sum((q.grad.float() ** 2).sum() for q in params if q.grad is not None)))

    # --- phase 2 ----------------------------------------------------------------------------
    def _energy_step(self) -> dict[str, Any]:
        p = self.params
        idx, img, dep = self._batch()
        self.model.predictor.eval()
        with torch.no_grad(), self._autocast():
            z0, feats = self.model.predictor(img)
        z0, feats = z0.float(), feats.float()
        valid = valid_mask(dep)
        z_true = torch.where(valid, dep.clamp_min(1e-3).log(), z0)  # invalid pixels carry no information
        out: dict[str, Any] = {"phase": 2}
        total = 0.0
        for name, e_mod in self.model.energies.items():
            e_mod.train()
            c_data = e_mod.project(z_true, z0, valid)  # the data's correction field
            if self.method == "ml" or name == "frame":
                loss, extra = self._ml_loss(name, e_mod, idx, img, feats, z0, c_data)
            else:
                loss, extra = self._nce_loss(name, e_mod, img, feats, z0, c_data)
            opt = self.opt_energy[name]
            opt.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            extra[f"grad_norm_{name}"] = self._clip(opt, e_mod.parameters())
            self.scaler.step(opt)
            self.scaler.update()
            out[f"loss_{name}"] = loss.item()
            out.update(extra)
            total += loss.item()
        out["loss"] = total
        return out

    def _ml_loss(self, name, e_mod, idx, img, feats, z0, c_data):
        """Algorithm 1: short-run Langevin negatives from the prediction (c = 0) or the persistent buffer,
        then ML + the energy-magnitude regulariser (energies per cell of the correction field)."""
        p = self.params
        hw = c_data.shape[-1] * c_data.shape[-2]
        with torch.no_grad(), self._autocast():
            ctx = e_mod.context(img, feats, z0)
        ctx = tuple(c.float() for c in ctx) if isinstance(ctx, tuple) else ctx.float()
        start = torch.zeros_like(c_data)
        if p["persistent"] > 0:
            if self.buffer is None:
                self.buffer = torch.full((p["n_train"],) + tuple(c_data.shape[-2:]), float("nan"), dtype=torch.float16)
            keep = self._shard(torch.rand(p["batch_size"], generator=self.generator) < p["persistent"])
            old = self.buffer[idx].float().to(self.device)
            use = keep.to(self.device)[:, None, None] & torch.isfinite(old)
            start = torch.where(use, old, start)
        with self._autocast():
            c_neg = langevin(e_mod, ctx, z0, start, p["langevin_steps"], p["step_size"], p["noise"], "langevin",
                             p["smooth"], draw_noise=lambda t: self._noise(*c_data.shape[-2:]))
        c_neg = c_neg.float()
        if p["persistent"] > 0:
            self.buffer[idx] = c_neg.cpu().half()  # per process; a flipped image continues an unflipped chain
        net = self._wrap(f"energy_{name}", e_mod)
        with self._autocast():
            e = net(torch.cat([c_data, c_neg]), img, feats, z0).float() / hw
        b = z0.shape[0]
        e_pos, e_neg = e[:b], e[b:]
        ml = e_pos.mean() - e_neg.mean()
        reg = p["alpha"] * (e_pos**2 + e_neg**2).mean()
        with torch.no_grad():
            gap = (c_neg - c_data).abs().mean()
        return ml + reg, {f"ml_{name}": ml.item(), f"e_pos_{name}": e_pos.mean().item(),
                          f"e_neg_{name}": e_neg.mean().item(), f"neg_error_{name}": gap.item()}

    def _nce_loss(self, name, e_mod, img, feats, z0, c_data):
        """NCE / ML-IS with M correction fields per image drawn around the target from a two-scale
        Gaussian mixture q(c | c_i) = ½ Σ_k N(c; c_i, σ_k² I) (the regression losses, REFERENCES §3)."""
        p = self.params
        m, b = p["nce_samples"], c_data.shape[0]
        size = tuple(c_data.shape[-2:])
        hw = size[0] * size[1]
        comp = self._shard(torch.randint(0, len(NCE_SIGMAS), (p["batch_size"], m), generator=self.generator))
        eps = self._noise(m, *size)  # (b, m, h, w)
        sig = torch.tensor(NCE_SIGMAS, dtype=torch.float32)
        sd = sig[comp].to(self.device)
        samples = c_data[:, None] + sd[..., None, None] * eps
        sq = (eps**2).sum((2, 3)) * sd**2  # ‖c − c_i‖², (b, m)
        sig_d = sig.to(self.device).double()

        def log_q(sqd: torch.Tensor) -> torch.Tensor:  # constants common to every field dropped
            comps = -hw * torch.log(sig_d) - sqd.double()[..., None] / (2 * sig_d**2)
            return (torch.logsumexp(comps, -1) - math.log(len(NCE_SIGMAS))).float()

        lq, lq0 = log_q(sq), log_q(torch.zeros(b, device=self.device))
        net = self._wrap(f"energy_{name}", e_mod)
        fields = torch.cat([c_data[None], samples.transpose(0, 1)]).reshape(-1, *size)  # (1+m)·b fields
        with self._autocast():
            learned = net(fields, img, feats, z0).float()
        f = -(learned + e_mod.reference(fields)).view(m + 1, b)
        f_true, f_s = f[0], f[1:].T
        # the logits are in nats per field; dividing by h·w keeps the loss and its gradients per cell
        if self.method == "nce":
            loss = reg_losses.nce(f_true, f_s, lq0, lq) / hw
        else:
            loss = reg_losses.ml_is(f_true, f_s, lq) / hw
        return loss, {f"e_pos_{name}": (-f_true).mean().item() / hw, f"e_neg_{name}": (-f_s).mean().item() / hw}

    # --- validation -------------------------------------------------------------------------
    @torch.no_grad()
    def _refined(self, name: str, img: torch.Tensor, feats: torch.Tensor, z0: torch.Tensor,
                 settings: dict[str, Any]) -> torch.Tensor:
        """Depth (n, H, W) metres refined by energy `name` with descent (noise-free, as `predict` does)."""
        e_mod = self.model.energies[name]
        c0 = torch.zeros((z0.shape[0],) + e_mod.coarse_size(self.size), device=self.device)
        c = langevin(e_mod, e_mod.context(img, feats, z0), z0, c0, settings["steps"], settings["step_size"], 0.0,
                     "descent", settings["smooth"])
        return e_mod.depth_of(c, z0).exp()

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """AbsRel and δ1 on the validation images: predictor alone and (phase 2) refined by each energy."""
        self.model.eval()
        img, gt = self.val_images.to(self.device), self.val_depth.to(self.device)
        z0, feats = self.model.predictor(img)
        m = compute_metrics(z0.exp().cpu(), gt.cpu())
        out = {"val_abs_rel": m["abs_rel"], "val_d1": m["d1"]}
        if self.t > self.params["predictor_steps"]:
            for name in self.model.energies:
                m = compute_metrics(self._refined(name, img, feats, z0, self.model.refine[name]).cpu(), gt.cpu())
                out[f"val_abs_rel_{name}"], out[f"val_d1_{name}"] = m["abs_rel"], m["d1"]
        return out

    @torch.no_grad()
    def calibrate(self, factors: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)) -> dict[str, float]:
        """Choose each energy's refinement step (step_size × factor, descent, T = langevin_steps) and the
        default energy by AbsRel on `n_calibrate` validation images (never the test split)."""
        self.model.eval()
        img, gt = synthetic_data.synthetic(self.params["n_calibrate"], self.size, "val")
        img, gt = img.to(self.device), gt.cpu()
        z0, feats = self.model.predictor(img)
        base = compute_metrics(z0.exp().cpu(), gt)
        out = {"calib_abs_rel_initial": base["abs_rel"]}
        best_name, best_value = None, math.inf
        for name in self.model.energies:
            scores = []
            for f in factors:
                settings = {**self.model.refine[name], "step_size": self.params["step_size"] * f}
                m = compute_metrics(self._refined(name, img, feats, z0, settings).cpu(), gt)
                scores.append((m["abs_rel"], -m["d1"], f))
            abs_rel, _, f = min(scores)
            self.model.refine[name]["step_size"] = self.params["step_size"] * f
            out[f"calib_abs_rel_{name}"], out[f"calib_step_{name}"] = abs_rel, self.params["step_size"] * f
            if abs_rel < best_value:
                best_name, best_value = name, abs_rel
        self.model.default_energy = best_name
        return out


def predictor_loss(z: torch.Tensor, depth: torch.Tensor, grad_weight: float = 0.5) -> torch.Tensor:
    """L1 on log-depth plus `grad_weight`·L1 on its x/y differences, over valid pixels; per-image means
    averaged over images. z: (n, H, W) log-depth; depth: (n, H, W) metres (invalid: 0/NaN/inf)."""
    valid = valid_mask(depth)
    target = torch.where(valid, depth.clamp_min(1e-3).log(), z.detach())
    diff = z - target
    vf = valid.float()
    per_image = (diff.abs() * vf).sum((1, 2)) / vf.sum((1, 2)).clamp_min(1)
    if grad_weight > 0:
        for dim in (1, 2):
            g = diff.diff(dim=dim).abs()
            gv = vf.narrow(dim, 1, vf.shape[dim] - 1) * vf.narrow(dim, 0, vf.shape[dim] - 1)
            per_image = per_image + grad_weight * (g * gv).sum((1, 2)) / gv.sum((1, 2)).clamp_min(1)
    return per_image.mean()


def train(steps: int | None = None, callback=None, **kwargs: Any) -> DepthModel:
    """Train a depth model with DepthTrainer(**kwargs) for `steps` updates (default: both phases)."""
    trainer = DepthTrainer(**kwargs)
    total = trainer.total_steps if steps is None else int(steps)
    while trainer.t < total:
        metrics = trainer.step()
        if not math.isfinite(metrics["loss"]):
            raise ValueError(f"depth training: loss became {metrics['loss']} at step {trainer.t}")
        if callback is not None:
            callback(trainer, metrics)
    return trainer.trained_model()
