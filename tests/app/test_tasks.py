"""TaskRunner: only the newest submission reports back, progress and cancel reach the function, and a
finished submission keeps nothing alive (its task, function and arguments are freed)."""
from __future__ import annotations

import gc
import threading
import weakref

from workbench.tasks import TaskRunner

WAIT_MS = 60_000


class _Payload:
    """Stands for what the app submits (an energy, a sampler run): big, and must not outlive the work."""


def test_only_the_newest_submission_reports(qtbot):
    runner = TaskRunner()
    release = threading.Event()
    results = []
    runner.finished.connect(results.append)
    runner.submit(lambda: release.wait(30) and "old")
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS):
        runner.submit(lambda: "new")
        release.set()
    assert runner.wait(WAIT_MS)
    qtbot.wait(50)
    assert results == ["new"] and not runner.busy


def test_errors_are_put_in_words(qtbot):
    runner = TaskRunner()

    def bad(x):
        raise ValueError(f"x must be positive, got {x}")

    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed:
        runner.submit(bad, -1)
    assert failed.args == ["x must be positive, got -1"]
    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed:
        runner.submit(lambda: 1 / 0)
    assert failed.args[0].startswith("ZeroDivisionError")
    runner.wait(WAIT_MS)


def test_progress_and_cancel_reach_the_function(qtbot):
    runner = TaskRunner()
    started = threading.Event()
    seen = []
    runner.progress.connect(lambda done, total, payload: seen.append((done, total, payload)))

    def work(report, should_stop):
        report(1, 3, "first")
        started.set()
        while not should_stop():
            threading.Event().wait(0.01)
        return "cancelled"

    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as finished:
        runner.submit_with_progress(work)
        assert started.wait(30)
        runner.cancel()
    assert finished.args == ["cancelled"]
    qtbot.waitUntil(lambda: seen == [(1, 3, "first")], timeout=WAIT_MS)
    runner.wait(WAIT_MS)


def test_finished_submissions_keep_nothing_alive(qtbot):
    """PySide6 kept every QRunnable the pool did not delete, and its arguments, alive for good: the app
    leaked each landscape, energy and sampler run it ever computed on (the monkey's RSS kept growing)."""
    runner = TaskRunner()
    refs = []
    for i in range(20):
        payload = _Payload()
        refs.append(weakref.ref(payload))
        if i % 2:
            runner.submit(lambda p: p, payload)
        else:
            runner.submit_with_progress(lambda p, report, should_stop: report(1, 1), payload)
        del payload
    assert runner.wait(WAIT_MS)
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    qtbot.wait(50)
    gc.collect()
    alive = sum(ref() is not None for ref in refs)
    assert alive == 0, f"{alive} of 20 submitted arguments are still alive"
