"""Pausing Python's cyclic garbage collector around the compiler's passes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Loading and compiling allocate many small long-lived objects and no cycles
    worth collecting; the cyclic GC would spend a fifth of the time walking them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
