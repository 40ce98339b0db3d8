"""Discrete models and samplers: Ising energy and Gibbs conditionals against enumeration, exact
marginals of a 3×3 grid against Gibbs chains, ICM descent, denoising, the shared sampler API (no Qt)."""
import math

import pytest
import torch

from core import energies, samplers
from core.energies import discrete
from core.energies.discrete import IsingGrid, binary_test_image, enumerate_states, flip_noise
from core.samplers.gibbs import DiscreteState

Z_TOL = 4.5  # standard errors: a 4.5σ miss has probability 7e-6 per comparison


@pytest.fixture(autouse=True)
def _one_thread():
    """Many small tensor ops: with 2 threads on cores shared with other processes, OpenMP barriers
    make them ~25× slower; one thread for these tests, the previous setting restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small_grid(J=0.4, h=0.5, seed=0, shape=(3, 3)):
    y = torch.where(torch.rand(shape, generator=torch.Generator().manual_seed(seed)) < 0.5, 1.0, -1.0)
    return IsingGrid(shape, J=J, h=h, y_obs=y)


def test_ising_energy_by_hand():
    y = torch.tensor([[1.0, 1.0], [-1.0, 1.0]])
    m = IsingGrid((2, 2), J=0.5, h=0.3, y_obs=y)
    ones = torch.ones(4)
    # 4 agreeing neighbour pairs; x·y = 1 + 1 − 1 + 1 = 2
    assert float(m(ones)) == pytest.approx(-0.5 * 4 - 0.3 * 2)
    x = torch.tensor([1.0, 1.0, 1.0, -1.0])  # pairs: +1 (top), −1 (bottom), +1 (left), −1 (right); x·y = 0
    assert float(m(x)) == pytest.approx(0.0)
    assert m(torch.stack([ones, x])).shape == (2,)


def test_gibbs_conditionals_match_enumeration_on_3x3():
    """p(x_i = +1 | rest) from the local field equals the ratio of the two enumerated energies."""
    m, T = small_grid(J=0.7, h=0.3), 0.8
    states = enumerate_states(9, (-1.0, 1.0)).float()
    cond = m.conditional_up(states, T)
    for i in range(9):
        up, down = states.clone(), states.clone()
        up[:, i], down[:, i] = 1.0, -1.0
        exact = torch.sigmoid((m(down) - m(up)) / T)  # e^{−E+/T} / (e^{−E+/T} + e^{−E−/T})
        torch.testing.assert_close(cond[:, i], exact, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(m.site_field(states, i), m.local_field(states)[:, i])


@pytest.mark.parametrize("order, T", [("checkerboard", 1.0), ("sequential", 1.0), ("checkerboard", 1.7)])
def test_gibbs_chains_reach_the_exact_marginals_of_a_3x3_model(order, T):
    """Independent chains after burn-in vs enumerated P(x_i = +1) and E[x_i x_j], within 4.5 MC SE."""
    m = small_grid(J=0.4, h=0.5, seed=1)
    p_up, corr = m.exact_marginals(T)
    n = 20000
    s = samplers.create("gibbs", m, temperature=T, order=order)
    st, _ = s.run(s.init(n, seed=2), 40, record_every=0)
    x = st.x.double()
    se = torch.sqrt(p_up * (1 - p_up) / n)
    assert ((x > 0).double().mean(0) - p_up).abs().max() < Z_TOL * se.max()
    emp = x.T @ x / n
    se_c = torch.sqrt((1 - corr ** 2).clamp_min(1e-12) / n)
    off = ~torch.eye(9, dtype=torch.bool)
    assert ((emp - corr).abs() < Z_TOL * se_c + 1e-12)[off].all()


def test_icm_never_raises_the_energy_and_stops_at_a_local_minimum():
    m = IsingGrid.denoising(binary_test_image(24), p=0.2, J=0.8, seed=3)
    for order in ("checkerboard", "sequential"):
        s = samplers.create("icm", m, order=order)
        st = s.init(3, seed=0)
        energies_seen = [st.energy]
        for _ in range(30):
            st = s.step(st)
            energies_seen.append(st.energy)
        e = torch.stack(energies_seen)
        assert (e[1:] <= e[:-1] + 1e-4).all(), order
        assert (st.flips == 0).all(), "converged: a sweep changes nothing"
        assert (st.x * m.local_field(st.x) >= 0).all(), "no single flip lowers the energy"


def test_denoising_with_gibbs_at_low_temperature_and_with_icm():
    clean = binary_test_image(32)
    m = IsingGrid.denoising(clean, p=0.1, J=1.0, seed=0)
    noisy_error = float(m.error_rate(m.y_obs))
    assert 0.07 < noisy_error < 0.13  # Binomial(1024, 0.1): ±3 SE
    for name, T in (("icm", 1.0), ("gibbs", 0.3)):
        s = samplers.create(name, m, temperature=T)
        st, _ = s.run(s.init(4, seed=0, x0=m.y_obs), 30, record_every=0)
        assert float(m.error_rate(st.x).mean()) < 0.5 * noisy_error, name


def test_sampler_api_on_discrete_models():
    m = small_grid(shape=(4, 5))
    for name in ("gibbs", "icm"):
        s = samplers.create(name, m, step_size=0.1, temperature=0.9)
        assert s.discrete and isinstance(s, samplers.Sampler)
        st = s.init(6, seed=0)
        assert isinstance(st, DiscreteState) and st.x.shape == (6, 20) and st.t == 0
        nxt = s.step(st)
        assert nxt.t == 1 and st.t == 0 and nxt.accepted is None and nxt.proposal is None
        torch.testing.assert_close(nxt.energy, m(nxt.x))
        assert set(nxt.x.unique().tolist()) <= {-1.0, 1.0}
        st2, trace = s.run(nxt, 10, record_every=2)
        assert st2.t == 11 and trace.x.shape == (5, 6, 20) and trace.energy.shape == (5, 6)
        torch.testing.assert_close(trace.x[-1], st2.x)
        assert [p.name for p in samplers.specs(name)][:2] == ["step_size", "temperature"]
    s = samplers.create("gibbs", m)
    a, _ = s.run(s.init(5, seed=3), 5)
    b, _ = s.run(s.init(5, seed=3), 5)
    c, _ = s.run(s.init(5, seed=4), 5)
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)
    img = m.y_obs.reshape(4, 5)
    assert torch.equal(s.init(2, x0=img).x, m.y_obs.expand(2, 20))
    assert m.image(s.init(2, x0=img).x).shape == (2, 4, 5)


def test_discrete_and_continuous_samplers_are_told_apart():
    flags = {n: getattr(samplers.SAMPLERS.get(n), "discrete", False) for n in samplers.names()}
    assert {n for n, d in flags.items() if d} == {"gibbs", "block-gibbs", "icm"}
    assert not any(flags[n] for n in ("langevin", "mala", "mh", "hmc"))
    assert not set(discrete.names()) & set(energies.names()), "discrete models stay out of the continuous registry"
    m = small_grid()
    with pytest.raises(ValueError, match="expected an Energy"):
        samplers.create("mala", m)
    with pytest.raises(ValueError, match="needs a discrete model"):
        samplers.create("gibbs", energies.create("banana"))
    with pytest.raises(ValueError, match="works on RBM"):
        samplers.create("block-gibbs", m)
    with pytest.raises(ValueError, match="unknown order"):
        samplers.create("gibbs", m, order="random")
    with pytest.raises(ValueError, match="take the values -1 and 1"):
        samplers.create("gibbs", m).init(2, x0=torch.zeros(9))
    with pytest.raises(ValueError, match="x0 must have shape"):
        samplers.create("gibbs", m).init(2, x0=torch.ones(3, 9))
    with pytest.raises(ValueError, match="n_chains"):
        samplers.create("icm", m).init(0)


def test_flip_noise_and_test_images():
    img = binary_test_image(64)
    assert img.shape == (64, 64) and set(img.unique().tolist()) == {-1.0, 1.0}
    noisy = flip_noise(img, 0.1, seed=0)
    rate = float((noisy != img).float().mean())
    assert abs(rate - 0.1) < Z_TOL * math.sqrt(0.1 * 0.9 / img.numel())
    assert torch.equal(noisy, flip_noise(img, 0.1, seed=0)) and not torch.equal(noisy, flip_noise(img, 0.1, seed=1))
    bits = (img > 0).float()
    assert torch.equal(flip_noise(bits, 0.1, seed=0), (noisy > 0).float()), "0/1 images flip the same pixels"
    all_up = flip_noise(torch.ones(8, 8), 0.5, seed=0, values=(-1.0, 1.0))
    assert set(all_up.unique().tolist()) == {-1.0, 1.0}, "an all-(+1) spin image needs its values named"
    digit = binary_test_image(16, kind="digit", index=0)
    assert digit.shape == (16, 16) and (digit > 0).any() and (digit < 0).any()
    with pytest.raises(ValueError, match="kind"):
        binary_test_image(8, kind="cat")


def test_ising_exact_log_partition_and_limits():
    m = small_grid(shape=(2, 3))
    states = enumerate_states(6, (-1.0, 1.0))
    assert m.exact_log_partition(2.0) == pytest.approx(float(torch.logsumexp(-m(states) / 2.0, 0)))
    with pytest.raises(ValueError, match="up to 20 units"):
        IsingGrid((5, 5)).exact_log_partition()
    assert isinstance(discrete.create("ising", shape=(2, 2)), IsingGrid)
