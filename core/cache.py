"""A Redis cache that fails open.

The cache holds nothing that cannot be rebuilt: rate-limit counters, cached dashboard bodies and a
copy of each session (the database keeps the original). If Redis is down, a page must still work,
so every cache call degrades to "not cached" instead of raising.
"""

import logging

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


def _fail_open(default):
    def wrap(method):
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception:  # redis.ConnectionError, TimeoutError, ...
                logger.warning(
                    "Cache unavailable: %s treated as a miss.", method.__name__, exc_info=True
                )
                return default(*args, **kwargs) if callable(default) else default

        call.__name__ = method.__name__
        return call

    return wrap


class FailOpenRedisCache(RedisCache):
    get = _fail_open(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _fail_open({})(RedisCache.get_many)
    has_key = _fail_open(False)(RedisCache.has_key)
    set = _fail_open(None)(RedisCache.set)
    set_many = _fail_open([])(RedisCache.set_many)
    # "Added" on failure: callers use add() as a lock or a first-hit counter, and failing open
    # means letting the request through (allauth would otherwise answer 429 to every sign-in).
    add = _fail_open(True)(RedisCache.add)
    touch = _fail_open(False)(RedisCache.touch)
    delete = _fail_open(False)(RedisCache.delete)
    delete_many = _fail_open(None)(RedisCache.delete_many)
    incr = _fail_open(lambda key, delta=1, version=None: delta)(RedisCache.incr)

    @_fail_open(lambda key, timeout, version=None: 1)
    def incr_expiring(self, key, timeout: int, version=None) -> int:
        """Add one to the counter ``key`` (made at 0 if missing) and let it expire ``timeout``
        seconds from now: one round trip (INCR and EXPIRE in a pipeline)."""
        key = self.make_and_validate_key(key, version=version)
        with self._cache.get_client(key, write=True).pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, timeout)
            count, _ = pipe.execute()
        return count


def count_hit(key: str, timeout: int) -> int:
    """Count one more hit on ``key``, a counter that ends ``timeout`` seconds after its last hit;
    returns the count. One Redis round trip; other caches (the demo's memory) add, then incr.
    With Redis down it answers 1, failing open like the rest of this cache."""
    store = caches["default"]
    if isinstance(store, FailOpenRedisCache):
        return store.incr_expiring(key, timeout)
    store.add(key, 0, timeout)
    try:
        return store.incr(key)
    except ValueError:  # it expired between the two calls
        store.add(key, 1, timeout)
        return 1
