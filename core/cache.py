"""A Redis cache that fails open.

The cache holds nothing that cannot be rebuilt: rate-limit counters, cached dashboard bodies and a
copy of each session (the database keeps the original). If Redis is down, a page must still work,
so every cache call degrades to "not cached" instead of raising.
"""

import logging

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
