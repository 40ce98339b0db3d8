"""File-loader fuzzing (hypothesis): random bytes and truncated valid files given to every loader of
`core`. Each either loads or raises a ValueError that names the file — never another exception, never
a crash. Bounded (deadline off, a fixed number of examples per loader) to keep the suite short."""
from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core import data
from core.energies import neural
from core.runs import RunDir
from core.training.gan import load_image_folder

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TRIED = {"files": 0}  # files tried, reported in the issue note


def _png_bytes(mode: str = "RGB", size=(12, 9), dtype=np.uint8) -> bytes:
    rng = np.random.default_rng(0)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 200, shape).astype(dtype)).save(buf, format="PNG")
    return buf.getvalue()


def _jpg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((10, 10, 3), 128, np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _npz_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, depth=array)
    return buf.getvalue()


def _checkpoint_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = neural.save(neural.MLPEnergy(dim=2, hidden=(8,), bounds=[(-1, 1), (-1, 1)]), Path(tmp) / "e.pt")
        return path.read_bytes()


VALID = {
    ".png": _png_bytes(), ".jpg": _jpg_bytes(), ".csv": b"x,y\n0.1,0.2\n0.3,-0.4\n",
    ".npy": _npy_bytes(np.zeros((5, 2), np.float32)), ".npz": _npz_bytes(np.ones((4, 6), np.float32)),
    ".json": json.dumps({"trainer": "ebm2d", "params": {"dataset": "8gaussians"}}).encode(),
    ".pt": _checkpoint_bytes(),
}


def contents(suffix: str):
    """Random bytes, or the valid file cut at a random length, or with random bytes spliced in."""
    valid = VALID[suffix]
    return st.one_of(
        st.binary(max_size=512),
        st.integers(0, len(valid)).map(lambda n: valid[:n]),
        st.tuples(st.integers(0, len(valid)), st.binary(min_size=1, max_size=16)).map(
            lambda t: valid[:t[0]] + t[1] + valid[t[0] + len(t[1]):]),
    )


def _write(tmp: Path, suffix: str, blob: bytes) -> Path:
    TRIED["files"] += 1
    path = tmp / f"fuzz{suffix}"
    path.write_bytes(blob)
    return path


def _loads_or_value_error(load, path: Path) -> None:
    try:
        load(path)
    except ValueError as exc:
        assert str(exc), "a ValueError must say what was wrong"


@FUZZ
@given(blob=contents(".csv"))
def test_points_csv(tmp_path, blob):
    _loads_or_value_error(data.load_points, _write(tmp_path, ".csv", blob))


@FUZZ
@given(blob=contents(".npy"))
def test_points_npy(tmp_path, blob):
    _loads_or_value_error(data.load_points, _write(tmp_path, ".npy", blob))


@FUZZ
@given(blob=contents(".json"))
def test_run_config_json(tmp_path, blob):
    run = RunDir(tmp_path / "run")
    TRIED["files"] += 1
    run.config_path.write_bytes(blob)
    _loads_or_value_error(lambda _p: run.read_config(), run.config_path)
    run.metrics_path.write_bytes(blob + b"\n" + blob[: len(blob) // 2])  # a torn last line is skipped
    list(run.iter_metrics())


@FUZZ
@given(blob=contents(".pt"))
def test_energy_checkpoint(tmp_path, blob):
    _loads_or_value_error(neural.load, _write(tmp_path, ".pt", blob))


@FUZZ
@given(blob=st.one_of(contents(".png"), contents(".jpg")))
def test_gan_image_folder(tmp_path, blob):
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    _write(folder, ".png", blob)
    _loads_or_value_error(lambda p: load_image_folder(p, 28, 1), folder)


def test_read_config_refuses_json_that_is_not_an_object(tmp_path):
    run = RunDir(tmp_path / "run")
    run.config_path.write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match="not a JSON object"):
        run.read_config()


def test_a_fuzzed_checkpoint_that_loads_is_usable(tmp_path):
    energy = neural.load(_write(tmp_path, ".pt", VALID[".pt"]))
    assert torch.isfinite(energy(torch.zeros(3, 2))).all()
