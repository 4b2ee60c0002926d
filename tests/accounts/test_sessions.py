"""Idle and absolute session timeouts (accounts.middleware.SessionTimeoutMiddleware)."""

import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.sessions import GENERATION_KEY, LOGIN_AT_KEY, SEEN_AT_KEY
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def stamp(client, **ago):
    """Move the session's sign-in or last-activity time ``ago`` seconds into the past."""
    session = client.session
    now = time.time()
    for key, seconds in ago.items():
        session[{"login": LOGIN_AT_KEY, "seen": SEEN_AT_KEY}[key]] = now - seconds
    session.save()


@pytest.fixture
def home_url(trust):
    return reverse("accounts:trust_home", args=[trust.ods_code])


def test_the_defaults_are_30_minutes_idle_and_12_hours_in_all():
    assert django_settings.SESSION_IDLE_TIMEOUT_SECONDS == 30 * 60
    assert django_settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS == 12 * 60 * 60
    assert django_settings.SESSION_COOKIE_AGE == django_settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS


def test_the_middleware_runs_after_authentication():
    middleware = django_settings.MIDDLEWARE
    assert middleware.index("accounts.middleware.SessionTimeoutMiddleware") > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )


def test_signing_in_stamps_the_session(client, viewer):
    client.post(reverse("account_login"), {"login": viewer.user.email, "password": PASSWORD})
    session = client.session
    assert session[SESSION_KEY] == str(viewer.user.pk)
    assert abs(session[LOGIN_AT_KEY] - time.time()) < 60
    assert session[SEEN_AT_KEY] == session[LOGIN_AT_KEY]
    assert session[GENERATION_KEY] == 0


def test_an_active_session_carries_on(viewer_client, home_url):
    stamp(viewer_client, login=11 * 3600, seen=29 * 60)
    assert viewer_client.get(home_url).status_code == 200


def test_an_idle_session_ends_with_a_message(viewer_client, home_url):
    stamp(viewer_client, seen=30 * 60 + 1)
    response = viewer_client.get(home_url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={home_url}"
    assert SESSION_KEY not in viewer_client.session
    page = viewer_client.get(response["Location"]).content.decode()
    assert "You have been signed out because you had not used the service for 30 minutes" in page


def test_a_session_ends_12_hours_after_sign_in_however_busy(viewer_client, home_url):
    stamp(viewer_client, login=12 * 3600 + 1, seen=5)
    response = viewer_client.get(home_url, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert "because you signed in more than 12 hours ago" in response.content.decode()


def test_the_timeouts_come_from_settings(settings, viewer_client, home_url):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 60
    stamp(viewer_client, seen=61)
    response = viewer_client.get(home_url, follow=True)
    assert "had not used the service for 1 minute." in response.content.decode()


def test_activity_is_recorded_at_most_once_a_minute(viewer_client, home_url):
    stamp(viewer_client, seen=10)
    before = viewer_client.session[SEEN_AT_KEY]
    viewer_client.get(home_url)
    assert viewer_client.session[SEEN_AT_KEY] == before  # no session write for this page
    stamp(viewer_client, seen=120)
    viewer_client.get(home_url)
    assert abs(viewer_client.session[SEEN_AT_KEY] - time.time()) < 60


def test_a_session_without_stamps_is_ended(viewer_client, home_url):
    """Sessions signed in before the timeouts existed cannot be dated, so they end (fail closed)."""
    session = viewer_client.session
    del session[LOGIN_AT_KEY]
    session.save()
    response = viewer_client.get(home_url, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert "You have been signed out. Sign in again to continue." in response.content.decode()


def test_an_expired_session_on_a_public_page_just_carries_on_signed_out(viewer_client):
    stamp(viewer_client, seen=31 * 60)
    response = viewer_client.get(reverse("accounts:health"))
    assert response.status_code == 200
    assert SESSION_KEY not in viewer_client.session


def test_anonymous_requests_are_left_alone(client):
    assert client.get(reverse("account_login")).status_code == 200
