"""Fixed-window rate limits kept in the cache (Redis when scaled, so shared by workers)."""

import time

from django.core.cache import cache


def hit(*, key: str, limit: int, window_seconds: int) -> int:
    """Count one action; return 0 when allowed, else the seconds until the window resets."""
    window = int(time.time() // window_seconds)
    cache_key = f"rl:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds + 5):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window_seconds + 5)
            count = 1
    if count <= limit:
        return 0
    return max(1, int((window + 1) * window_seconds - time.time()))
