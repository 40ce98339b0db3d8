"""`core` is the engine and knows nothing of the screen: importing all of it loads no GUI module."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "vispy", "superqt", "workbench")

PROBE = f"""
import importlib, pkgutil, sys
import core
names = ["core"]
for info in pkgutil.walk_packages(core.__path__, "core."):
    importlib.import_module(info.name)
    names.append(info.name)
loaded = sorted({{m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r}}})
print(len(names), "modules:", " ".join(names))
print("GUI modules loaded:", " ".join(loaded) if loaded else "none")
sys.exit(1 if loaded else 0)
"""


def test_importing_all_of_core_loads_no_gui_module():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "core.energies" in done.stdout and "core.samplers" in done.stdout

