"""The 3D point cloud of a depth map (vispy `Markers`, turntable camera), coloured by the image; the
ground truth can be shown beside it in grey. Made on first show; without OpenGL a message says why."""
from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.depth.geometry import point_cloud
from workbench.panels.landscape.surface3d import _use_pyside6, opengl_problem

BACKGROUND = "#1e1e1e"
MAX_POINTS = 60_000
HINT = "Drag to rotate · Shift+drag to pan · wheel to zoom · grey: ground truth"


class PointCloudView(QWidget):
    """`set_clouds(image, prediction, gt)`: numpy (H, W, 3) and (H, W) metres (gt may be None)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PointCloudView")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel("The 3D point cloud appears here after a prediction.", self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self._layout.addWidget(self.message, 1)
        hint = QLabel(HINT, self)
        hint.setStyleSheet("color: gray;")
        self._layout.addWidget(hint)
        self.canvas = self.view = None
        self.markers: dict[str, object] = {}
        self.problem = ""
        self.data: tuple | None = None
        self.n_points = 0

    def set_clouds(self, image: np.ndarray, prediction: np.ndarray, gt: np.ndarray | None) -> None:
        self.data = (image, prediction, gt)
        if self.isVisible():
            self._redraw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._ensure_canvas():
            self._redraw()

    def _ensure_canvas(self) -> bool:
        if self.canvas is not None:
            return True
        if self.problem:
            return False
        problem = opengl_problem()
        if not problem:
            try:
                _use_pyside6()
                from vispy import scene

                self.canvas = scene.SceneCanvas(keys=None, show=False, parent=self, bgcolor=BACKGROUND)
                self.canvas.native.setMinimumSize(200, 200)
                self.view = self.canvas.central_widget.add_view()
                self.view.camera = scene.TurntableCamera(elevation=-70.0, azimuth=180.0, fov=45.0)
                self._layout.insertWidget(0, self.canvas.native, 1)
            except Exception as exc:  # a broken driver must not take the app down
                problem = f"The 3D view could not start OpenGL: {type(exc).__name__}: {exc}"
        if problem:
            self.problem = problem
            self.message.setText(problem)
            return False
        self.message.hide()
        return True

    def _redraw(self) -> None:
        if self.data is None or self.canvas is None:
            return
        from vispy import scene

        image, prediction, gt = self.data
        rgb = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
        clouds = {"prediction": point_cloud(torch.from_numpy(prediction), rgb, MAX_POINTS)}
        if gt is not None and gt.shape == prediction.shape:
            clouds["gt"] = point_cloud(torch.from_numpy(gt), None, MAX_POINTS // 2)
        for key in list(self.markers):
            if key not in clouds:
                self.markers.pop(key).parent = None
        self.n_points = 0
        for key, (points, colours) in clouds.items():
            pts = points.numpy()
            if key == "gt":
                face = np.tile(np.array([[0.6, 0.6, 0.6, 0.5]], np.float32), (len(pts), 1))
            else:
                face = np.column_stack([colours.numpy(), np.ones(len(pts), np.float32)])
            if key not in self.markers:
                self.markers[key] = scene.visuals.Markers(parent=self.view.scene)
            self.markers[key].set_data(pts, face_color=face, edge_width=0, size=3)
            self.n_points += len(pts)
        points = clouds["prediction"][0].numpy()
        if len(points):
            lo, hi = points.min(0), points.max(0)
            self.view.camera.set_range(x=(lo[0], hi[0]), y=(lo[1], hi[1]), z=(lo[2], hi[2]))
        self.canvas.update()

    def render_image(self) -> np.ndarray | None:
        return None if self.canvas is None else self.canvas.render()

    def close_canvas(self) -> None:
        if self.canvas is not None:
            self.canvas.close()
            self.canvas = self.view = None
            self.markers = {}
