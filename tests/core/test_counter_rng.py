"""Counter-based random numbers of the compiled sampler blocks: exact SplitMix64 words, the normal
law (moments, Kolmogorov–Smirnov), independence across pairs, chains and steps, and the column block
reproducing the tensor block draw for draw."""
from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from core import energies, samplers
from core.samplers import counter_rng

N = 1_000_000  # normals per test: 2N from N words


def _words(key: int, n: int = N) -> torch.Tensor:
    return counter_rng.splitmix64(torch.tensor(key, dtype=torch.int64), torch.arange(n, dtype=torch.int64))


@pytest.mark.parametrize("key", [0, 1, 2**63 - 1, -2**63, -12345678901234567])
def test_words_are_splitmix64(key):
    pos = torch.tensor([0, 1, 2, 3, 1000, 2**40 + 7, 2**62 - 1], dtype=torch.int64)
    got = counter_rng.splitmix64(torch.tensor(key, dtype=torch.int64), pos).tolist()
    want = [counter_rng.to_int64(counter_rng.reference_splitmix64(key & (2**64 - 1), int(p))) for p in pos]
    assert got == want


def test_first_word_of_seed_zero_is_the_published_value():
    # SplitMix64 seeded with 0 first returns 0xE220A8397B1DCDAF (Vigna's splitmix64.c): state 1·γ.
    assert counter_rng.splitmix64(torch.tensor(0), torch.tensor([1]))[0].item() == counter_rng.to_int64(
        0xE220A8397B1DCDAF)


def test_uniforms_are_open_interval_and_uniform():
    u1, u2 = counter_rng.uniforms(_words(7))
    u = torch.cat([u1, u2]).double()
    assert 0 < u.min() and u.max() < 1
    # KS at α = 1e-3: critical value 1.95/√n; a broken bit layout shows far above it.
    assert stats.kstest(u.numpy(), "uniform").statistic < 1.95 / math.sqrt(u.numel())


def test_normals_have_the_normal_law():
    z0, z1 = counter_rng.normal_pairs(_words(2026))
    z = torch.cat([z0, z1]).double()
    n = z.numel()
    se = 1 / math.sqrt(n)
    assert abs(z.mean()) < 5 * se                          # s.e. of the mean 1/√n
    assert abs(z.var() - 1) < 5 * math.sqrt(2) * se        # s.e. of the variance √(2/n)
    assert abs(((z - z.mean()) ** 3).mean()) < 5 * math.sqrt(6) * se    # skewness, s.e. √(6/n)
    assert abs(((z - z.mean()) ** 4).mean() - 3) < 5 * math.sqrt(24) * se  # kurtosis, s.e. √(24/n)
    assert stats.kstest(z.numpy(), "norm").statistic < 1.95 / math.sqrt(n)
    assert z.abs().max() < 6.0  # Box–Muller from 24-bit uniforms is bounded by √(50 ln 2) ≈ 5.89


def test_pairs_chains_and_steps_are_uncorrelated():
    """Correlations between the two normals of a word, between neighbouring chains and between
    consecutive steps of one chain are all within 5 s.e. (1/√n) of 0; so are their squares'."""
    k, words = 16, counter_rng.words_per_draw(2, True)
    n = N // k
    chains = torch.arange(n, dtype=torch.int64)
    key = torch.tensor(99, dtype=torch.int64)
    draws = [counter_rng.draw_columns(key, chains * (k * words) + i * words, 2, True) for i in range(k)]
    z = torch.stack([torch.stack(d[0]) for d in draws]).double()  # (k, 2, n)
    u = torch.stack([d[1] for d in draws]).double()  # (k, n)

    def corr(a, b):
        a, b = a.flatten() - a.mean(), b.flatten() - b.mean()
        return float((a * b).mean() / (a.std() * b.std()))

    m = z[:, 0].numel()
    pairs = {
        "pair": (z[:, 0], z[:, 1]),
        "chain": (z[:, 0, :-1], z[:, 0, 1:]),
        "step": (z[:-1, 0], z[1:, 0]),
        "normal-uniform": (z[:, 0], u),
        "uniform steps": (u[:-1], u[1:]),
    }
    for name, (a, b) in pairs.items():
        assert abs(corr(a, b)) < 5 / math.sqrt(m), name
        assert abs(corr(a * a, b * b)) < 5 / math.sqrt(m), f"{name} (squares)"


def test_keys_give_different_streams():
    a, b = _words(1, 1000), _words(2, 1000)
    assert not torch.isin(a, b).any()


@pytest.mark.parametrize("name", ["langevin", "mala", "mh", "hmc"])
@pytest.mark.parametrize("energy", ["banana", "double_well"])
def test_column_block_reproduces_the_tensor_block(name, energy):
    """The fused column form of each sampler is the same transition as its (n, dim) form: with the
    same counter stream both blocks give the same chains (run eagerly here, no compiler needed)."""
    E = energies.create(energy)
    s = samplers.create(name, E, step_size=samplers.DEFAULT_STEP_SIZE[name])
    assert s._columns_fuse()
    st = s.init(500, seed=3)
    key, chains = torch.tensor(-77, dtype=torch.int64), torch.arange(500)
    with torch.no_grad():
        a = s._block(st.x, st.energy, st.grad, st.diverged, key, chains, k=4)
        b = s._block_columns(st.x, st.energy, st.grad, st.diverged, key, chains, k=4)
    for got, want in zip(b, a):
        if want is None:
            assert got is None
        elif want.dtype.is_floating_point:
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
        else:
            assert torch.equal(got, want)
    if name != "langevin":
        assert 0 < a[4].sum() < 4 * 500  # some moves accepted, some rejected: the test sees both
