"""When a failed delivery is tried again: exponential backoff with jitter.

The n-th retry waits ``base * 2**(n-1)``, at most ``MAX_DELAY``, scaled by a random factor in
[0.5, 1) so that endpoints coming back from an outage are not hit by every worker at once. With
the default base of 30 s, a delivery is tried about 20 times over the 3 days it is retried for.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

MAX_DELAY = timedelta(hours=6)


def next_delay(
    attempts: int, base: float, jitter: Callable[[], float] = random.random
) -> timedelta:
    """The wait before the next attempt, after ``attempts`` failed ones (1 or more)."""
    exponent = min(max(attempts - 1, 0), 30)
    seconds = min(base * 2**exponent, MAX_DELAY.total_seconds())
    return timedelta(seconds=seconds * (0.5 + jitter() / 2))
