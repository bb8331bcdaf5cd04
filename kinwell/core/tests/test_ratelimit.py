"""Rate-limit counting, on whichever cache the pass runs with (local memory, or Redis in the
PostgreSQL pass, where a batch is one pipelined round trip)."""

import time
import uuid

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from kinwell.core.ratelimit import count, count_many, hit


def test_counts_add_up_across_calls_and_batches():
    key = uuid.uuid4().hex
    assert count(key=key, window_seconds=60, amount=3)[0] == 3
    (total, wait), (other, _) = count_many([(key, 60, 2), (key + "-b", 3600, 1)])
    assert (total, other) == (5, 1)
    assert 1 <= wait <= 60


def test_hit_refuses_past_the_limit_and_says_how_long_to_wait():
    key = uuid.uuid4().hex
    results = [hit(key=key, limit=2, window_seconds=60) for _ in range(4)]
    assert results[:2] == [0, 0]
    assert all(1 <= r <= 60 for r in results[2:])


def test_the_counter_expires_with_its_window():
    key = uuid.uuid4().hex
    window_key = f"rl:{key}:{int(time.time() // 3600)}"
    count_many([(key, 3600, 1)])
    assert cache.get(window_key) == 1
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Counters carry a time to live, so they never pile up in Redis.
        client = backend._cache.get_client(write=True)
        assert 0 < client.ttl(backend.make_and_validate_key(window_key)) <= 3605
