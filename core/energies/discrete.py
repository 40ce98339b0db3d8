"""Discrete energy models: an Ising grid for binary image denoising and a binary RBM, with exact
log partition functions by enumeration and annealed importance sampling (AIS) for larger RBMs.

    ising = IsingGrid.denoising(binary_test_image(32), p=0.1, J=1.0, seed=0)   # spins in {−1, +1}
    rbm = RBM(64, 100)                                                           # units in {0, 1}
    exact_log_partition(RBM(12, 8)) ; ais_log_partition(rbm, n_chains=100, n_betas=10000, seed=0)

States are flat: Ising chains are (n, H*W) (`ising.image(x)` gives (n, H, W)), RBM chains are the
visible units (n, n_visible). Density `p(x) ∝ exp(−E(x)/T)` as everywhere in `core`. These models
carry `discrete = True` and are *not* `core.energies.Energy` objects: the continuous registry
(`energies.names()`) and the continuous samplers never see them; `names()` / `create()` here list them.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar, NamedTuple, Sequence

import torch
import torch.nn.functional as F

from core.params import ParamSpec, param
from core.registry import Registry

Tensor = torch.Tensor

MAX_ENUMERATED_UNITS = 20  # 2**20 ≈ 10⁶ states: exact sums stay under a second on a CPU

DISCRETE: Registry[type] = Registry("discrete model")


def names() -> list[str]:
    """Registered discrete models ("ising", "rbm"); the continuous ones are `core.energies.names()`."""
    return DISCRETE.names()


def create(name: str, **params: Any) -> "DiscreteModel":
    """Build discrete model `name` with `params`; ValueError on an unknown name."""
    return DISCRETE.get(name)(**params)


def enumerate_states(n: int, values: tuple[float, float] = (0.0, 1.0), dtype: torch.dtype = torch.float64,
                     start: int = 0, stop: int | None = None) -> Tensor:
    """All configurations `start … stop−1` of `n` binary units, (stop − start, n), unit 0 = lowest bit."""
    stop = 2 ** n if stop is None else stop
    codes = torch.arange(start, stop, dtype=torch.int64)
    bits = (codes[:, None] >> torch.arange(n, dtype=torch.int64)) & 1
    lo, hi = values
    return lo + (hi - lo) * bits.to(dtype)


def _check_enumerable(what: str, n: int) -> None:
    if n > MAX_ENUMERATED_UNITS:
        raise ValueError(f"{what}: enumeration needs 2^{n} states; allowed up to {MAX_ENUMERATED_UNITS} units "
                         f"(use ais_log_partition for larger RBMs)")


class DiscreteModel(torch.nn.Module):
    """Base of the discrete models: `dim` binary units taking `values`; `forward(x)` is the energy."""

    discrete: ClassVar[bool] = True
    name: ClassVar[str] = "discrete"
    values: ClassVar[tuple[float, float]] = (0.0, 1.0)
    param_specs: ClassVar[tuple[ParamSpec, ...]] = ()
    dim: int

    @property
    def device(self) -> torch.device:
        """Device of the parameters or buffers (cpu when there are none)."""
        for t in list(self.parameters()) + list(self.buffers()):
            return t.device
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        """The parameters' dtype, float32 when the model has none."""
        for p in self.parameters():
            return p.dtype
        return torch.float32

    def random_state(self, n: int, generator: torch.Generator, dtype: torch.dtype | None = None) -> Tensor:
        """`n` uniformly random configurations, (n, dim)."""
        bits = torch.rand(n, self.dim, generator=generator, device=generator.device) < 0.5
        lo, hi = self.values
        return torch.where(bits, hi, lo).to(dtype or self.dtype)

    def check_state(self, x: Tensor) -> None:
        """ValueError unless every entry of `x` is one of `values`."""
        lo, hi = self.values
        if not ((x == lo) | (x == hi)).all():
            raise ValueError(f"{self.name} states take the values {lo:g} and {hi:g} only")


# --- Ising grid -----------------------------------------------------------------------------
@DISCRETE.register("ising")
class IsingGrid(DiscreteModel):
    """Spins x ∈ {−1, +1}^(H·W) on a 4-neighbour grid (free boundary):
    E(x) = −J Σ_<ij> x_i x_j − h Σ_i y_i x_i, y the observed image (±1) or none.

    J > 0 favours equal neighbours (smoothness); h pulls each spin towards its observation: for
    pixels flipped with probability p the Bayesian value is h = ½ log((1 − p)/p). The temperature
    belongs to the sampler: p(x | y) ∝ exp(−E(x)/T).
    """

    name = "ising"
    values = (-1.0, 1.0)
    param_specs = (
        param("J", 1.0, -5.0, 5.0, "coupling between 4-neighbours (> 0: smooth images)"),
        param("h", 1.1, 0.0, 10.0, "pull of each spin towards its observed pixel; ½ log((1−p)/p) for flip rate p"),
    )

    def __init__(self, shape: Sequence[int] = (32, 32), J: float = 1.0, h: float = 0.0,
                 y_obs: Tensor | None = None, clean: Tensor | None = None) -> None:
        super().__init__()
        H, W = (int(s) for s in shape)
        if H < 1 or W < 1:
            raise ValueError(f"shape must be two positive sizes (H, W), got {tuple(shape)}")
        self.shape, self.dim = (H, W), H * W
        self.J, self.h = float(J), float(h)
        self.register_buffer("y_obs", self._image_buffer(y_obs, "y_obs"))
        self.register_buffer("clean", self._image_buffer(clean, "clean"))
        idx = torch.arange(H * W).reshape(H, W)
        colour = (idx // W + idx % W) % 2
        self.register_buffer("colours", torch.stack([colour.flatten() == 0, colour.flatten() == 1]))
        pad = torch.full((H + 2, W + 2), H * W, dtype=torch.int64)  # H*W: a slot that always holds 0
        pad[1:-1, 1:-1] = idx
        nbrs = torch.stack([pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]], -1)
        self.register_buffer("neighbours", nbrs.reshape(H * W, 4))

    def _image_buffer(self, image: Tensor | None, what: str) -> Tensor | None:
        if image is None:
            return None
        img = torch.as_tensor(image, dtype=torch.float32).reshape(-1)
        if img.numel() != self.dim:
            raise ValueError(f"{what} must have {self.shape[0]}×{self.shape[1]} pixels, got {img.numel()}")
        self.check_state(img)
        return img

    @classmethod
    def denoising(cls, clean: Tensor, p: float = 0.1, J: float = 1.0, h: float | None = None,
                  seed: int = 0) -> "IsingGrid":
        """Posterior of a clean ±1 image (H, W) given a copy with a fraction `p` of pixels flipped;
        h None → the Bayesian ½ log((1 − p)/p) (1 when p is outside (0, ½))."""
        noisy = flip_noise(clean, p, seed, values=cls.values)
        if h is None:
            h = 0.5 * math.log((1 - p) / p) if 0 < p < 0.5 else 1.0
        return cls(tuple(clean.shape), J=J, h=h, y_obs=noisy, clean=clean)

    def image(self, x: Tensor) -> Tensor:
        """Flat states (..., H*W) → images (..., H, W)."""
        return x.reshape(*x.shape[:-1], *self.shape)

    def _unary(self, x: Tensor) -> Tensor:
        return self.y_obs.to(x) if self.y_obs is not None else torch.zeros(self.dim, dtype=x.dtype, device=x.device)

    def forward(self, x: Tensor) -> Tensor:
        """Energy of spins x: (..., H*W) → (...)."""
        img = self.image(x)
        pair = (img[..., 1:, :] * img[..., :-1, :]).sum((-1, -2)) + (img[..., :, 1:] * img[..., :, :-1]).sum((-1, -2))
        return -self.J * pair - self.h * (x * self._unary(x)).sum(-1)

    def local_field(self, x: Tensor) -> Tensor:
        """f_i = J Σ_{j ∈ N(i)} x_j + h y_i, so E = −x_i f_i + (terms without x_i); (..., H*W) → (..., H*W)."""
        padded = F.pad(self.image(x), (1, 1, 1, 1))
        nb = padded[..., :-2, 1:-1] + padded[..., 2:, 1:-1] + padded[..., 1:-1, :-2] + padded[..., 1:-1, 2:]
        return self.J * nb.reshape(x.shape) + self.h * self._unary(x)

    def site_field(self, x: Tensor, i: int) -> Tensor:
        """Local field of site `i` alone: x (n, H*W) → (n,)."""
        ext = F.pad(x, (0, 1))  # the extra slot H*W is the zero outside the grid
        return self.J * ext[:, self.neighbours[i]].sum(-1) + self.h * self._unary(x)[i]

    def conditional_up(self, x: Tensor, temperature: float = 1.0) -> Tensor:
        """p(x_i = +1 | all other spins) = σ(2 f_i / T) for every site; (..., H*W) → (..., H*W)."""
        return torch.sigmoid(2.0 * self.local_field(x) / temperature)

    def error_rate(self, x: Tensor, clean: Tensor | None = None) -> Tensor:
        """Fraction of pixels of x (..., H*W) that differ from `clean` (default: the model's) → (...)."""
        ref = self.clean if clean is None else torch.as_tensor(clean).reshape(-1)
        if ref is None:
            raise ValueError("no clean image to compare with: build the model with clean=... or pass one")
        return (x != ref.to(x)).to(torch.float32).mean(-1)

    def exact_log_partition(self, temperature: float = 1.0) -> float:
        """log Σ_x exp(−E(x)/T) by enumerating the 2^(H·W) states (at most 20 spins)."""
        _check_enumerable("Ising exact log Z", self.dim)
        return float(torch.logsumexp(-self(enumerate_states(self.dim, self.values)) / temperature, 0))

    def exact_marginals(self, temperature: float = 1.0) -> tuple[Tensor, Tensor]:
        """By enumeration (at most 20 spins): P(x_i = +1) (H*W,) and E[x_i x_j] (H*W, H*W), float64."""
        _check_enumerable("Ising exact marginals", self.dim)
        states = enumerate_states(self.dim, self.values)
        prob = torch.softmax(-self(states) / temperature, 0)
        return (prob @ (states > 0).to(prob.dtype)), torch.einsum("s,si,sj->ij", prob, states, states)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, J={self.J:g}, h={self.h:g}, observed={self.y_obs is not None}"


def flip_noise(image: Tensor, p: float, seed: int = 0, values: tuple[float, float] | None = None) -> Tensor:
    """Flip each pixel of a binary image (any shape) independently with probability p; `values` (low, high)
    are the two pixel values, by default (−1, 1) if any pixel is negative, else (0, 1)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"flip probability p must lie in [0, 1], got {p}")
    img = torch.as_tensor(image)
    lo, hi = values if values is not None else ((-1.0, 1.0) if bool((img < 0).any()) else (0.0, 1.0))
    gen = torch.Generator().manual_seed(int(seed))
    flip = torch.rand(img.shape, generator=gen) < p
    return torch.where(flip.to(img.device), lo + hi - img, img)


def binary_test_image(size: int = 32, kind: str = "shapes", index: int = 0) -> Tensor:
    """A deterministic ±1 image (size, size), float32: "shapes" (a disc, a bar and a triangle on −1)
    or "digit" (scikit-learn digit number `index`, binarised at half ink, nearest-neighbour upscaled)."""
    if kind == "shapes":
        r = (torch.arange(size, dtype=torch.float32) + 0.5) / size
        yy, xx = torch.meshgrid(r, r, indexing="ij")
        disc = (yy - 0.35) ** 2 + (xx - 0.3) ** 2 < 0.2 ** 2
        bar = (yy > 0.65) & (yy < 0.85) & (xx > 0.1) & (xx < 0.9)
        tri = (xx > 0.55) & (xx < 0.9) & (yy > 0.1) & (yy < 0.55) & (yy - 0.1 > (0.9 - xx))
        on = disc | bar | tri
    elif kind == "digit":
        from sklearn.datasets import load_digits  # ships with scikit-learn: no download

        digit = torch.as_tensor(load_digits().images[index], dtype=torch.float32) / 16.0
        idx = (torch.arange(size) * 8) // size
        on = digit[idx][:, idx] > 0.5
    else:
        raise ValueError(f"unknown test image kind {kind!r}; allowed: shapes, digit")
    return torch.where(on, 1.0, -1.0)


# --- restricted Boltzmann machine -----------------------------------------------------------
@DISCRETE.register("rbm")
class RBM(DiscreteModel):
    """Binary RBM: E(v, h) = −vᵀWh − bᵀv − cᵀh, v ∈ {0,1}^n_visible, h ∈ {0,1}^n_hidden;
    `forward(v)` is the free energy F(v) = −bᵀv − Σ_j softplus(c_j + (vW)_j), p(v) ∝ exp(−F(v))."""

    name = "rbm"
    values = (0.0, 1.0)
    param_specs = (
        param("n_visible", 64, 1, 100_000, "visible units", int),
        param("n_hidden", 64, 1, 100_000, "hidden units", int),
    )

    def __init__(self, n_visible: int = 64, n_hidden: int = 64, seed: int | None = 0, init_std: float = 0.01,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        if int(n_visible) < 1 or int(n_hidden) < 1:
            raise ValueError(f"n_visible and n_hidden must be >= 1, got {n_visible}, {n_hidden}")
        self.n_visible, self.n_hidden, self.dim = int(n_visible), int(n_hidden), int(n_visible)
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        w = init_std * torch.randn(self.n_visible, self.n_hidden, generator=gen, dtype=dtype)
        self.W = torch.nn.Parameter(w)
        self.b = torch.nn.Parameter(torch.zeros(self.n_visible, dtype=dtype))
        self.c = torch.nn.Parameter(torch.zeros(self.n_hidden, dtype=dtype))

    def energy(self, v: Tensor, h: Tensor) -> Tensor:
        """E(v, h) for v (..., n_visible), h (..., n_hidden) → (...)."""
        return -((v @ self.W) * h).sum(-1) - v @ self.b - h @ self.c

    def free_energy(self, v: Tensor) -> Tensor:
        """F(v) = −log Σ_h exp(−E(v, h)): (..., n_visible) → (...)."""
        return -(v @ self.b) - F.softplus(v @ self.W + self.c).sum(-1)

    def forward(self, v: Tensor) -> Tensor:
        """The free energy F(v): (..., n_visible) → (...)."""
        return self.free_energy(v)

    def hidden_probs(self, v: Tensor, temperature: float = 1.0) -> Tensor:
        """p(h_j = 1 | v) = σ((c_j + (vW)_j) / T): (..., n_visible) → (..., n_hidden)."""
        return torch.sigmoid((v @ self.W + self.c) / temperature)

    def visible_probs(self, h: Tensor, temperature: float = 1.0) -> Tensor:
        """p(v_i = 1 | h) = σ((b_i + (Wh)_i) / T): (..., n_hidden) → (..., n_visible)."""
        return torch.sigmoid((h @ self.W.T + self.b) / temperature)

    def sample_h(self, v: Tensor, generator: torch.Generator | None = None,
                 temperature: float = 1.0) -> tuple[Tensor, Tensor]:
        """(p(h = 1 | v), a sample h ~ p(h | v)), both (..., n_hidden)."""
        p = self.hidden_probs(v, temperature)
        return p, (torch.rand(p.shape, generator=generator, dtype=p.dtype, device=p.device) < p).to(p.dtype)

    def sample_v(self, h: Tensor, generator: torch.Generator | None = None,
                 temperature: float = 1.0) -> tuple[Tensor, Tensor]:
        """(p(v = 1 | h), a sample v ~ p(v | h)), both (..., n_visible)."""
        p = self.visible_probs(h, temperature)
        return p, (torch.rand(p.shape, generator=generator, dtype=p.dtype, device=p.device) < p).to(p.dtype)

    def reconstruction_error(self, v: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Mean squared error between v (n, n_visible) and p(v | h), h ~ p(h | v): a scalar per pixel."""
        _, h = self.sample_h(v, generator)
        return (v - self.visible_probs(h)).pow(2).mean()

    def pseudo_log_likelihood(self, v: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Σ_i log p(v_i | v_−i) per example, (n, n_visible) → (n,), nats. With a generator: the cheap
        unbiased estimate n_visible · log σ(F(ṽ) − F(v)), ṽ = v with one random unit flipped."""
        fe = self.free_energy(v)
        if generator is None:
            flips = 1 - 2 * torch.eye(self.n_visible, dtype=v.dtype, device=v.device)  # ±1 per unit
            flipped = v[:, None, :] * flips + torch.eye(self.n_visible, dtype=v.dtype, device=v.device)
            # v_i' = 1 − v_i on the diagonal: v·(1−2δ) + δ
            return F.logsigmoid(self.free_energy(flipped) - fe[:, None]).sum(-1)
        i = torch.randint(0, self.n_visible, (v.shape[0],), generator=generator, device=v.device)
        flipped = v.clone()
        rows = torch.arange(v.shape[0], device=v.device)
        flipped[rows, i] = 1 - flipped[rows, i]
        return self.n_visible * F.logsigmoid(self.free_energy(flipped) - fe)

    def log_likelihood(self, v: Tensor, log_z: float) -> Tensor:
        """log p(v) = −F(v) − log Z per example: (n, n_visible) → (n,), nats."""
        return -self.free_energy(v) - log_z

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"


@torch.no_grad()
def exact_log_partition(rbm: RBM, chunk: int = 2 ** 15) -> float:
    """log Z = log Σ_{v,h} exp(−E(v, h)), exact, by enumerating the smaller layer (at most 20 units), float64."""
    small = min(rbm.n_visible, rbm.n_hidden)
    if small > MAX_ENUMERATED_UNITS:
        raise ValueError(f"exact log Z enumerates 2^k states of the smaller layer: allowed up to "
                         f"{MAX_ENUMERATED_UNITS} units on the smaller side; this RBM has n_visible="
                         f"{rbm.n_visible} and n_hidden={rbm.n_hidden} (use ais_log_partition)")
    W, b, c = (p.detach().to(torch.float64) for p in (rbm.W, rbm.b, rbm.c))
    parts = []
    for start in range(0, 2 ** small, chunk):
        s = enumerate_states(small, start=start, stop=min(start + chunk, 2 ** small)).to(W.device)
        if rbm.n_hidden <= rbm.n_visible:  # Σ_h exp(cᵀh) Π_i (1 + exp(b_i + (Wh)_i))
            parts.append(torch.logsumexp(s @ c + F.softplus(s @ W.T + b).sum(-1), 0))
        else:  # Σ_v exp(−F(v))
            parts.append(torch.logsumexp(s @ b + F.softplus(s @ W + c).sum(-1), 0))
    return float(torch.logsumexp(torch.stack(parts), 0))


class AISEstimate(NamedTuple):
    """AIS result: log Z estimate (nats), its standard error (delta method over the importance
    weights), and the log importance weights (n_chains,)."""

    log_z: float
    std_error: float
    log_weights: Tensor


def ais_betas(n_betas: int) -> Tensor:
    """Inverse temperatures 0 = β_0 < … < β_K = 1, (n_betas,), float64, spaced as in Salakhutdinov &
    Murray (2008): 500 in [0, 0.5), 4 000 in [0.5, 0.9), 10 000 in [0.9, 1] — scaled to `n_betas`."""
    if n_betas < 10:
        raise ValueError(f"n_betas must be >= 10, got {n_betas}")
    n1 = max(1, round(n_betas * 500 / 14500))
    n2 = max(1, round(n_betas * 4000 / 14500))
    n3 = n_betas - n1 - n2
    return torch.cat([torch.linspace(0.0, 0.5, n1 + 1, dtype=torch.float64)[:-1],
                      torch.linspace(0.5, 0.9, n2 + 1, dtype=torch.float64)[:-1],
                      torch.linspace(0.9, 1.0, n3, dtype=torch.float64)])


@torch.no_grad()
def ais_log_partition(rbm: RBM, n_chains: int = 100, n_betas: int = 10000, seed: int = 0,
                      base_visible_bias: Tensor | None = None) -> AISEstimate:
    """log Z of `rbm` by annealed importance sampling (Salakhutdinov & Murray 2008), float64.

    Base-rate model A: W = 0, c = 0, visible biases `base_visible_bias` (default: the RBM's own b;
    the data's log-odds are the usual better choice), so log Z_A = Σ_i softplus(b_A,i) + n_hidden·log 2.
    Intermediate p_k(v) ∝ exp((1−β_k) b_Aᵀv + β_k bᵀv) Π_j (1 + exp(β_k (c_j + (vW)_j))), each step a
    Gibbs transition v → h → v that leaves p_k invariant.
    """
    if n_chains < 2:
        raise ValueError(f"n_chains must be >= 2 (the standard error needs two), got {n_chains}")
    W, b, c = (p.detach().to(torch.float64) for p in (rbm.W, rbm.b, rbm.c))
    b_a = b if base_visible_bias is None else torch.as_tensor(base_visible_bias, dtype=torch.float64, device=W.device)
    betas = ais_betas(int(n_betas)).to(W.device)
    gen = torch.Generator(device=W.device).manual_seed(int(seed))

    def bernoulli(p: Tensor) -> Tensor:
        return (torch.rand(p.shape, generator=gen, dtype=p.dtype, device=p.device) < p).to(p.dtype)

    v = bernoulli(torch.sigmoid(b_a).expand(int(n_chains), -1))
    log_w = torch.zeros(int(n_chains), dtype=torch.float64, device=W.device)
    for k in range(1, len(betas)):
        prev, beta = betas[k - 1], betas[k]
        pre = v @ W + c
        # log f_k(v) − log f_{k−1}(v) at the current v (v was drawn from T_{k−1})
        log_w += (beta - prev) * (v @ (b - b_a)) + (F.softplus(beta * pre) - F.softplus(prev * pre)).sum(-1)
        if k < len(betas) - 1:
            h = bernoulli(torch.sigmoid(beta * pre))
            v = bernoulli(torch.sigmoid((1 - beta) * b_a + beta * (b + h @ W.T)))
    log_z_a = float(F.softplus(b_a).sum()) + rbm.n_hidden * math.log(2.0)
    log_mean_w = float(torch.logsumexp(log_w, 0)) - math.log(len(log_w))
    w = torch.exp(log_w - log_w.max())
    std_error = float(w.std() / (w.mean() * math.sqrt(len(w))))
    return AISEstimate(log_z_a + log_mean_w, std_error, log_w)
