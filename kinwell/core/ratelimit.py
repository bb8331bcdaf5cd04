"""Fixed-window rate limits kept in the cache (Redis when scaled, so shared by workers)."""

import time

from django.core.cache import cache


def count(*, key: str, window_seconds: int, amount: int = 1) -> tuple[int, int]:
    """Count `amount` actions in the current window; return (count so far, seconds left).

    Counting a batch at once (chat stores messages in batches) costs the same one or two
    cache calls as counting one action.
    """
    window = int(time.time() // window_seconds)
    cache_key = f"rl:{key}:{window}"
    if cache.add(cache_key, amount, timeout=window_seconds + 5):
        total = amount
    else:
        try:
            total = cache.incr(cache_key, amount)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, amount, timeout=window_seconds + 5)
            total = amount
    return total, max(1, int((window + 1) * window_seconds - time.time()))


def hit(*, key: str, limit: int, window_seconds: int) -> int:
    """Count one action; return 0 when allowed, else the seconds until the window resets."""
    total, wait = count(key=key, window_seconds=window_seconds)
    return 0 if total <= limit else wait
