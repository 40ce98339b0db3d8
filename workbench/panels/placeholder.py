"""Placeholder tabs for panels still to come: what the panel will do, and proof the engine answers."""
from __future__ import annotations

import html

import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

import core
from core import device

LANDSCAPE = ("Pick a built-in energy, type a formula or load a trained model, and see E(x) as a 1D "
             "curve or a 2D heat map with contours, its density at any temperature, a 3D surface "
             "and the exact log Z.")
SAMPLER = ("Run MCMC chains on the landscape step by step or live: trails, accepted and rejected "
           "proposals, a histogram against the exact density, and acceptance rate, ESS, R-hat "
           "and TV distance as the chains move.")
TRAINING = ("Train an energy-based model on a 2D data set (CD, PCD, NCE, ML-IS, DSM…) or a GAN-style "
            "EBM on digits, and watch the landscape, negative samples and loss curves evolve; "
            "pause, resume, save, or follow any run directory live.")
DEPTH = ("Open an RGB image, predict its depth map with the depth EBM, and compare image, "
         "prediction, ground truth and error map side by side, with metrics and the Langevin "
         "refinement animated step by step.")
TEXT_WIDTH = 960  # px; longer lines are hard to read


class PlaceholderPanel(QWidget):
    """A tab saying what the panel will do, with a few facts read live from `core`."""

    def __init__(self, title: str, sentence: str, facts: list[tuple[str, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(title)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)
        status = QLabel("<i>This panel is not built yet; this page is a placeholder.</i>")
        content = QWidget(self)
        content.setMaximumWidth(TEXT_WIDTH)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(heading)
        column.addWidget(_text(sentence))
        column.addWidget(status)
        column.addSpacing(12)
        for label, value in facts:
            column.addWidget(_text(f"<b>{html.escape(label)}:</b> {html.escape(value)}"))
        column.addStretch(1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.addWidget(content, 1)
        outer.addStretch(0)
        self.facts = dict(facts)


def _text(text: str) -> QLabel:
    """A wrapping, selectable label."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _engine() -> tuple[str, str]:
    """The engine line: core and torch versions and the compute device."""
    return "Engine", f"core {core.__version__} · torch {torch.__version__} · device {device.pick()}"


def training(parent: QWidget | None = None) -> PlaceholderPanel:
    """Training placeholder showing the device training would use."""
    return PlaceholderPanel("Training", TRAINING, [
        ("Open a run", "File › Open run… will follow a run directory once this panel exists."),
        ("CPU threads", str(torch.get_num_threads())),
        _engine(),
    ], parent)


def depth(parent: QWidget | None = None) -> PlaceholderPanel:
    """Depth placeholder showing the device prediction would use."""
    return PlaceholderPanel("Depth", DEPTH, [
        ("Open an image", "File › Open image… will load an RGB image once this panel exists."),
        _engine(),
    ], parent)
