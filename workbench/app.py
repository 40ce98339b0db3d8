"""Start Energy Workbench: `energy-workbench [--tab NAME] [--screenshot PATH]` or `python -m workbench`.

Screenshots for the README and docs are made under Xvfb:

    xvfb-run -a python -m workbench --tab sampler --screenshot docs/screenshot-sampler.png
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Callable, Sequence

import pyqtgraph as pg
import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

import core
from workbench import APP_NAME, ORG_NAME, errors, panels
from workbench.main_window import MainWindow
from workbench.settings import Settings


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and the remaining single-dash arguments for Qt (e.g. `-platform offscreen`)."""
    parser = argparse.ArgumentParser(prog="energy-workbench",
                                     description="See energy-based models at work.")
    parser.add_argument("--tab", metavar="NAME",
                        help=f"open on this panel: {', '.join(p.id for p in panels.PANELS)}")
    parser.add_argument("--screenshot", metavar="PATH", type=Path,
                        help="render the window to PATH (PNG) once it has settled, then exit")
    parser.add_argument("--size", default="1280x800", metavar="WxH",
                        help="window size for --screenshot (default 1280x800)")
    parser.add_argument("--delay", type=int, default=500, metavar="MS",
                        help="wait this long before a --screenshot (default 500 ms)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {core.__version__}")
    args, rest = parser.parse_known_args(list(argv))
    unknown = [a for a in rest if a.startswith("--")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.tab is not None:
        try:
            panels.find(args.tab)
        except ValueError as exc:
            parser.error(str(exc))
    try:
        args.size = tuple(int(n) for n in args.size.lower().split("x", 1))
        assert len(args.size) == 2 and min(args.size) > 0
    except (ValueError, AssertionError):
        parser.error(f"--size must look like 1280x800, got {args.size!r}")
    return args, rest


def leave_a_core_for_the_gui() -> None:
    """Cap torch's intra-op threads at cores − 1: workers and the GUI thread must not fight for cores.

    On a 2-core machine torch's default of 2 threads made a 512² landscape take ~300 ms instead of
    ~12 ms while a sampler played (benchmarks/gui.py).
    """
    cores = os.cpu_count() or 1
    torch.set_num_threads(max(1, min(torch.get_num_threads(), cores - 1)))


def application(qt_args: Sequence[str] = ()) -> QApplication:
    """The QApplication (created, or the running one reused) with our names and pyqtgraph options."""
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME, *qt_args])
    app.setOrganizationName(ORG_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(core.__version__)
    pg.setConfigOptions(imageAxisOrder="row-major")
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Open the main window and run the event loop; return the exit status."""
    try:
        args, qt_args = parse_args(sys.argv[1:] if argv is None else [str(a) for a in argv])
    except SystemExit as exit_:  # --help, --version or a usage error, already printed
        return int(exit_.code or 0)
    leave_a_core_for_the_gui()
    app = application(qt_args)
    log_handler = errors.start_logging()
    show_dialogs = errors.SHOW_DIALOGS
    errors.SHOW_DIALOGS = show_dialogs and args.screenshot is None
    window = MainWindow(remember_geometry=args.screenshot is None)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    hook = errors.ExceptionHook(window).install()
    restore_sigint = _quit_on_ctrl_c()
    try:
        restore_last_workspace(window, enabled=args.screenshot is None)
        if args.tab:
            window.show_panel(args.tab)
        if args.screenshot is not None:
            window.resize(*args.size)
            QTimer.singleShot(args.delay, lambda: _screenshot(app, window, args.screenshot, hook))
        window.show()
        return app.exec()
    finally:
        restore_sigint()
        hook.uninstall()
        errors.SHOW_DIALOGS = show_dialogs
        errors.stop_logging(log_handler)


def restore_last_workspace(window: MainWindow, enabled: bool = True) -> list[str] | None:
    """Reopen the workspace used last (typed setting `restore_last_workspace`); None when none is."""
    settings = Settings.load()
    for problem in settings.problems:
        window.show_message(problem)
    last = Path(settings.last_workspace) if settings.last_workspace else None
    if not enabled or not settings.restore_last_workspace or last is None:
        return None
    if not last.exists():
        window.show_message(f"The last workspace {last} no longer exists; starting fresh.")
        return None
    return window.open_workspace(last)


def _screenshot(app: QApplication, window: MainWindow, path: Path, hook: errors.ExceptionHook) -> None:
    """Save `window` to `path`, close it and leave the event loop (status 1 on any error)."""
    status = 1
    try:
        app.processEvents()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(path)):
            print(f"energy-workbench: could not write {path}", file=sys.stderr)
        elif hook.count:
            print(f"energy-workbench: {hook.count} error(s) while rendering {path}", file=sys.stderr)
        else:
            status = 0
    finally:
        window.close()
        app.exit(status)


def _quit_on_ctrl_c() -> Callable[[], object]:
    """Let Ctrl+C in the terminal end the app; return a function putting the old handler back."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    except ValueError:  # not the main thread
        return lambda: None
    return lambda: signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
