"""With Redis down, the cache degrades to misses and pages keep working."""

import pytest
from django.core.cache import caches

from core.cache import FailOpenRedisCache
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
