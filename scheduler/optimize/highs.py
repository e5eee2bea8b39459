"""HiGHS solver objects that print nothing on standard output.

HiGHS prints its banner ("Running HiGHS ... Copyright ...") from C++ onto file descriptor 1 the first time
a process constructs a solver, before any option can turn the output off: it landed in the middle of
``scheduler bench curtois --json`` and made that output unreadable as JSON. :func:`new_highs` constructs
the first solver with descriptor 1 pointed at the null device (C's stdio buffer flushed before it is
restored), then sets the options.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading

import highspy

_lock = threading.Lock()
_banner_shown = False


def _construct() -> highspy.Highs:
    global _banner_shown
    with _lock:
        if _banner_shown:
            return highspy.Highs()
        sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:             # no descriptor 1 (a daemon): nothing to protect
            _banner_shown = True
            return highspy.Highs()
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
                ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
        return h


def new_highs(**options: object) -> highspy.Highs:
    """A quiet ``highspy.Highs`` (``output_flag`` off) with ``options`` set (name → value)."""
    h = _construct()
    h.setOptionValue("output_flag", False)
    for name, value in options.items():
        h.setOptionValue(name, value)
    return h
