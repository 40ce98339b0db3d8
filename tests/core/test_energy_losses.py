"""LeCun's losses against hand-computed values, and the loss explorer: every valid loss learns the
digits, the energy loss collapses on a free-energy-per-class model and works on a distance model (no Qt)."""
import math

import pytest
import torch
import torch.nn.functional as F

from core import energy_losses as L
from core import training
from core.runs import RunDir

# two examples, three answers; the correct answer is 0 for both
E = torch.tensor([[1.0, 3.0, 0.5],
                  [2.0, 2.5, 4.0]])
Y = torch.tensor([0, 0])


@pytest.fixture(autouse=True)
def _one_thread():
    """Many small tensor ops: one thread (cores are shared), the previous setting restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_energy_and_perceptron_losses_by_hand():
    assert L.energy_loss(E, Y).tolist() == [1.0, 2.0]
    assert L.perceptron_loss(E, Y).tolist() == [1.0 - 0.5, 2.0 - 2.0]
    assert L.decide(E).tolist() == [2, 0]
    assert L.most_offending_incorrect(E, Y).tolist() == [0.5, 2.5]
    assert L.margin(E, Y).tolist() == [0.5 - 1.0, 2.5 - 2.0]


def test_hinge_loss_by_hand():
    assert L.hinge_loss(E, Y, margin=1.0).tolist() == [1.0 + 1.0 - 0.5, 1.0 + 2.0 - 2.5]
    assert L.hinge_loss(E, Y, margin=0.25).tolist() == [0.25 + 1.0 - 0.5, 0.0]  # 0.25 + 2 − 2.5 < 0
    assert L.hinge_loss(E, Y, margin=0.0).tolist() == [0.5, 0.0]


def test_log_likelihood_loss_by_hand():
    by_hand = [1.0 + math.log(math.exp(-1.0) + math.exp(-3.0) + math.exp(-0.5)),
               2.0 + math.log(math.exp(-2.0) + math.exp(-2.5) + math.exp(-4.0))]
    torch.testing.assert_close(L.log_likelihood_loss(E, Y, beta=1.0), torch.tensor(by_hand))
    beta2 = [1.0 + 0.5 * math.log(math.exp(-2.0) + math.exp(-6.0) + math.exp(-1.0)),
             2.0 + 0.5 * math.log(math.exp(-4.0) + math.exp(-5.0) + math.exp(-8.0))]
    torch.testing.assert_close(L.log_likelihood_loss(E, Y, beta=2.0), torch.tensor(beta2))
    # = softmax cross-entropy on −βE, divided by β; → the perceptron loss as β → ∞
    torch.testing.assert_close(L.log_likelihood_loss(E, Y, 3.0), F.cross_entropy(-3.0 * E, Y, reduction="none") / 3.0)
    torch.testing.assert_close(L.log_likelihood_loss(E, Y, 1e4), L.perceptron_loss(E, Y), atol=1e-3, rtol=0)


def test_gradients_push_the_right_energies():
    """Hinge (active): +1 on E(Y^i), −1 on the most offending wrong answer, 0 elsewhere; log-likelihood:
    +1 on E(Y^i) minus the Gibbs probabilities softmax(−βE)."""
    e = E.clone().requires_grad_(True)
    L.hinge_loss(e, Y, 1.0).sum().backward()
    assert e.grad.tolist() == [[1.0, 0.0, -1.0], [1.0, -1.0, 0.0]]
    e.grad = None
    L.log_likelihood_loss(e, Y, 1.0).sum().backward()
    torch.testing.assert_close(e.grad, F.one_hot(Y, 3).float() - torch.softmax(-E, -1))
    e.grad = None
    L.energy_loss(e, Y).sum().backward()
    assert e.grad.tolist() == [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], "the energy loss pulls nothing up"


def test_compute_by_name():
    assert L.names() == ["energy", "perceptron", "hinge", "log-likelihood"]
    torch.testing.assert_close(L.compute("hinge", E, Y, margin=0.25), L.hinge_loss(E, Y, 0.25))
    torch.testing.assert_close(L.compute("log-likelihood", E, Y, beta=2.0), L.log_likelihood_loss(E, Y, 2.0))
    with pytest.raises(ValueError, match="unknown loss 'square'.*perceptron"):
        L.compute("square", E, Y)
    with pytest.raises(ValueError, match="beta"):
        L.compute("log-likelihood", E, Y, beta=0.0)


def _train(loss, head="free", steps=600, **params):
    tr = training.create("loss-explorer", loss=loss, head=head, seed=0, eval_every=steps, **params)
    history = [tr.step() for _ in range(steps)]
    return tr, history


@pytest.mark.parametrize("loss", ["perceptron", "hinge", "log-likelihood"])
def test_contrastive_losses_learn_the_digits(loss):
    tr, hist = _train(loss)
    first, last = hist[0], hist[-1]
    assert first["test_accuracy"] < 0.3 and last["test_accuracy"] > 0.85, loss
    assert sum(h["loss"] for h in hist[-50:]) < sum(h["loss"] for h in hist[:50])
    assert last["test_energy_gap"] > 0, "the correct answer wins on average"
    assert last["samples_energies"].shape == (10,) and last["probe_label"] == tr.probe_label
    assert last["probe_prediction"] == int(last["samples_energies"].argmin())


def test_energy_loss_collapses_with_a_free_energy_per_class():
    """All ten energies fall together without bound; the answers are not told apart."""
    tr, hist = _train("energy")
    means = [h["energy_mean"] for h in hist]
    assert means[-1] < means[0] - 50, "the loss is unbounded below: every energy keeps falling"
    assert abs(means[-1]) > 10 * hist[-1]["test_energy_spread"], "they fall together"
    assert hist[-1]["test_accuracy"] < 0.3 and hist[-1]["test_energy_gap"] < 0


def test_energy_loss_is_valid_on_a_distance_model():
    """E = ½‖G(X) − e_Y‖²: pushing E(Y^i) down pulls the other answers up; no collapse."""
    tr, hist = _train("energy", head="distance")
    assert hist[-1]["test_accuracy"] > 0.85 and hist[-1]["test_energy_gap"] > 0
    assert hist[-1]["energy_mean"] > 0.25, "energies stay away from their floor 0"


def test_linear_energy_and_resume(tmp_path):
    straight = training.create("loss-explorer", loss="hinge", hidden=0, seed=1)
    training.fit(straight, 20)
    tr = training.create("loss-explorer", loss="hinge", hidden=0, seed=1)
    run = RunDir(tmp_path / "run")
    training.fit(tr, 10, run, checkpoint_every=5)
    resumed, run2 = training.resume(tmp_path / "run")
    training.fit(resumed, 20, run2, checkpoint_every=5)
    for a, b in zip(straight.model.parameters(), resumed.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert resumed.energies(resumed.x_test[:3]).shape == (3, 10) and resumed.predict(resumed.x_test).shape == (449,)


def test_bad_settings_raise_value_errors():
    with pytest.raises(ValueError, match="unknown loss"):
        training.create("loss-explorer", loss="nll")
    with pytest.raises(ValueError, match="unknown head"):
        training.create("loss-explorer", head="cosine")
    with pytest.raises(ValueError, match="margin"):
        training.create("loss-explorer", margin=-1.0)
