"""Exact landscapes: log Z against closed forms, normalisation, marginals, temperature (no Qt)."""
import math

import pytest
import torch

from core import energies, landscape


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_log_z_of_standard_gaussian_matches_closed_form(temperature):
    E = energies.create("standard_gaussian", bounds=[(-12, 12), (-12, 12)])
    assert landscape.log_partition(E, temperature=temperature) == pytest.approx(
        math.log(2 * math.pi * temperature), abs=1e-4)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_log_z_of_correlated_gaussian_matches_closed_form(rho):
    E = energies.create("correlated_gaussian", rho=rho, bounds=[(-7, 7), (-7, 7)])
    expected = math.log(2 * math.pi) + 0.5 * math.log(1 - rho**2)
    assert landscape.log_partition(E) == pytest.approx(expected, abs=1e-4)


def test_log_z_of_1d_gaussian_from_a_formula():
    E = energies.from_expression("(x - 0.3)**2 / (2 * 0.7**2)", dim=1, bounds=[(-6, 6)])
    assert landscape.log_partition(E) == pytest.approx(0.5 * math.log(2 * math.pi * 0.49), abs=1e-4)


def test_banana_is_a_normalised_gaussian_in_disguise():
    # |det dy/dx| = 1, so Z equals the Gaussian's 2π·sqrt(det Σ) up to the mass outside the box.
    E = energies.create("banana", bounds=[(-12, 12), (-40, 8)])
    assert landscape.log_partition(E, resolution=1024) == pytest.approx(
        math.log(2 * math.pi * math.sqrt(0.75)), abs=1e-4)


@pytest.mark.parametrize("name", energies.names())
@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_density_and_marginals_integrate_to_one(name, temperature):
    E = energies.create(name)
    L = landscape.density(E, resolution=128, temperature=temperature)
    assert float(L.density.sum()) * L.cell_volume == pytest.approx(1.0, abs=1e-9)
    for axis, (lo, hi) in enumerate(L.bounds):
        h = (hi - lo) / len(L.axes[axis])
        assert float(L.marginals[axis].sum()) * h == pytest.approx(1.0, abs=1e-9)
        assert L.marginals[axis].shape == (128,)
    assert torch.isfinite(L.log_density).all()


def test_grid_is_cell_centred_and_ij_indexed():
    E = energies.from_expression("x + 10*y", dim=2, bounds=[(0, 1), (0, 2)])
    L = landscape.evaluate(E, resolution=4)
    torch.testing.assert_close(L.axes[0], torch.tensor([0.125, 0.375, 0.625, 0.875], dtype=torch.float64))
    torch.testing.assert_close(L.axes[1], torch.tensor([0.25, 0.75, 1.25, 1.75], dtype=torch.float64))
    assert L.energy[1, 2].item() == pytest.approx(0.375 + 12.5)


def test_rescaling_temperature_without_re_evaluating():
    E = energies.create("multimodal")
    base = landscape.density(E, 64)
    hot = landscape.at_temperature(base, 2.0)
    ref = landscape.density(E, 64, temperature=2.0)
    assert hot.log_z == pytest.approx(ref.log_z)
    torch.testing.assert_close(hot.density, ref.density)


def test_higher_temperature_flattens_the_density():
    E = energies.create("double_well", barrier=4.0)
    cold = landscape.density(E, 256, temperature=0.5).density
    hot = landscape.density(E, 256, temperature=5.0).density
    assert cold.max() > hot.max()


def test_nan_cells_count_as_zero_density():
    E = energies.from_expression("log(x) + y**2", dim=2, bounds=[(-1, 1), (-3, 3)])
    L = landscape.density(E, 64)
    assert math.isfinite(L.log_z)
    assert float(L.density[: 32].sum()) == 0.0  # x < 0: log is NaN there


def test_bad_arguments_raise_value_errors():
    E = energies.create("banana")
    with pytest.raises(ValueError, match="temperature"):
        landscape.density(E, temperature=0)
    with pytest.raises(ValueError, match="resolution"):
        landscape.evaluate(E, resolution=1)
    with pytest.raises(ValueError, match="more than"):
        landscape.evaluate(E, resolution=10_000)
    with pytest.raises(ValueError, match="1D and 2D"):
        landscape.evaluate(energies.from_expression("x + y + z"))
    with pytest.raises(ValueError, match="not finite anywhere"):
        landscape.density(energies.from_expression("log(-1 - x*x)", dim=1))
    with pytest.raises(ValueError, match="unbounded below"):
        landscape.density(energies.from_expression("-exp(800*x)", dim=1, bounds=[(-1, 1)]))
