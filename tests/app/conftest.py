"""Hygiene for the app tests (after napari's): settings and data in a temp folder, no dialogs,
and a test fails if it leaves top-level widgets alive behind it, or child processes (training runs
in their own process) still running.

Opt out in one test with `@pytest.mark.allow_leaked_widgets`.
Qt runs under Xvfb (pytest-xvfb starts it when the `Xvfb` binary exists); only with no display at all
do we fall back to the offscreen platform, which cannot do OpenGL.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

CHILD_GRACE_S = 5.0  # how long a finishing child process may take to exit after a test


@pytest.hookimpl(trylast=True)  # after pytest-xvfb has started Xvfb and set DISPLAY
def pytest_configure(config: pytest.Config) -> None:
    """Register our markers; use the offscreen platform only if no X display exists."""
    config.addinivalue_line("markers", "allow_leaked_widgets: skip the leaked top-level widget check")
    config.addinivalue_line("filterwarnings", "error:::workbench")  # our own warnings are bugs
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True, scope="session")
def _app_thread_policy():
    """App tests run with the app's torch thread policy (cores − 1), as `energy-workbench` does."""
    import torch

    from workbench.app import leave_a_core_for_the_gui

    threads = torch.get_num_threads()
    leave_a_core_for_the_gui()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _user_folders_in_tmp(tmp_path, monkeypatch):
    """Point QSettings, app data (logs) and config at `tmp_path`; never show error dialogs."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(tmp_path / "settings"))
    from workbench import errors

    monkeypatch.setattr(errors, "SHOW_DIALOGS", False)
    yield


@pytest.fixture(autouse=True)
def _no_leaked_widgets(request):
    """Fail a test that leaves new top-level widgets alive (after closing and deferred deletes)."""
    before = _top_level_widgets()
    yield
    if request.node.get_closest_marker("allow_leaked_widgets"):
        return
    leaked = {key: w for key, w in _top_level_widgets().items() if key not in before}
    if leaked:
        names = ", ".join(f"{type(w).__name__}({w.objectName()!r})" for w in leaked.values())
        for widget in leaked.values():  # clean up so the next test starts fresh
            widget.close()
            widget.deleteLater()
        _flush_deletes()
        pytest.fail(f"test left {len(leaked)} top-level widget(s) alive: {names}", pytrace=False)


def _flush_deletes() -> None:
    """Process pending events and `deleteLater` calls, if a QApplication exists."""
    from PySide6.QtCore import QCoreApplication, QEvent

    app = QCoreApplication.instance()
    if app is None:
        return
    for _ in range(2):
        app.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _top_level_widgets() -> dict[int, object]:
    """Live top-level widgets by C++ address (empty when no QApplication was made)."""
    from PySide6.QtWidgets import QApplication
    from shiboken6 import getCppPointer

    if QApplication.instance() is None:
        return {}
    _flush_deletes()
    return {getCppPointer(w)[0]: w for w in QApplication.topLevelWidgets()}


def child_processes() -> dict[int, str]:
    """pid → command line of this process's live child processes (Linux /proc; empty elsewhere)."""
    me, out = os.getpid(), {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == me and fields[0] != "Z":  # ppid; zombies have ended already
                out[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):  # ended while we looked
            continue
    return out


@pytest.fixture
def children():
    """`child_processes` for tests that report them (the monkey)."""
    return child_processes


@pytest.fixture(autouse=True)
def _no_leaked_child_processes():
    """Fail a test that leaves new child processes running (Xvfb, started before, is not counted)."""
    before = set(child_processes())
    yield
    deadline = time.monotonic() + CHILD_GRACE_S
    leaked = {pid: cmd for pid, cmd in child_processes().items() if pid not in before}
    while leaked and time.monotonic() < deadline:
        time.sleep(0.05)
        leaked = {pid: cmd for pid, cmd in child_processes().items() if pid not in before}
    if leaked:
        for pid in leaked:  # so the next test starts clean
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        pytest.fail(f"test left {len(leaked)} child process(es) running: {list(leaked.values())}", pytrace=False)
