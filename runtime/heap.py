"""The collector and a long-running process's start-up heap."""

import gc


def freeze_startup_heap() -> int:
    """Collect once, then keep every object alive now (modules, the catalog, the app, its
    statements) out of the collector's scans; returns how many were frozen.

    A full collection otherwise walks that whole heap: in the API under the latency bench,
    one took 109 ms, and every request in flight waited for it; after freezing, none took
    over 5 ms. Objects made later are collected as before."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
