"""A Redis cache that degrades instead of failing while Redis is unreachable.

Everything Kinwell keeps in the cache can be rebuilt: rendered home pages and menus are
rendered again, sessions (`cached_db`) are read from the database, rate-limit counters
start again. So when Redis stops, reads miss and writes are skipped, and a member can
still check in or post; before this, every request answered 503 until Redis returned
(decision 0007). Live chat still needs Redis and says it is reconnecting.

The one thing lost meanwhile is shared counting: rate limits are not enforced while Redis
is down. A warning is logged, at most once a minute per process, so operators see it.
"""

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_last_warning = 0.0


def warn_unreachable(what: str) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= 60:
        _last_warning = now
        logger.warning("Redis unreachable (%s): cache skipped, rate limits not enforced", what)


class ResilientRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNREACHABLE:
            warn_unreachable("get")
            return default

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except UNREACHABLE:
            warn_unreachable("get_many")
            return {}

    def has_key(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().has_key(key, version))
        except UNREACHABLE:
            warn_unreachable("has_key")
            return False

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE:
            warn_unreachable("set")

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE:
            warn_unreachable("set_many")
            return list(data)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        try:
            return bool(super().add(key, value, timeout, version))
        except UNREACHABLE:
            warn_unreachable("add")
            return False

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        try:
            return bool(super().touch(key, timeout, version))
        except UNREACHABLE:
            warn_unreachable("touch")
            return False

    def delete(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().delete(key, version))
        except UNREACHABLE:
            warn_unreachable("delete")
            return False

    def delete_many(self, keys: Any, version: Any = None) -> None:
        try:
            super().delete_many(keys, version)
        except UNREACHABLE:
            warn_unreachable("delete_many")

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        try:
            return int(super().incr(key, delta, version))
        except UNREACHABLE:
            warn_unreachable("incr")
            raise ValueError(f"Key {key!r} not found (Redis unreachable).") from None
