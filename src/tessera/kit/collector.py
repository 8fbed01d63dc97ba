"""The garbage collector tuned for a server: what start-up made is frozen, young objects are
collected less often.

Python's cyclic collector runs a young-generation pass every 700 net allocations and, every so
often, a full pass over every tracked object, the application's modules, routes, SQLAlchemy
metadata and caches included. Profiled under load (py-spy), those passes cost a WebView session
about a fifth of its CPU. After start-up the long-lived objects are moved out of the collector's
sight (``gc.freeze``: they are still freed by reference counting, only never traversed), and the
young generation is collected every 50,000 allocations: a few megabytes of garbage cycles at the
most wait for it. Reference counting frees everything else at once, as always."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

SERVING_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def tuned_for_serving() -> Iterator[None]:
    """Around the serving part of a process's life; restores the collector afterwards."""
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
