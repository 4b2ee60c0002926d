"""A session that has ended stays ended, whatever the cache held or holds again later."""

import pytest
from django.conf import settings as project_settings
from django.core.cache import caches
from django.test import Client

from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_logout_stays_a_logout_when_the_cache_comes_back_with_old_data(settings):
    """Redis down at logout, back later with its old contents: the old cookie must not work."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert settings.SESSION_ENGINE == project_settings.SESSION_ENGINE  # the project's own choice
    cache = caches["default"]
    membership = MembershipFactory()
    client = Client()
    client.post("/accounts/login/", {"login": membership.user.email, "password": PASSWORD})
    home = f"/o/{membership.organisation.ods_code}/"
    assert client.get(home).status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    before_logout = dict(cache._cache), dict(cache._expire_info)
    client.post("/accounts/logout/")
    cache._cache.update(before_logout[0])  # the cache returns with what it held before
    cache._expire_info.update(before_logout[1])
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = replay.get(home)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
