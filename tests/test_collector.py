"""The serving process's garbage collector: start-up's objects frozen, restored afterwards."""

from __future__ import annotations

import gc

from tessera.kit.collector import SERVING_THRESHOLDS, tuned_for_serving


def test_serving_freezes_start_up_objects_and_restores_the_collector_after() -> None:
    before = gc.get_threshold()
    with tuned_for_serving():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == SERVING_THRESHOLDS
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
