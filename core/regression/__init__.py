"""Energy-based regression p(y | x) ∝ exp(f(x, y)) (REFERENCES §3).

    prob = regression.toy_problem(1)
    model = regression.train(prob, method="ml-is", seed=0, epochs=75)
    regression.kl_divergence(prob, model)
"""
from core.regression.model import RegressionModel
from core.regression.problems import ToyProblem, toy_problem
from core.regression.train import (METHODS, RegressionTrainer, gaussian_baseline_kl, kl_divergence,
                                   train)

__all__ = ["ToyProblem", "toy_problem", "train", "kl_divergence", "gaussian_baseline_kl", "METHODS",
           "RegressionModel", "RegressionTrainer"]
