"""Depth model: energies, Langevin/descent refinement lowers the energy, predict's result, save/load (no Qt)."""
import pytest
import torch

from core import depth
from core.depth import model as depth_model
from core.depth.predict import gaussian_blur, langevin, noise_scale


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread: on a few shared cores, OpenMP workers spin against other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_model(seed: int = 0) -> depth.DepthModel:
    """A small model whose learned energies are not zero (freshly built ones start as the pure reference)."""
    torch.manual_seed(seed)
    m = depth.DepthModel((24, 32), base=4, energies={"frame": {}, "cnn": {"channels": 4, "hidden": 8}})
    with torch.no_grad():
        for e in m.energies.values():
            for p in e.parameters():
                p.add_(0.3 * torch.randn_like(p))
    return m.eval()


def test_energies_are_per_map_and_start_as_the_reference():
    fresh = depth.DepthModel((24, 32), base=4)
    img = torch.rand(2, 3, 24, 32)
    with torch.no_grad():
        z0, feats = fresh.predictor(img)
    assert z0.shape == (2, 24, 32) and feats.shape == (2, 4, 24, 32)
    for name in ("frame", "cnn"):
        e = fresh.energy(name)
        assert e.coarse_size((24, 32)) == (6, 8)
        c = 0.1 * torch.randn(2, 6, 8)
        ctx = e.context(img, feats, z0)
        assert e.learned(c, ctx, z0).abs().max() < 0.01 * c[0].numel()  # (almost) zero at initialisation
        ref = (c**2).sum((1, 2)) / (2 * e.sigma_ref**2)
        torch.testing.assert_close(e.reference(c), ref)
        assert e.total(c, ctx, z0).shape == (2,)
        both = e(torch.cat([c, torch.zeros_like(c)]), img, feats, z0)  # m·n fields in one call (DDP)
        assert both.shape == (4,)
        # z = z0 + U(c), and the projection of such a map gives c back (piecewise constant c)
        flat = torch.full((2, 6, 8), 0.3)
        torch.testing.assert_close(e.project(e.depth_of(flat, z0), z0), flat)
        valid = torch.ones(2, 24, 32, dtype=torch.bool)
        valid[:, :4, :4] = False  # a cell without valid pixels gets 0
        assert float(e.project(z0 + 1.0, z0, valid)[0, 0, 0]) == 0.0
        assert float(e.project(z0 + 1.0, z0, valid)[0, 1, 1]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="has no energy 'gan'"):
        fresh.energy("gan")
    with pytest.raises(ValueError, match="unknown depth energy"):
        depth_model.build_energy("gan", 4)


@pytest.mark.parametrize("name", ["frame", "cnn"])
def test_descent_and_langevin_lower_the_energy(name):
    m = tiny_model()
    img = torch.rand(3, 3, 24, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        z0, feats = m.predictor(img)
        e = m.energy(name)
        ctx = e.context(img, feats, z0)
        start = 0.5 * torch.randn((3,) + e.coarse_size((24, 32)), generator=torch.Generator().manual_seed(2))
        e_start = e.total(start, ctx, z0)
        seen = []
        c = langevin(e, ctx, z0, start, 30, 2e-3, mode="descent", callback=lambda t, c, en: seen.append(en))
        e_end = e.total(c, ctx, z0)
        assert (e_end < e_start).all()
        assert all((b <= a + 1e-3).all() for a, b in zip(seen, seen[1:]))  # descent: monotone for a small step
        # Langevin with noise still lowers the energy of a start far from the minimum, on average
        cl = langevin(e, ctx, z0, start, 30, 2e-3, noise=1.0, smooth=0.5, generator=torch.Generator().manual_seed(3))
        assert float(e.total(cl, ctx, z0).mean()) < float(e_start.mean())


def test_predict_returns_every_step_at_the_input_size():
    m = tiny_model()
    image = torch.rand(3, 50, 70, generator=torch.Generator().manual_seed(0))  # not the working size
    calls = []
    r = depth.predict(m, image, steps=5, energy="cnn", n_samples=3, step_size=1e-3, mode="langevin",
                      callback=lambda k, total, d: calls.append((k, total, tuple(d.shape))))
    assert r.initial.shape == r.final.shape == r.mean.shape == r.std.shape == (50, 70)
    assert len(r.steps) == 6 and len(r.energies) == 6 and torch.equal(r.steps[0], r.initial)
    assert torch.equal(r.steps[-1], r.final)
    assert calls == [(k, 5, (50, 70)) for k in range(6)]
    assert float(r.std.mean()) > 0 and (r.final > 0).all() and not r.cancelled
    assert r.settings["n_samples"] == 3 and r.energy_name == "cnn"
    again = depth.predict(m, image, steps=5, energy="cnn", n_samples=3, step_size=1e-3, mode="langevin")
    assert torch.equal(again.final, r.final)  # same seed, same result
    batch = depth.predict(m, torch.stack([image, image]), steps=2, mode="descent", energy="frame", n_samples=1)
    assert batch.final.shape == (2, 50, 70) and float(batch.std.abs().max()) == 0.0  # one noise-free chain
    torch.testing.assert_close(batch.final[0], batch.final[1])
    d = depth.predict(m, image, steps=8, mode="descent", step_size=1e-3, n_samples=4)
    assert d.energies[-1] < d.energies[0]  # the descended chain lowers its energy
    assert torch.equal(d.steps[-1], d.final) and float(d.std.mean()) > 0  # Langevin chains beside it
    assert not torch.equal(d.mean, d.final)
    torch.testing.assert_close(depth.predict_initial(m, image), r.initial)


def test_predict_can_be_cancelled_and_checks_its_input():
    m = tiny_model()
    image = torch.rand(3, 24, 32)
    seen = []
    r = depth.predict(m, image, steps=10, callback=lambda k, t, d: seen.append(k), should_stop=lambda: len(seen) >= 4)
    assert r.cancelled and len(r.steps) == 4 and len(r.energies) == 4
    with pytest.raises(ValueError, match="shape"):
        depth.predict(m, torch.rand(4, 24, 32))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        depth.predict(m, 255 * torch.rand(3, 24, 32))
    with pytest.raises(ValueError, match="unknown refinement mode"):
        depth.predict(m, image, mode="gibbs")
    assert noise_scale("annealed", 1.0, 9, 10) == 0.0 and noise_scale("annealed", 1.0, 0, 10) == pytest.approx(0.9)


def test_blur_preconditioner_is_symmetric():
    x, y = torch.randn(1, 9, 11), torch.randn(1, 9, 11)
    lhs = (gaussian_blur(x, 1.5) * y).sum()
    rhs = (x * gaussian_blur(y, 1.5)).sum()
    assert float(lhs) == pytest.approx(float(rhs), rel=1e-5)  # ⟨Bx, y⟩ = ⟨x, By⟩: M = B² is a valid preconditioner
    assert torch.equal(gaussian_blur(x, 0.0), x)


def test_save_load_round_trip_and_bad_files(tmp_path):
    m = tiny_model()
    m.refine["cnn"]["steps"] = 7
    path = m.save(tmp_path / "model.pt")
    back = depth.DepthModel.load(path)
    assert back.size == (24, 32) and back.energy_names() == ["frame", "cnn"] and back.refine["cnn"]["steps"] == 7
    for (k, a), (_, b) in zip(m.state_dict().items(), back.state_dict().items()):
        assert torch.equal(a, b), k
    half = depth.DepthModel.load(m.save(tmp_path / "half.pt", half=True))
    assert path.stat().st_size > (tmp_path / "half.pt").stat().st_size
    torch.testing.assert_close(half.predictor.head.bias, m.predictor.head.bias, rtol=1e-3, atol=1e-3)
    (tmp_path / "corrupt.pt").write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError, match="unreadable"):
        depth.DepthModel.load(tmp_path / "corrupt.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an energy-workbench depth model"):
        depth.DepthModel.load(tmp_path / "other.pt")
    with pytest.raises(ValueError, match="does not exist"):
        depth.DepthModel.load(tmp_path / "missing.pt")


def test_default_model_missing_or_corrupt(tmp_path, monkeypatch):
    monkeypatch.setenv("EBM_DEPTH_ASSETS", str(tmp_path))
    with pytest.raises(ValueError, match="missing"):
        depth.load_default_model()
    (tmp_path / depth.DEFAULT_CHECKPOINT).write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="unreadable"):
        depth.load_default_model()


def test_shipped_checkpoint_predicts_a_240x320_image():
    path = depth.default_checkpoint()
    if not path.is_file():
        pytest.skip("assets/depth checkpoint not built yet")
    assert path.stat().st_size <= 5 * 1024 * 1024
    model = depth.load_default_model()
    sample = depth.synthetic_sample(0, "test", (240, 320))
    r = depth.predict(model, sample.image, steps=3)
    assert r.final.shape == (240, 320)
    assert depth.metrics.compute(r.final, sample.depth)["abs_rel"] < 0.5
