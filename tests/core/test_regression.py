"""Energy-based regression: toy problems, losses against hand-computed values, training, D_KL (no Qt)."""
import math

import pytest
import torch

from core import regression
from core.regression import losses
from core.regression.model import RegressionModel


@pytest.mark.parametrize("number", [1, 2])
def test_toy_densities_are_normalised_and_match_samples(number):
    prob = regression.toy_problem(number)
    for x0 in (-2.0, -0.5, 0.5, 2.5):
        ys = torch.linspace(-3, 3, 200_001, dtype=torch.float64)
        p = prob.log_density(torch.tensor(x0, dtype=torch.float64), ys).exp()
        assert float(torch.trapezoid(p, ys)) == pytest.approx(1.0, abs=1e-3)
    x, y = prob.sample(200_000, seed=0)
    mean, std = prob.mean_std(x[:, 0].double())
    z = (y[:, 0].double() - mean) / std
    assert float(z.mean()) == pytest.approx(0.0, abs=0.01)  # s.e. 1/√n ≈ 0.002
    assert float(z.std()) == pytest.approx(1.0, abs=0.01)


def test_mixture_proposal_log_prob_by_hand():
    y_true = torch.tensor([[0.0]])
    y = torch.tensor([[[0.5]]])
    expected = math.log(0.5 * math.exp(-0.5 * 0.25 / 0.04) / (0.2 * math.sqrt(2 * math.pi))
                        + 0.5 * math.exp(-0.5 * 0.25 / 2.56) / (1.6 * math.sqrt(2 * math.pi)))
    assert losses.mixture_log_prob(y, y_true, (0.2, 1.6)).item() == pytest.approx(expected, rel=1e-6)


def test_losses_by_hand():
    f_true = torch.tensor([1.0])
    f_s = torch.tensor([[0.0, 2.0]])
    log_q = torch.tensor([[math.log(0.5), math.log(0.25)]])
    log_z = math.log((math.exp(0.0) / 0.5 + math.exp(2.0) / 0.25) / 2)
    assert losses.log_z_estimate(f_s, log_q).item() == pytest.approx(log_z)
    assert losses.ml_is(f_true, f_s, log_q).item() == pytest.approx(log_z - 1.0)
    log_p = torch.tensor([[math.log(1.0), math.log(0.5)]])
    expected_kld = log_z - 0.5 * (0.0 * 1.0 / 0.5 + 2.0 * 0.5 / 0.25)
    assert losses.kld(f_s, log_q, log_p).item() == pytest.approx(expected_kld)
    log_q0 = torch.tensor([math.log(2.0)])
    logits = [1.0 - math.log(2.0), 0.0 - math.log(0.5), 2.0 - math.log(0.25)]
    expected_nce = math.log(sum(math.exp(v) for v in logits)) - logits[0]
    assert losses.nce(f_true, f_s, log_q0, log_q).item() == pytest.approx(expected_nce)
    assert losses.ml_mcmc(f_true, f_s).item() == pytest.approx(1.0 - 1.0)
    grad = torch.tensor([[0.3]])
    noisy, y_true, sigma = torch.tensor([[0.1]]), torch.tensor([[0.0]]), 0.2
    assert losses.dsm(grad, noisy, y_true, sigma).item() == pytest.approx((0.3 + 0.1 / 0.04) ** 2)


class _ExactNet(torch.nn.Module):
    """f(x, y) = log p_true(y | x): a 'perfect' model for the metric."""

    def __init__(self, prob):
        super().__init__()
        self.prob = prob

    def features(self, x):
        return x

    def forward(self, x, y, x_features=None):
        return self.prob.log_density(x.double().view(-1, 1), y.double().squeeze(-1)).clamp_min(-1e4).float()


@pytest.mark.parametrize("number", [1, 2])
def test_kl_of_the_true_density_is_zero_and_baseline_is_as_expected(number):
    prob = regression.toy_problem(number)
    model = RegressionModel(_ExactNet(prob))
    assert regression.kl_divergence(prob, model, 256, 2048) == pytest.approx(0.0, abs=2e-3)
    baseline = regression.gaussian_baseline_kl(prob)
    if number == 2:
        assert baseline == pytest.approx(0.0, abs=1e-9)  # problem 2 *is* that Gaussian
    else:
        assert 0.3 < baseline < 1.5


@pytest.mark.parametrize("method", regression.METHODS)
def test_each_method_trains_without_nan_and_lowers_its_loss(method):
    tr = regression.RegressionTrainer(2, method, seed=0, n_train=320, n_samples=64)
    losses_ = [tr.step()["loss"] for _ in range(60)]
    assert all(math.isfinite(v) for v in losses_)
    assert sum(losses_[-10:]) < sum(losses_[:10]), f"{method} did not lower its loss"


def test_train_returns_a_model_with_energy_and_proposal():
    x, y = regression.toy_problem(2).sample(64, seed=0)
    model = regression.train((x, y), method="nce-mdn", epochs=1, n_components=4, n_samples=32)
    assert model.energy(x[:3], torch.zeros(3, 5, 1)).shape == (3, 5)
    assert model.proposal is not None
    assert model.snis_mean(x[:4], m=64).shape == (4, 1)
    plain = regression.train((x, y), method="ml-is", epochs=1, n_samples=32)
    assert plain.proposal is None
    with pytest.raises(ValueError, match="needs a model trained with a proposal"):
        plain.snis_mean(x[:2])
    with pytest.raises(ValueError, match="unknown regression method"):
        regression.train(2, method="gan")


def test_refinement_never_lowers_f():
    x, y = regression.toy_problem(2).sample(200, seed=1)
    model = regression.train((x, y), method="nce", epochs=2, n_samples=64)
    y0 = torch.zeros(200, 1)
    y1 = model.refine(x, y0, steps=10, step_size=0.5)
    f0 = model.net(x, y0[:, None]).squeeze(-1)
    f1 = model.net(x, y1[:, None]).squeeze(-1)
    assert (f1 >= f0 - 1e-6).all()
