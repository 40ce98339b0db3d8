"""Diagnostics against ArviZ and exact densities; samplers reach the target (no Qt).

Tolerances come from the methods: TV < 0.05 is the issue's bar and lies well above the TV of
exact i.i.d. draws at the same sample size (~0.015-0.025 for 10⁶ draws on a 128² grid); ULA's
stationary variance on N(0, I) is 1/(1 − ε/4) exactly, checked within 5 standard errors.
"""
import math
import warnings

import numpy as np
import pytest
import torch

from core import diagnostics, energies, landscape, samplers

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import arviz as az


def _arviz(trace_x):
    arr = trace_x.double().numpy().transpose(1, 0, 2)  # (chain, draw, dim)
    ess = [float(az.ess(arr[..., k], method="bulk")) for k in range(arr.shape[-1])]
    rhat = [float(az.rhat(arr[..., k], method="rank")) for k in range(arr.shape[-1])]
    return np.array(ess), np.array(rhat)


@pytest.mark.parametrize("name, eps, energy", [
    ("mala", 0.2, "banana"), ("mh", 0.8, "banana"), ("hmc", 0.2, "multimodal"), ("langevin", 0.05, "donut"),
    ("mh", 0.05, "multimodal"),  # badly mixing: R-hat far above 1
])
def test_ess_and_rhat_agree_with_arviz(name, eps, energy):
    s = samplers.create(name, energies.create(energy), step_size=eps)
    _, tr = s.run(s.init(8, seed=1), 1001)  # odd length exercises the split's dropped middle draw
    ours_ess, ours_rhat = diagnostics.ess(tr.x).numpy(), diagnostics.rhat(tr.x).numpy()
    ref_ess, ref_rhat = _arviz(tr.x)
    np.testing.assert_allclose(ours_ess, ref_ess, rtol=0.05)
    np.testing.assert_allclose(ours_rhat, ref_rhat, rtol=0.05)


def test_ess_of_ar1_chains_matches_its_integrated_autocorrelation_time():
    # AR(1) with coefficient φ has τ = (1 + φ)/(1 − φ); ESS ≈ N/τ (rank-normalising keeps it for a Gaussian).
    phi, n_chains, n_steps = 0.8, 8, 20000
    gen = torch.Generator().manual_seed(0)
    x = torch.zeros(n_steps, n_chains, 1, dtype=torch.float64)
    x[0] = torch.randn(n_chains, 1, generator=gen, dtype=torch.float64) / math.sqrt(1 - phi**2)
    noise = torch.randn(n_steps, n_chains, 1, generator=gen, dtype=torch.float64)
    for t in range(1, n_steps):
        x[t] = phi * x[t - 1] + noise[t]
    expected = n_chains * n_steps * (1 - phi) / (1 + phi)
    assert diagnostics.ess(x).item() == pytest.approx(expected, rel=0.1)
    assert diagnostics.rhat(x).item() == pytest.approx(1.0, abs=0.01)


def test_rhat_flags_chains_stuck_in_different_modes():
    E = energies.create("double_well", barrier=12.0)
    s = samplers.create("mala", E, step_size=0.01)
    x0 = torch.tensor([[-1.0]] * 4 + [[1.0]] * 4)
    _, tr = s.run(s.init(8, x0=x0), 400)
    assert diagnostics.rhat(tr.x).item() > 1.5


def test_acceptance_rate():
    E = energies.create("banana")
    s = samplers.create("mh", E, step_size=1.0)
    st, tr = s.run(s.init(200, seed=0), 50)
    assert diagnostics.acceptance_rate(tr) == pytest.approx(tr.accepted.float().mean().item())
    assert diagnostics.acceptance_rate(st) == pytest.approx(tr.accepted.float().mean().item())
    ula = samplers.create("langevin", E, step_size=0.01)
    assert diagnostics.acceptance_rate(ula.run(ula.init(5), 3)[1]) == 1.0


def _exact_draws(E, n, seed=0, resolution=128):
    L = landscape.density(E, resolution)
    p = L.cell_probabilities.flatten()
    idx = torch.multinomial(p, n, replacement=True, generator=torch.Generator().manual_seed(seed))
    return torch.stack([L.axes[0][idx // resolution], L.axes[1][idx % resolution]], -1)


def test_tv_distance_of_exact_draws_is_small_and_of_wrong_ones_large():
    E = energies.create("banana")
    assert diagnostics.tv_distance(_exact_draws(E, 2_000_000), E) < 0.02
    other = _exact_draws(energies.create("donut", bounds=E.bounds), 200_000)
    assert diagnostics.tv_distance(other, E) > 0.8
    outside = torch.full((1000, 2), 100.0)
    assert diagnostics.tv_distance(outside, E) == pytest.approx(1.0)


# Step sizes chosen for acceptance in the usual ranges (MALA ~0.6-0.95, MH ~0.3-0.45, HMC > 0.9).
SETTINGS = {
    "banana": {"mala": 0.1, "mh": 1.0, "hmc": 0.15},
    "donut": {"mala": 0.01, "mh": 0.5, "hmc": 0.05},
    "multimodal": {"mala": 0.3, "mh": 1.5, "hmc": 0.3},
}


@pytest.mark.slow
@pytest.mark.parametrize("energy", list(SETTINGS))
@pytest.mark.parametrize("name", ["mala", "mh", "hmc"])
def test_adjusted_samplers_reach_the_exact_density(energy, name):
    E = energies.create(energy)
    extra = {"n_leapfrog": 5} if name == "hmc" else {}
    s = samplers.create(name, E, step_size=SETTINGS[energy][name], **extra)
    n_chains = 50_000 if name == "hmc" else 100_000
    st, _ = s.run(s.init(n_chains, seed=0), 400, record_every=0)  # burn-in from uniform over the box
    _, tr = s.run(st, 200, record_every=20)
    tv = diagnostics.tv_distance(tr.x, E)
    assert tv < 0.05, f"{name} on {energy}: TV {tv:.4f}"


@pytest.mark.slow
def test_ula_has_its_known_bias_at_large_step_and_loses_it_at_small():
    # On N(0, I), ULA's chain x ← (1 − ε/2)x + √ε ξ has stationary variance 1/(1 − ε/4).
    E = energies.create("standard_gaussian")
    n = 200_000
    variances, tvs = {}, {}
    for eps in (1.0, 0.05):
        s = samplers.create("langevin", E, step_size=eps, dtype=torch.float64)
        # (1 − ε/2)^(2·10/ε) < 1e-4: the initial spread (variance 12) is forgotten.
        st, _ = s.run(s.init(n, seed=1), int(10 / eps), record_every=0)
        v = float(st.x.var(0).mean())
        expected = 1 / (1 - eps / 4)
        se = expected * math.sqrt(2 / (2 * n))  # sampling s.e. of a variance from 2n Gaussian draws
        assert v == pytest.approx(expected, abs=5 * se)
        variances[eps], tvs[eps] = v, diagnostics.tv_distance(st.x, E, resolution=64)
    assert variances[1.0] - 1 > 0.3, "large-step bias (1/3) clearly visible"
    assert abs(variances[0.05] - 1) < 0.03, "small-step bias (0.0127) small"
    assert tvs[1.0] > 2 * tvs[0.05]


def test_summary_has_every_figure():
    E = energies.create("banana")
    s = samplers.create("mala", E, step_size=0.1)
    _, tr = s.run(s.init(100, seed=0), 40)
    out = diagnostics.summary(tr, E, burn_in=20)
    assert set(out) >= {"acceptance", "ess", "rhat", "tv", "diverged_chains", "divergences"}
    assert len(out["ess"]) == 2 and len(out["rhat"]) == 2


def test_diagnostics_refuse_bad_shapes():
    with pytest.raises(ValueError, match="n_steps, n_chains, dim"):
        diagnostics.ess(torch.zeros(5))
    with pytest.raises(ValueError, match="at least 4 steps"):
        diagnostics.rhat(torch.zeros(3, 4, 2))
    with pytest.raises(ValueError, match="last dimension 2"):
        diagnostics.tv_distance(torch.zeros(10, 3), energies.create("banana"))
