"""Export a sampler run without any dialog: the trace as NPZ, an animation as GIF (MP4 with ffmpeg).

    save_trace(path, run.trace_record(), settings_dict)      # numpy.load(path) reads it back
    save_animation(path, frames, fps=20)                     # frames: list of (H, W, 3) uint8
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

MAX_FRAMES = 300  # frames kept by a recorder (older ones are dropped)
MAX_FRAME_SIDE = 480  # recorded frames are scaled down to at most this many pixels per side
ANIMATION_SUFFIXES = (".gif", ".mp4")


def mp4_available() -> bool:
    """True when imageio can write MP4 (imageio-ffmpeg is importable)."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def save_trace(path: str | Path, record: dict[str, Any], settings: dict[str, Any]) -> Path:
    """Write the recorded trace and the run's settings to `path` (.npz added when missing).

    Arrays: t (steps,), x (steps, chains, dim) float32, accepted (steps, chains) bool, final_x,
    x0 (n, dim), accept_count, diverged, divergences (n,); `settings` as JSON text in `settings`.
    """
    path = Path(path)
    if path.suffix.lower() != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays = {k: np.asarray(v) for k, v in record.items()}
    arrays["settings"] = np.asarray(json.dumps(settings, default=str))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_settings(npz: Any) -> dict[str, Any]:
    """The settings dict stored by `save_trace` in an opened NPZ."""
    return json.loads(str(npz["settings"]))


def qimage_to_array(image: QImage, max_side: int = MAX_FRAME_SIDE) -> np.ndarray:
    """An (H, W, 3) uint8 copy of `image`, scaled down to at most `max_side` pixels per side."""
    if max(image.width(), image.height()) > max_side:
        image = image.scaled(max_side, max_side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def save_animation(path: str | Path, frames: Sequence[np.ndarray], fps: float = 20.0) -> Path:
    """Write `frames` (each (H, W, 3) uint8, same size) as an animated GIF, or MP4 when possible.

    ValueError when there is nothing to write, the frames differ in size, or MP4 is asked for
    without imageio-ffmpeg.
    """
    import imageio.v3 as iio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        path, suffix = path.with_name(path.name + ".gif"), ".gif"
    if not frames:
        raise ValueError("no frames to write: turn on Record while playing, or take some steps first")
    if len({f.shape for f in frames}) != 1:
        raise ValueError("all frames of an animation must have the same size")
    if suffix == ".mp4" and not mp4_available():
        raise ValueError("writing MP4 needs the imageio-ffmpeg package; save as .gif instead")
    path.parent.mkdir(parents=True, exist_ok=True)
    stack = np.stack(frames)
    if suffix == ".gif":
        iio.imwrite(path, stack, extension=".gif", duration=int(round(1000 / fps)), loop=0)
    else:
        iio.imwrite(path, stack, extension=".mp4", fps=fps)
    return path


class FrameRecorder:
    """Keeps at most `max_frames` frames, taking one at most every `1/fps` seconds of play."""

    def __init__(self, fps: float = 20.0, max_frames: int = MAX_FRAMES) -> None:
        self.fps, self.max_frames = fps, max_frames
        self.frames: list[np.ndarray] = []
        self._last = -1e9

    def due(self, now: float) -> bool:
        """True when the next frame should be taken at time `now` (seconds)."""
        return now - self._last >= 1.0 / self.fps

    def add(self, frame: np.ndarray, now: float) -> None:
        """Keep `frame` (dropping the oldest beyond `max_frames`, and any of another size)."""
        if self.frames and self.frames[-1].shape != frame.shape:
            self.frames.clear()  # the view was resized: an animation needs one size
        self.frames.append(frame)
        del self.frames[: max(0, len(self.frames) - self.max_frames)]
        self._last = now

    def clear(self) -> None:
        self.frames.clear()
        self._last = -1e9
