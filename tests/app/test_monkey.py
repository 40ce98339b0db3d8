"""A GUI "monkey": thousands of random but valid user actions across all panels with a fixed seed —
switch tabs, change every named control, press every button that opens no dialog, step / play /
pause / reset, start / stop training, open good and bad files from a corpus — then: no exception
escaped (pytest-qt fails the test on an exception in any slot; the app's excepthook counted none),
no thread or child process was left behind, and memory did not keep growing.

Every `REPORT_EVERY` actions it prints a line (time, RSS of the app and of its training processes,
threads, which Training pages are training, the slowest action so far); each action slower than
`SLOW_ACTION_S` is printed with the GUI thread's CPU time and the threads that used the most CPU, and
one blocked for 10× that dumps every thread's stack. `MONKEY_ACTIONS` (default 300, CI) and `MONKEY_SEED` choose the run."""
from __future__ import annotations

import faulthandler
import json
import os
import random
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QAbstractButton, QApplication, QCheckBox, QComboBox, QSlider

from core import depth, training
from core.energies import neural
from core.runs import RunDir
from workbench import errors, workspace
from workbench.main_window import MainWindow

N_ACTIONS = int(os.environ.get("MONKEY_ACTIONS", 300))  # CI; MONKEY_ACTIONS=2000 for a long run
EVENTS_MS = 10  # events processed after each action (live views keep posting; a user is not faster)
SLOW_ACTION_S = 2.0  # an action slower than this is reported (a blocked GUI thread)
SEED = int(os.environ.get("MONKEY_SEED", 20261123))
REPORT_EVERY = 100
DIALOG_MARK = "…"  # buttons that open a file dialog say so; a modal dialog would wait for a human
ACTIONS = {"tabs": 0, "inputs": 0, "buttons": 0, "files": 0}


def _rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * 4096 / 2**20
    except OSError:  # a child that just ended
        return 0.0


def _os_threads() -> int:
    """Threads of this process, Qt's included (threading.active_count sees only Python's)."""
    return len(os.listdir("/proc/self/task"))


def _thread_cpu() -> dict[int, tuple[str, float]]:
    """tid → (name, CPU seconds) of this process's threads (Linux /proc)."""
    out, tick = {}, os.sysconf("SC_CLK_TCK")
    for task in Path("/proc/self/task").iterdir():
        try:
            name, rest = (task / "stat").read_text().rsplit(")", 1)
            fields = rest.split()
            out[int(task.name)] = (name.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / tick)
        except (OSError, IndexError, ValueError):  # a thread that just ended
            continue
    return out


def _busiest(before: dict[int, tuple[str, float]], top: int = 3) -> str:
    """The threads that used the most CPU since `before` (a slow action: who was running?)."""
    used = [(cpu - before.get(tid, ("", 0.0))[1], name) for tid, (name, cpu) in _thread_cpu().items()]
    return ", ".join(f"{name} {cpu:.1f} s" for cpu, name in sorted(used, reverse=True)[:top] if cpu > 0.05)


def _status(window: MainWindow, children, i: int, t0: float, worst: float) -> str:
    pages = window.panel("training").pages
    training = [key for key, page in pages.items() if page.worker.busy]
    kids = {pid: cmd for pid, cmd in children().items() if "training_process" in cmd}  # not Xvfb
    child_mb = sum(_rss_mb(pid) for pid in kids)
    return (f"[{i:5d}] {time.perf_counter() - t0:6.0f} s · RSS {_rss_mb():.0f} MB, {len(kids)} training processes "
            f"{child_mb:.0f} MB · {_os_threads()} threads · training: {', '.join(training) or '—'} · "
            f"slowest action so far {worst:.2f} s")


def _corpus(tmp: Path) -> list[tuple[str, Path]]:
    """(kind, path) of good and bad files: images, image folders, run directories, checkpoints, workspaces."""
    rng = np.random.default_rng(0)
    files: list[tuple[str, Path]] = []
    good = tmp / "room.png"
    Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(good)
    Image.fromarray(rng.integers(0, 255, (20, 20, 4), dtype=np.uint8)).save(tmp / "rgba.png")
    Image.fromarray(rng.integers(0, 65535, (20, 24), dtype=np.uint16)).save(tmp / "gray16.png")
    (tmp / "truncated.png").write_bytes(good.read_bytes()[:60])
    (tmp / "random.jpg").write_bytes(rng.integers(0, 255, 300, dtype=np.uint8).tobytes())
    (tmp / "empty.png").write_bytes(b"")
    for name in ("room.png", "rgba.png", "gray16.png", "truncated.png", "random.jpg", "empty.png", "missing.png"):
        files.append(("image", tmp / name))
    folder = tmp / "folder"
    folder.mkdir()
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(folder / "a.png")
    np.save(folder / "a.npy", np.ones((16, 16), np.float32))
    (folder / "b.png").write_bytes(b"junk")
    files += [("folder", folder), ("folder", tmp / "no-folder")]
    run = tmp / "run"
    training.fit(training.create("ebm2d", batch_size=16, buffer_size=100, hidden=8, mcmc_steps=2, eval_every=5),
                 10, RunDir(run))
    (tmp / "not-a-run").mkdir()
    broken = tmp / "broken-run"
    broken.mkdir()
    (broken / "config.json").write_text("[1, 2")
    files += [("run", run), ("run", tmp / "not-a-run"), ("run", broken), ("run", tmp / "nothing-here")]
    neural.save(neural.MLPEnergy(dim=2, hidden=(8,), bounds=[(-2, 2), (-2, 2)]), tmp / "energy.pt")
    (tmp / "junk.pt").write_bytes(b"\x80\x04junk")
    files += [("checkpoint", tmp / "energy.pt"), ("checkpoint", tmp / "junk.pt")]
    (tmp / "junk.json").write_text("{")
    (tmp / "old.json").write_text(json.dumps({"version": 0, "tab": 2, "inputs": {"depth/steps": 3}}))
    files += [("workspace", tmp / "junk.json"), ("workspace", tmp / "old.json")]
    return files


def _random_value(rng: random.Random, w, start: dict) -> None:
    if isinstance(w, QComboBox):
        if w.count():
            w.setCurrentIndex(rng.randrange(w.count()))
    elif isinstance(w, QCheckBox):
        w.setChecked(not w.isChecked())
    elif isinstance(w, QSlider):
        w.setValue(rng.randint(w.minimum(), w.maximum()))
    elif hasattr(w, "setValue"):  # spin boxes: anywhere from the minimum to 4× the value they started at
        # (a network of 2 048 units or a million chains is valid, but would make the suite take hours)
        v0 = start.setdefault(id(w), w.value())
        lo, hi = w.minimum(), min(w.maximum(), max(4 * abs(v0), v0 + 4))
        new = lo if rng.random() < 0.05 else rng.uniform(lo, hi)
        w.setValue(int(new) if isinstance(v0, int) else float(new))
    # line edits (run folders, formulas) are left alone: typing paths at random writes files anywhere


def _open_file(window: MainWindow, kind: str, path: Path, rng: random.Random) -> None:
    if kind == "image":
        window.panel("depth").load_image(path)
    elif kind == "folder":
        window.panel("depth").open_collection("folder", path)
    elif kind == "run":
        window.panel("training").follow_run(path)
    elif kind == "checkpoint":
        window.panel("landscape").source.load_checkpoint(str(path))
    elif kind == "workspace":
        window.open_workspace(path)


@pytest.mark.slow
def test_monkey(qtbot, tmp_path, monkeypatch, children):
    torch.manual_seed(0)
    # A one-time cost the app pays whenever a panel first shows the 8×8 digits: scikit-learn's import,
    # +160 MB. Training runs in its own processes, so the GUI process may pay it only late in the run
    # (the Sampler's discrete mode); paid up front, the RSS check below sees leaks, not a first import.
    load_digits()
    tiny = depth.DepthModel(size=(24, 32), base=4, refine={"cnn": {"steps": 3, "n_samples": 2},
                                                         "frame": {"steps": 3, "n_samples": 2}})
    tiny.save(tmp_path / "assets" / depth.DEFAULT_CHECKPOINT)
    monkeypatch.setenv("EBM_DEPTH_ASSETS", str(tmp_path / "assets"))
    corpus = _corpus(tmp_path)
    window = MainWindow(remember_geometry=False)
    qtbot.addWidget(window)
    window.resize(1400, 850)
    window.show()
    qtbot.waitExposed(window)
    hook = errors.ExceptionHook(window).install()
    for page in window.panel("training").pages.values():  # runs go into the test folder
        page.controls.run_dir.setText("")
    monkeypatch.setattr("workbench.panels.training.run_page.default_run_dir",
                        lambda *parts: Path(tmp_path / "runs" / f"run-{random.random():.12f}"))
    rng = random.Random(SEED)
    rss_mid = rss_third = None
    grew: dict[str, float] = {}  # last third: RSS change (MB) by kind of action (which ones hold memory?)
    start_values: dict = {}
    slow: list[str] = []
    worst, t_start, threads_start = 0.0, time.perf_counter(), (threading.active_count(), _os_threads())
    try:
        for i in range(N_ACTIONS):
            t0, cpu0, threads0, rss0 = time.perf_counter(), time.thread_time(), _thread_cpu(), _rss_mb()
            # a GUI thread blocked this long prints every thread's stack: where it hangs, not just that it did
            faulthandler.dump_traceback_later(10 * SLOW_ACTION_S)
            r = rng.random()
            desc = ""
            if r < 0.05:
                window.tabs.setCurrentIndex(rng.randrange(window.tabs.count()))
                ACTIONS["tabs"] += 1
            elif r < 0.55:
                panel = window.tabs.currentWidget()
                inputs = [w for w in workspace._inputs(panel).values() if w.isVisible() and w.isEnabled()]
                if inputs:
                    w = rng.choice(inputs)
                    desc = f"set {w.objectName()}"
                    _random_value(rng, w, start_values)
                    ACTIONS["inputs"] += 1
            elif r < 0.95:
                panel = window.tabs.currentWidget()
                buttons = [b for b in panel.findChildren(QAbstractButton)
                           if b.window() is window and b.isVisible() and b.isEnabled() and b.text()
                           and DIALOG_MARK not in b.text() and "..." not in b.text()]
                if buttons:
                    b = rng.choice(buttons)
                    desc = f"click {b.text()}"
                    b.click()
                    ACTIONS["buttons"] += 1
            else:
                kind, path = rng.choice(corpus)
                desc = f"open {kind} {path.name}"
                _open_file(window, kind, path, rng)
                ACTIONS["files"] += 1
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, EVENTS_MS)
            faulthandler.cancel_dump_traceback_later()
            took = time.perf_counter() - t0
            if rss_mid is not None:
                key = f"{window.current_panel_id()}: {desc or 'switch tab'}"
                grew[key] = grew.get(key, 0.0) + _rss_mb() - rss0
            worst = max(worst, took)
            if i % REPORT_EVERY == 0:
                print(_status(window, children, i, t_start, worst), flush=True)
            if took > SLOW_ACTION_S:
                slow.append(f"action {i} on {window.current_panel_id()} ({desc}): {took:.1f} s, "
                            f"GUI thread CPU {time.thread_time() - cpu0:.1f} s; busiest threads: {_busiest(threads0)}")
                print(slow[-1], flush=True)
            if i % 25 == 0:
                qtbot.wait(5)
            if i == N_ACTIONS // 3:
                rss_third = _rss_mb()
            if i == 2 * N_ACTIONS // 3:
                rss_mid = _rss_mb()
        rss_end = _rss_mb()
        print(_status(window, children, N_ACTIONS, t_start, worst), flush=True)
    finally:
        faulthandler.cancel_dump_traceback_later()
        for info in window.panel_infos:
            shutdown = getattr(window.panel(info.id), "shutdown", None)
            if callable(shutdown):
                shutdown()
        hook.uninstall()
    print(f"monkey: {N_ACTIONS} actions {ACTIONS}, corpus {len(corpus)} files; RSS at 1/3, 2/3, end: "
          f"{rss_third:.0f}, {rss_mid:.0f}, {rss_end:.0f} MB; {len(slow)} actions over {SLOW_ACTION_S} s, the "
          f"slowest {worst:.2f} s; threads (Python, all) at the start {threads_start}, after shutdown "
          f"{(threading.active_count(), _os_threads())}, "
          f"training processes after shutdown {sum('training_process' in cmd for cmd in children().values())}")
    top = sorted(grew.items(), key=lambda kv: -kv[1])[:8]
    print("RSS growth in the last third by action (MB): " + "; ".join(f"{key} {mb:+.0f}" for key, mb in top))
    assert hook.count == 0, "an exception reached the excepthook"
    assert sum(ACTIONS.values()) > 0.9 * N_ACTIONS
    # models, buffers and caches reach their sizes in the first part; the last third may not grow by
    # more than a few hundred MB (a leak per action would keep adding at the same rate)
    assert rss_end - rss_mid < 300, (rss_third, rss_mid, rss_end)
