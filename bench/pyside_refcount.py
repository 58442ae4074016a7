"""Reproduces the PySide6 6.12.0 reference-count bug that made NodeFlow pin PySide6 < 6.12.

A void method called from Python (here QGraphicsItem.setVisible, setFont, setCacheMode)
returns None without adding a reference; on Python 3.11, where None is not immortal,
its count reaches zero after some thousands of calls and the interpreter aborts with
"Fatal Python error: none_dealloc" (or bool_dealloc).  NodeGraphQt makes such calls for
every port, so a workflow of a few hundred nodes was enough.

    python bench/pyside_refcount.py all      # exit code 0 with a good PySide6, 134 with 6.12.0
"""

import gc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtWidgets  # noqa: E402

app = QtWidgets.QApplication([])
scene = QtWidgets.QGraphicsScene()
mode = sys.argv[1] if len(sys.argv) > 1 else "all"
for i in range(20000):
    parent = QtWidgets.QGraphicsRectItem(0, 0, 10, 10)
    scene.addItem(parent)
    text = QtWidgets.QGraphicsTextItem("x", parent)
    if mode in ("font", "all"):
        text.font().setPointSize(8)
        text.setFont(text.font())
    if mode in ("vis", "all"):
        text.setVisible(True)
    if mode in ("cache", "all"):
        text.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
    if i % 500 == 0:
        gc.collect()
print("ok: no reference-count crash")
