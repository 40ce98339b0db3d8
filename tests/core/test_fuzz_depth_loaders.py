"""Fuzzing of the depth loaders (hypothesis): random bytes and damaged PNG/JPEG/NPY/NPZ/HDF5 files either
load or raise a ValueError naming the file — never another exception."""
from __future__ import annotations

import io

import h5py
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from core import depth
from tests.core.test_fuzz_loaders import FUZZ, TRIED, VALID, _loads_or_value_error, _npy_bytes, _png_bytes, _write


def _nyu_bytes() -> bytes:
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:  # the real layout: images (n, 3, W, H) uint8, depths (n, W, H) metres
        f["images"] = np.zeros((1, 3, 8, 6), np.uint8)
        f["depths"] = np.ones((1, 8, 6), np.float32)
    return buf.getvalue()


DEPTH_VALID = {**VALID, ".png16": _png_bytes("I;16", dtype=np.uint16), ".mat": _nyu_bytes(),
               ".npy": _npy_bytes(np.ones((4, 6), np.float32))}


def damaged(key: str):
    valid = DEPTH_VALID[key]
    return st.one_of(st.binary(max_size=512), st.integers(0, len(valid)).map(lambda n: valid[:n]),
                     st.tuples(st.integers(0, len(valid)), st.binary(min_size=1, max_size=16)).map(
                         lambda t: valid[:t[0]] + t[1] + valid[t[0] + len(t[1]):]))


@FUZZ
@given(blob=st.one_of(damaged(".png"), damaged(".jpg")))
def test_load_image(tmp_path, blob):
    _loads_or_value_error(depth.load_image, _write(tmp_path, ".png", blob))


@FUZZ
@given(blob=damaged(".png16"))
def test_load_depth_png(tmp_path, blob):
    _loads_or_value_error(depth.load_depth, _write(tmp_path, ".png", blob))


@FUZZ
@given(blob=st.one_of(damaged(".npy"), damaged(".npz")), suffix=st.sampled_from([".npy", ".npz"]))
def test_load_depth_numpy(tmp_path, blob, suffix):
    _loads_or_value_error(depth.load_depth, _write(tmp_path, suffix, blob))


@FUZZ
@given(blob=damaged(".mat"))
def test_load_nyu(tmp_path, blob):
    _loads_or_value_error(lambda p: depth.NYUDepthV2(p)[0], _write(tmp_path, ".mat", blob))


def test_files_tried_so_far_are_counted():
    assert TRIED["files"] >= 0
