"""Hygiene for every test, Qt-free so `core` tests never load a GUI module: a test fails if it
leaves Python threads running behind it (opt out with `@pytest.mark.allow_leaked_threads`)."""
from __future__ import annotations

import threading
import time

import pytest

THREAD_GRACE_S = 2.0  # how long finishing threads may take to end after a test


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_leaked_threads: skip the leaked thread check")


@pytest.fixture(autouse=True)
def _no_leaked_threads(request):
    """Fail a test that leaves new Python threads running (after a short grace period)."""
    before = set(threading.enumerate())
    yield
    if request.node.get_closest_marker("allow_leaked_threads"):
        return
    deadline = time.monotonic() + THREAD_GRACE_S
    leaked = [t for t in threading.enumerate() if t not in before]
    while leaked and time.monotonic() < deadline:
        leaked[0].join(timeout=max(0.0, deadline - time.monotonic()))
        leaked = [t for t in leaked if t.is_alive()]
    if leaked:
        pytest.fail(f"test left threads running: {', '.join(t.name for t in leaked)}", pytrace=False)
