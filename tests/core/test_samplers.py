"""Sampler API: shapes, seeding, recorded proposals, divergence handling, argument checks (no Qt)."""
import math

import pytest
import torch

from core import energies, samplers

ALL = ["langevin", "mala", "mh", "hmc"]
ADJUSTED = ["mala", "mh", "hmc"]


@pytest.fixture
def banana():
    return energies.create("banana")


def test_names_and_specs():
    assert set(ALL) <= set(samplers.names())
    for name in ALL:
        spec_names = [s.name for s in samplers.specs(name)]
        assert spec_names[:2] == ["step_size", "temperature"]
    assert "n_leapfrog" in [s.name for s in samplers.specs("hmc")]


@pytest.mark.parametrize("name", ALL)
def test_init_step_run_shapes(name, banana):
    s = samplers.create(name, banana, step_size=0.1)
    st = s.init(50, seed=0)
    assert st.x.shape == (50, 2) and st.t == 0 and st.energy.shape == (50,)
    lo, hi = banana.bounds[0]
    assert (st.x[:, 0] >= lo).all() and (st.x[:, 0] <= hi).all()
    nxt = s.step(st)
    assert nxt.t == 1 and st.t == 0, "step returns a new state and leaves the old one alone"
    if name in ADJUSTED:
        assert nxt.proposal.shape == (50, 2) and nxt.accepted.dtype == torch.bool
        moved = (nxt.x != st.x).any(-1)
        assert torch.equal(moved, nxt.accepted)
        torch.testing.assert_close(nxt.x[nxt.accepted], nxt.proposal[nxt.accepted])
    else:
        assert nxt.proposal is None and nxt.accepted is None
    torch.testing.assert_close(nxt.energy, banana(nxt.x).float(), rtol=1e-5, atol=1e-5)
    st2, trace = s.run(nxt, 20, record_every=5)
    assert st2.t == 21 and trace.x.shape == (4, 50, 2) and trace.energy.shape == (4, 50)
    assert (trace.accepted is None) == (name == "langevin")
    torch.testing.assert_close(trace.x[-1], st2.x)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_chains_other_seed_other_chains(name, banana):
    s = samplers.create(name, banana, step_size=0.1)
    a, _ = s.run(s.init(20, seed=3), 10)
    b, _ = s.run(s.init(20, seed=3), 10)
    c, _ = s.run(s.init(20, seed=4), 10)
    assert torch.equal(a.x, b.x)
    assert not torch.equal(a.x, c.x)


def test_acceptance_counts_agree_with_recorded_flags(banana):
    s = samplers.create("mh", banana, step_size=1.0)
    st, tr = s.run(s.init(100, seed=0), 30)
    torch.testing.assert_close(tr.accepted.sum(0), tr.accept_count)
    assert 0 < tr.accept_count.sum() < 3000


def test_x0_point_or_per_chain(banana):
    s = samplers.create("mala", banana, step_size=0.1)
    st = s.init(5, x0=[0.5, -1.0])
    assert torch.equal(st.x, torch.tensor([[0.5, -1.0]] * 5))
    st = s.init(3, x0=torch.zeros(3, 2))
    assert st.x.shape == (3, 2)
    with pytest.raises(ValueError, match="x0 must have shape"):
        s.init(3, x0=torch.zeros(4, 2))


def test_hmc_records_its_leapfrog_path(banana):
    s = samplers.create("hmc", banana, step_size=0.1, n_leapfrog=7, record_path=True)
    st = s.init(4, seed=0)
    nxt = s.step(st)
    assert nxt.path.shape == (8, 4, 2)
    torch.testing.assert_close(nxt.path[0], st.x)
    torch.testing.assert_close(nxt.path[-1], nxt.proposal)
    assert samplers.create("hmc", banana).step(st).path is None


@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf"), "big"])
def test_non_positive_or_non_finite_step_size_is_refused(bad, banana):
    with pytest.raises(ValueError, match="step_size"):
        samplers.create("mala", banana, step_size=bad)


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_bad_chain_count_is_refused(bad, banana):
    with pytest.raises(ValueError, match="n_chains"):
        samplers.create("mh", banana).init(bad)


def test_unknown_sampler_and_parameter(banana):
    with pytest.raises(ValueError, match="valid names: .*mala"):
        samplers.create("nuts", banana)
    with pytest.raises(ValueError, match="no parameter 'n_leapfrog'"):
        samplers.create("mala", banana, n_leapfrog=3)
    with pytest.raises(ValueError, match="n_leapfrog"):
        samplers.create("hmc", banana, n_leapfrog=0)
    with pytest.raises(ValueError, match="temperature"):
        samplers.create("hmc", banana, temperature=-1)
    with pytest.raises(ValueError, match="n_steps"):
        samplers.create("hmc", banana).run(samplers.create("hmc", banana).init(2), -1)


def test_ula_chain_that_explodes_is_flagged_and_frozen():
    E = energies.create("quartic")  # gradient 4x³: explicit Euler blows up at a large step
    s = samplers.create("langevin", E, step_size=5.0)
    st, tr = s.run(s.init(200, seed=0), 30)
    assert st.n_diverged > 0
    assert torch.isfinite(st.x).all() and torch.isfinite(st.energy).all(), "no NaN/inf kept in the state"
    frozen = st.x[st.diverged].clone()
    st = s.step(st)
    torch.testing.assert_close(st.x[st.diverged][: len(frozen)], frozen)
    assert tr.diverged.sum() == st.n_diverged


@pytest.mark.parametrize("name", ADJUSTED)
def test_nan_proposals_are_rejected_and_counted(name):
    E = energies.from_expression("log(x) + (x - 1)**2 + y**2", dim=2, bounds=[(0.05, 3), (-2, 2)])
    s = samplers.create(name, E, step_size=0.5)
    st, _ = s.run(s.init(300, seed=0), 20)
    assert st.n_divergences > 0, "proposals into x < 0 give NaN energies"
    assert st.n_diverged == 0 and torch.isfinite(st.x).all() and (st.x[:, 0] > 0).all()


def test_absurd_step_size_keeps_chains_finite(banana):
    for name in ALL:
        s = samplers.create(name, banana, step_size=1e30)
        st, _ = s.run(s.init(50, seed=0), 5)
        assert torch.isfinite(st.x).all(), name


def test_samplers_take_float64_and_report_energy_at_the_state(banana):
    s = samplers.create("mala", banana, step_size=0.2, dtype=torch.float64)
    st, _ = s.run(s.init(10, seed=0), 5)
    assert st.x.dtype == torch.float64
    torch.testing.assert_close(st.energy, banana(st.x))
    assert math.isfinite(float(st.energy.sum()))


@pytest.mark.allow_leaked_threads  # torch.compile's progress monitor (tqdm) stays as a daemon thread
def test_compiled_blocks_are_seeded_and_sample_the_same_law(banana):
    s = samplers.create("mala", banana, step_size=0.1, compile=True)
    a, tr = s.run(s.init(2000, seed=5), 64, record_every=16)
    b, _ = s.run(s.init(2000, seed=5), 64, record_every=16)
    assert torch.equal(a.x, b.x) and a.t == 64 and tr.x.shape == (4, 2000, 2)
    eager = samplers.create("mala", banana, step_size=0.1)
    c, tr_e = eager.run(eager.init(2000, seed=5), 64)
    # Another random stream, the same chain law: acceptance agrees within a few s.e. (~0.002).
    assert abs(tr.accept_count.sum().item() - tr_e.accept_count.sum().item()) / (64 * 2000) < 0.02


@pytest.mark.allow_leaked_threads  # torch.compile's progress monitor (tqdm) stays as a daemon thread
def test_compiled_ula_has_the_exact_ar1_law_on_a_gaussian():
    """Compiled ULA (fused steps, counter-based normals) on N(0, I) is the AR(1) chain
    x' = (1 − ε/2)x + √ε ξ: stationary variance 1/(1 − ε/4), lag-1 correlation 1 − ε/2, mean 0,
    coordinates uncorrelated — each within 5 s.e., which correlated or mis-scaled noise would break."""
    eps, n = 1.0, 200_000
    s = samplers.create("langevin", energies.create("standard_gaussian"), step_size=eps, compile=True)
    st, _ = s.run(s.init(n, seed=4), 32, record_every=0)  # 0.5^64: the start is forgotten
    _, tr = s.run(st, 4, record_every=1)
    x = tr.x.double()  # (4, n, 2)
    se = 1 / math.sqrt(x[0].numel())
    var, lag1 = 1 / (1 - eps / 4), 1 - eps / 2
    assert float(x[-1].var()) == pytest.approx(var, abs=5 * var * math.sqrt(2) * se)
    assert abs(float(x[-1].mean())) < 5 * math.sqrt(var) * se
    a, b = x[:-1].flatten(), x[1:].flatten()
    assert float(torch.corrcoef(torch.stack([a, b]))[0, 1]) == pytest.approx(lag1, abs=5 * se)
    assert abs(float(torch.corrcoef(x[-1].T)[0, 1])) < 5 * se


def test_compile_failure_falls_back_to_eager(banana, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no C++ compiler here")

    monkeypatch.setattr(torch, "compile", broken)
    s = samplers.create("langevin", banana, step_size=0.05, compile=True)
    with pytest.warns(RuntimeWarning, match="sampling eagerly"):
        st, _ = s.run(s.init(10, seed=0), 20)
    assert st.t == 20 and torch.isfinite(st.x).all() and not s.compile
