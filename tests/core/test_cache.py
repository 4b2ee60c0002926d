"""With Redis down, the cache degrades to misses and pages keep working."""

import os
import time

import pytest
from django.core.cache import caches

from core.cache import FailOpenRedisCache, count_hit
from tests.factories import PASSWORD, MembershipFactory


@pytest.fixture
def dead_cache():
    # Port 1 on loopback: nothing listens, so every call is refused at once.
    return FailOpenRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})


def test_reads_are_misses(dead_cache):
    assert dead_cache.get("k") is None
    assert dead_cache.get("k", "fallback") == "fallback"
    assert dead_cache.get_many(["a", "b"]) == {}
    assert not dead_cache.has_key("k")
    assert "k" not in dead_cache


def test_writes_are_dropped_quietly(dead_cache):
    dead_cache.set("k", 1)
    assert dead_cache.add("k", 1) is True  # fail open: a lock or counter lets the request through
    assert dead_cache.incr("k", 3) == 3
    dead_cache.delete("k")


@pytest.mark.django_db
def test_pages_and_sessions_work_with_the_cache_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    assert isinstance(caches["default"], FailOpenRedisCache)
    membership = MembershipFactory()
    response = client.post(
        "/accounts/login/", {"login": membership.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302  # signed in: session saved to the database
    assert client.get(f"/o/{membership.organisation.ods_code}/").status_code == 200


def test_the_expiring_counter_fails_open(dead_cache):
    assert dead_cache.incr_expiring("k", 60) == 1  # every request is the first: let through


@pytest.mark.parametrize(
    "backend",
    ["core.cache.FailOpenRedisCache", "django.core.cache.backends.locmem.LocMemCache"],
)
def test_count_hit_counts_and_starts_again_after_its_time(settings, backend):
    """One more each call, on Redis (one INCR and EXPIRE) and on the demo's memory cache."""
    if backend.startswith("core") and not os.environ.get("CACHE_URL", os.environ.get("REDIS_URL")):
        pytest.skip("needs Redis: CI sets CACHE_URL")  # CI always does; never skipped there
    location = os.environ.get("CACHE_URL", os.environ.get("REDIS_URL", ""))
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": location}}
    caches["default"].delete("test-count-hit")
    assert [count_hit("test-count-hit", 1) for _ in range(3)] == [1, 2, 3]
    time.sleep(1.2)
    assert count_hit("test-count-hit", 1) == 1
    caches["default"].delete("test-count-hit")
