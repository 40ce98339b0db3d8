"""A 3D surface of a 2D landscape (vispy `SurfacePlot` in a `SceneCanvas`, turntable camera).

The canvas is made the first time the view is shown, so the app pays for OpenGL only when 3D is
asked for. Without OpenGL (e.g. the offscreen Qt platform) a readable message takes its place.
Heights are the chosen quantity scaled to a fraction of the box, coloured with the heat map's colour
map (`landscape_view.colormap_for`), so the 2D and 3D views read the same way.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QOpenGLContext, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.landscape import Landscape
from workbench.widgets.landscape_view import colormap_for, levels_for, values_for

MAX_SIDE = 128  # vertices per side: a finer mesh looks the same and software OpenGL stays fluid
HEIGHT = 0.4  # surface height as a fraction of the larger side of the box
ZOOM_OUT = 1.25  # camera distance beyond a tight fit of the box
BACKGROUND = "#1e1e1e"
HINT = "Drag to rotate · Shift+drag to pan · wheel to zoom"

_vispy_app_chosen = False


def opengl_problem() -> str:
    """'' when an OpenGL context can be made here, else why not (in words)."""
    context = QOpenGLContext()
    if not context.create():
        return "OpenGL is not available here (no OpenGL context could be created)."
    return ""


def _use_pyside6() -> None:
    """Point vispy at PySide6, once per process, before the first canvas."""
    global _vispy_app_chosen
    if not _vispy_app_chosen:
        import vispy.app

        vispy.app.use_app("pyside6")
        _vispy_app_chosen = True


def surface_arrays(land: Landscape, mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, z, colours) for the mesh: at most MAX_SIDE² vertices, z (nx, ny) and colours (nx·ny, 4).

    Non-finite values sit at the top (like the heat map's top colour).
    """
    values = values_for(land, mode)
    stride = max(1, math.ceil(max(values.shape) / MAX_SIDE))
    values = values[::stride, ::stride]
    x = land.axes[0].numpy()[::stride].astype(np.float32)
    y = land.axes[1].numpy()[::stride].astype(np.float32)
    lo, hi = levels_for(values, mode)
    norm = (np.nan_to_num(values, nan=hi, posinf=hi, neginf=lo) - lo) / (hi - lo)
    norm = np.clip(norm, 0.0, 1.0).astype(np.float32)
    (x0, x1), (y0, y1) = land.bounds
    z = norm * np.float32(HEIGHT * max(x1 - x0, y1 - y0))
    colours = colormap_for(mode).map(norm.ravel(), mode="float").astype(np.float32)
    if colours.shape[1] == 3:
        colours = np.column_stack([colours, np.ones(len(colours), np.float32)])
    return x, y, np.ascontiguousarray(z), colours


class Surface3D(QWidget):
    """The 3D view: `set_landscape(land, mode)`; `canvas` is None until first shown (or without GL)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Surface3D")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.canvas = None
        self.view = None
        self.surface = None
        self.message = QLabel("The 3D view appears here.", self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self._layout.addWidget(self.message, 1)
        self.hint = QLabel(HINT, self)
        self.hint.setStyleSheet("color: gray;")
        self.hint.hide()
        self._layout.addWidget(self.hint)
        self.landscape: Landscape | None = None
        self.mode = "energy"
        self._drawn: tuple | None = None  # (landscape, mode) last put on the mesh
        self._shape: tuple | None = None  # (shape, bounds) of the mesh vertices
        self.problem = ""  # why there is no canvas, once making one failed

    def ensure_canvas(self) -> bool:
        """Make the canvas if needed; False (and a message shown) when OpenGL is unavailable."""
        if self.canvas is not None:
            return True
        if self.problem:
            return False
        problem = opengl_problem()
        if not problem:
            try:
                self._make_canvas()
            except Exception as exc:  # a broken driver must not take the app down
                problem = f"The 3D view could not start OpenGL: {type(exc).__name__}: {exc}"
        if problem:
            self.problem = problem
            self.message.setText(f"{problem}\nUse the 2D map instead.")
            return False
        self.message.hide()
        self.hint.show()
        self._redraw()
        return True

    def set_landscape(self, land: Landscape, mode: str | None = None) -> None:
        """Show `land` as a surface of `mode` (kept when None); drawn now if the canvas exists."""
        self.landscape = land
        self.mode = self.mode if mode is None else mode
        if self.isVisible():  # else when shown: no mesh work while the 2D map is on screen
            self._redraw()

    def set_mode(self, mode: str) -> None:
        """Switch between energy, density and log-density heights."""
        self.mode = mode
        if self.isVisible():
            self._redraw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._redraw()

    def render_image(self) -> np.ndarray | None:
        """The canvas rendered offscreen as an (h, w, 4) uint8 array; None without a canvas."""
        return None if self.canvas is None else self.canvas.render()

    def close_canvas(self) -> None:
        """Free the OpenGL canvas (the view can make a new one later)."""
        if self.canvas is not None:
            self.canvas.close()
            self.canvas = self.view = self.surface = None
            self._drawn = self._shape = None

    def _make_canvas(self) -> None:
        _use_pyside6()
        from vispy import scene

        canvas = scene.SceneCanvas(keys=None, show=False, parent=self, bgcolor=BACKGROUND)
        canvas.native.setObjectName("SurfaceCanvas")
        canvas.native.setMinimumSize(200, 200)
        view = canvas.central_widget.add_view()
        view.camera = scene.TurntableCamera(elevation=32.0, azimuth=-50.0, fov=40.0)
        self._layout.insertWidget(0, canvas.native, 1)
        self.canvas, self.view = canvas, view

    def _redraw(self) -> None:
        land = self.landscape
        if land is None or self.canvas is None:
            return
        if self._drawn is not None and self._drawn[0] is land and self._drawn[1] == self.mode:
            return
        from vispy import scene

        x, y, z, colours = surface_arrays(land, self.mode)
        shape = (z.shape, tuple(land.bounds))
        if self.surface is None:
            self.surface = scene.visuals.SurfacePlot(x=x, y=y, z=z, shading=None,
                                                     parent=self.view.scene)
        elif shape != self._shape:
            self.surface.set_data(x=x, y=y, z=z)
        else:
            self.surface.set_data(z=z)  # in place: same grid
        self.surface.set_data(colors=colours)  # after the mesh exists (vispy needs its faces first)
        if shape != self._shape:
            (x0, x1), (y0, y1) = land.bounds
            camera = self.view.camera
            camera.set_range(x=(x0, x1), y=(y0, y1), z=(0.0, float(z.max()) or 1.0))
            camera.center = ((x0 + x1) / 2, (y0 + y1) / 2, float(z.max()) / 3)
            camera.scale_factor *= ZOOM_OUT  # room for the corners while it turns
        self._shape = shape
        self._drawn = (land, self.mode)
        self.canvas.update()
