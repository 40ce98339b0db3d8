"""The installed Qt binding keeps Python's reference counts straight (PySide6 6.12 on Python 3.11 did not)."""
import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_do_not_leak_references_to_none(qapp):
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(20_000):
        obj.setObjectName("x")  # a void method: the binding must return a new reference to None
    assert sys.getrefcount(None) >= before - 100
