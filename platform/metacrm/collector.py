"""Pausing Python's cyclic garbage collector around the compiler's passes and an
import's batches."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
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


@contextmanager
def collected_per_batch() -> Iterator[Callable[[], None]]:
    """The collector paused, run once by the function given after each batch of a long
    job (an import). A batch makes some hundred thousand containers that live until
    its end, so the collector, left to itself, runs hundreds of times a batch, and its
    full passes walk every object of the process: the compiled platform, and the
    phone, pinyin and fuzzy-matching tables a first batch loads (a sixth of an
    import's CPU). After the first batch what the process holds is frozen
    (``gc.freeze``: not walked, not freed) until the job ends, so each pass walks
    only what the batches made since; a batch's own objects are freed by reference
    counting as always, its cycles by that pass."""
    frozen = False

    def after_batch() -> None:
        nonlocal frozen
        gc.collect()
        if not frozen:
            gc.freeze()
            frozen = True

    with collector_paused():
        try:
            yield after_batch
        finally:
            if frozen:
                gc.unfreeze()
