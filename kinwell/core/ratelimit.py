"""Fixed-window rate limits kept in the cache (Redis when scaled, so shared by workers)."""

import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from kinwell.core.cache import UNREACHABLE, warn_unreachable


def count_many(items: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """Count actions for several (key, window seconds, amount) at once; return, for each,
    (count so far in the window, seconds until the window resets).

    Chat counts a whole batch of messages here: with Redis that is one pipelined round
    trip instead of two or three per member and window.
    """
    now = time.time()
    keys = []
    for key, window_seconds, _amount in items:
        window = int(now // window_seconds)
        keys.append((f"rl:{key}:{window}", max(1, int((window + 1) * window_seconds - now))))
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)  # type: ignore[attr-defined]
        pipe = client.pipeline(transaction=False)
        for (cache_key, _wait), (_key, window_seconds, amount) in zip(keys, items, strict=True):
            full_key = backend.make_and_validate_key(cache_key)
            pipe.incrby(full_key, amount)
            pipe.expire(full_key, window_seconds + 5, nx=True)
        try:
            replies = pipe.execute()
        except UNREACHABLE:
            # Fail open: a member in crisis must never be stopped by our Redis being down.
            warn_unreachable("rate limit")
            return [(0, wait) for _k, wait in keys]
        return [(int(replies[2 * i]), wait) for i, (_k, wait) in enumerate(keys)]
    totals = []
    for (cache_key, wait), (_key, window_seconds, amount) in zip(keys, items, strict=True):
        if cache.add(cache_key, amount, timeout=window_seconds + 5):
            total = amount
        else:
            try:
                total = cache.incr(cache_key, amount)
            except ValueError:  # expired between add and incr
                cache.add(cache_key, amount, timeout=window_seconds + 5)
                total = amount
        totals.append((total, wait))
    return totals


def count(*, key: str, window_seconds: int, amount: int = 1) -> tuple[int, int]:
    """Count `amount` actions in the current window; return (count so far, seconds left)."""
    return count_many([(key, window_seconds, amount)])[0]


def hit(*, key: str, limit: int, window_seconds: int) -> int:
    """Count one action; return 0 when allowed, else the seconds until the window resets."""
    total, wait = count(key=key, window_seconds=window_seconds)
    return 0 if total <= limit else wait
