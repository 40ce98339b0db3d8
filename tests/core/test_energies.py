"""Built-in energies, the registry, the formula parser and the neural energy (no Qt)."""
import math

import pytest
import torch

from core import energies
from core.energies import neural
from core.registry import Registry

REQUIRED_1D = ["double_well", "asymmetric_double_well", "gaussian_mixture", "quartic"]
REQUIRED_2D = ["standard_gaussian", "correlated_gaussian", "banana", "donut", "multimodal", "funnel",
               "squiggle", "ring_of_gaussians", "rosenbrock", "rastrigin", "muller_brown"]


def test_registry_lists_every_required_builtin():
    assert energies.names(dim=1) == REQUIRED_1D
    assert energies.names(dim=2) == REQUIRED_2D


@pytest.mark.parametrize("name", REQUIRED_1D + REQUIRED_2D)
def test_builtin_shapes_params_and_bounds(name):
    E = energies.create(name)
    info = energies.info(name)
    assert E.dim == info["dim"] and len(E.bounds) == E.dim
    assert all(lo < hi for lo, hi in E.bounds)
    for spec in energies.specs(name):
        assert spec.help, f"{name}.{spec.name} has no help text"
        assert spec.low is None or spec.low <= spec.default
        assert spec.high is None or spec.default <= spec.high
    x = torch.zeros(7, 3, E.dim, dtype=torch.float64)
    assert E(x).shape == (7, 3)


@pytest.mark.parametrize("name", REQUIRED_1D + REQUIRED_2D)
def test_closed_form_gradient_matches_autograd(name):
    E = energies.create(name)
    gen = torch.Generator().manual_seed(1)
    lo = torch.tensor([b[0] for b in E.bounds], dtype=torch.float64)
    hi = torch.tensor([b[1] for b in E.bounds], dtype=torch.float64)
    x = lo + (hi - lo) * torch.rand(200, E.dim, generator=gen, dtype=torch.float64)
    e, g = E.energy_and_grad(x)
    e_ref, g_ref = energies.Energy.energy_and_grad(E, x)  # the autograd path of the base class
    torch.testing.assert_close(e, E(x))
    torch.testing.assert_close(g, g_ref, rtol=1e-9, atol=1e-9 * (1 + g_ref.abs().max().item()))


def test_known_values():
    assert energies.create("double_well")(torch.tensor([[1.0]])).item() == 0.0
    assert energies.create("double_well", barrier=3.0)(torch.tensor([[0.0]])).item() == pytest.approx(3.0)
    assert energies.create("standard_gaussian")(torch.tensor([[3.0, 4.0]])).item() == pytest.approx(12.5)
    # donut minimum on the ring, E = (r - 2.6)^2 / 0.033 elsewhere
    assert energies.create("donut")(torch.tensor([[2.6, 0.0]])).item() == pytest.approx(0.0, abs=1e-6)
    assert energies.create("donut")(torch.tensor([[0.0, 3.6]])).item() == pytest.approx(1 / 0.033, rel=1e-5)
    # Müller-Brown's deepest minimum is ≈ -146.70 at (-0.558, 1.442)
    mb = energies.create("muller_brown", beta=1.0)
    assert mb(torch.tensor([[-0.558, 1.442]], dtype=torch.float64)).item() == pytest.approx(-146.70, abs=0.05)


def test_bad_name_and_params_raise_precise_errors():
    with pytest.raises(ValueError, match="valid names: .*banana"):
        energies.create("bananna")
    with pytest.raises(ValueError, match="no parameter 'c'.*allowed: a, b"):
        energies.create("banana", c=1.0)
    with pytest.raises(ValueError, match="above its maximum"):
        energies.create("donut", radius=100.0)
    with pytest.raises(ValueError, match="must be a float"):
        energies.create("donut", radius="wide")
    with pytest.raises(ValueError, match="must be an int"):
        energies.create("ring_of_gaussians", n_modes=2.5)
    with pytest.raises(ValueError, match="low < high"):
        energies.create("banana", bounds=[(1, -1), (0, 1)])


def test_registry_refuses_duplicates():
    reg = Registry("thing")
    reg.register("a")(object)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(object)
    with pytest.raises(ValueError, match="already registered"):
        energies.register_energy("banana")(type("Again", (energies.Analytic,), {}))


class TestExpression:
    def test_values_and_dim_inference(self):
        E = energies.from_expression("(x**2-1)**2 + 0.5*y**2", dim=2, bounds=[(-2, 2), (-2, 2)])
        x = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        torch.testing.assert_close(E(x), torch.tensor([2.0, 1.0]))
        assert energies.from_expression("x**2").dim == 1
        assert energies.from_expression("x + z").dim == 3
        assert energies.from_expression("x0**2 + x3").dim == 4
        assert E.bounds == [(-2.0, 2.0), (-2.0, 2.0)]

    @pytest.mark.parametrize("formula, expected", [
        ("-x**2", -4.0), ("2**3**2", 512.0), ("2^3", 8.0), ("(1+x)*3/2", 4.5), ("x - -1", 3.0),
        ("sqrt(x)*exp(0)", math.sqrt(2)), ("log(e) + cos(pi)", 0.0), ("abs(-x) + tanh(0)", 2.0),
        ("softplus(0)", math.log(2)), ("1.5e1", 15.0), (".5 + x", 2.5), ("sigmoid(0)", 0.5),
    ])
    def test_precedence_functions_constants(self, formula, expected):
        E = energies.from_expression(formula, dim=1)
        assert E(torch.tensor([[2.0]], dtype=torch.float64)).item() == pytest.approx(expected)

    def test_gradient_by_autograd(self):
        E = energies.from_expression("x**2 + 3*x*y", dim=2)
        g = E.grad(torch.tensor([[1.0, 2.0]]))
        torch.testing.assert_close(g, torch.tensor([[8.0, 3.0]]))

    @pytest.mark.parametrize("formula, named", [
        ("x + foo", "'foo'"), ("__import__('os')", "'__import__'"), ("x $ 2", "'\\$'"),
        ("x; y", "';'"), ("sin(x", "expected '\\)'"), ("x**", "end of formula"), ("3 4", "'4'"),
        ("exp x", "expected '\\('"), ("x.real", "'.real'|'\\.'"), ("", "empty"), ("x == 1", "'='"),
        ("lambda", "'lambda'"), ("y", "'y'"),
    ])
    def test_bad_tokens_raise_value_error_naming_them(self, formula, named):
        with pytest.raises(ValueError, match=named):
            energies.from_expression(formula, dim=1)

    def test_constant_formula_broadcasts(self):
        E = energies.from_expression("3", dim=2)
        assert E(torch.zeros(4, 2)).shape == (4,)


class TestNeural:
    def test_shapes_gradient_and_determinism(self):
        E = neural.MLPEnergy(dim=2, hidden=(16, 16), seed=3)
        x = torch.randn(5, 4, 2)
        assert E(x).shape == (5, 4)
        assert E.grad(x).shape == (5, 4, 2)
        again = neural.MLPEnergy(dim=2, hidden=(16, 16), seed=3)
        torch.testing.assert_close(E(x), again(x))

    def test_save_load_round_trip(self, tmp_path):
        E = neural.MLPEnergy(dim=2, hidden=(8,), seed=0, bounds=[(-1, 1), (-2, 2)])
        path = neural.save(E, tmp_path / "ckpt" / "energy.pt")
        back = neural.load(path)
        x = torch.randn(10, 2)
        torch.testing.assert_close(back(x), E(x))
        assert back.bounds == E.bounds
        assert not list(tmp_path.glob("ckpt/*.tmp"))

    def test_load_errors(self, tmp_path):
        with pytest.raises(ValueError, match="no energy checkpoint"):
            neural.load(tmp_path / "missing.pt")
        bad = tmp_path / "bad.pt"
        bad.write_bytes(b"not a checkpoint")
        with pytest.raises(ValueError, match="not a readable energy checkpoint"):
            neural.load(bad)
        with pytest.raises(ValueError, match="unknown activation"):
            neural.MLPEnergy(activation="relu6")
