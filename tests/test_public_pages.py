"""The public-service pages (accessibility, privacy, cookies, contact, status): open to everyone,
linked from every page's footer, and saying what the code really does."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from core import health
from core.models import OutboxMessage
from core.queue import RESEND_AFTER
from feedback import contact_tokens
from feedback.notifications import CONFIRMATION_RESEND_AFTER
from feedback.views.public import _BROWSER_COOKIE_AGE, BROWSER_COOKIE
from portfolio.usage_import import KEEP_FAILED_FILES, ORPHAN_FILES_AFTER

from .factories import FeedbackLinkFactory

PAGES = ["core:accessibility", "core:privacy", "core:cookies", "core:contact", "core:status"]


class _Links(HTMLParser):
    """The h1 count and the links inside <footer>."""

    def __init__(self):
        super().__init__()
        self.h1s = 0
        self.in_footer = False
        self.footer_links: dict[str, str] = {}
        self._href = None

    def handle_starttag(self, tag, attrs):
        if tag == "h1":
            self.h1s += 1
        elif tag == "footer":
            self.in_footer = True
        elif tag == "a" and self.in_footer:
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag == "footer":
            self.in_footer = False
        elif tag == "a":
            self._href = None

    def handle_data(self, data):
        if self._href and data.strip():
            self.footer_links[data.strip()] = self._href


def _parse(response) -> _Links:
    parser = _Links()
    parser.feed(response.content.decode())
    return parser


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def not_eager():
    """Tasks go to a queue, as in production (tests/conftest.py puts the setting back)."""
    app.conf.task_always_eager = False


@pytest.fixture
def working_queue(not_eager, monkeypatch):
    """The task queue as in production, with its broker answering."""
    monkeypatch.setattr(health, "broker_ping", lambda: None)


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_each_page_opens_without_signing_in_with_one_heading(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert _parse(response).h1s == 1


@pytest.mark.parametrize("name", PAGES)
def test_each_page_opens_for_a_signed_in_member(viewer_client, name):
    response = viewer_client.get(reverse(name))
    assert response.status_code == 200
    assert _parse(response).h1s == 1


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_footer_links_to_every_public_page(client, viewer, viewer_client, signed_in):
    if signed_in:
        response = viewer_client.get(
            reverse("accounts:trust_home", args=[viewer.organisation.ods_code])
        )
    else:
        response = client.get(reverse("account_login"))
    assert response.status_code == 200
    links = _parse(response).footer_links
    assert links["Accessibility statement"] == reverse("core:accessibility")
    assert links["Privacy notice"] == reverse("core:privacy")
    assert links["Cookies"] == reverse("core:cookies")
    assert links["Contact us"] == reverse("core:contact")
    # People get the page in words; the JSON stays for monitors, linked from that page.
    assert links["Service status"] == reverse("core:status")


@pytest.mark.django_db
def test_the_status_page_links_to_the_json_for_monitors(client):
    response = client.get(reverse("core:status"))
    assert f'href="{reverse("accounts:health")}"' in response.content.decode()


@pytest.mark.django_db
def test_the_status_page_says_everything_works_when_every_check_passes(client, working_queue):
    response = client.get(reverse("core:status"))
    text = _text(response)
    assert "Everything is working." in text
    assert response.content.decode().count('nhsuk-tag nhsuk-tag--green">Working<') == 3
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_status_page_says_the_database_is_down_in_words_and_still_answers(
    client, monkeypatch, working_queue
):
    def down():
        raise ConnectionError("connection refused")

    monkeypatch.setattr(health, "database_ping", down)
    response = client.get(reverse("core:status"))
    assert response.status_code == 200
    text = _text(response)
    assert "Database Not working The database is not answering." in text
    assert "Some parts of the service are not working properly" in text
    assert "Everything is working." not in text


@pytest.mark.django_db
def test_the_status_page_says_the_cache_is_down_in_words(client, monkeypatch, working_queue):
    def down():
        raise ConnectionError("connection refused")

    monkeypatch.setattr(health, "cache_ping", down)
    response = client.get(reverse("core:status"))
    assert response.status_code == 200
    text = _text(response)
    assert "Cache Not working The cache is not answering." in text
    assert "Database Working" in text


@pytest.mark.django_db
def test_the_status_page_says_the_task_queue_is_down_in_words(client, monkeypatch, not_eager):
    def down():
        raise ConnectionError("connection refused")

    monkeypatch.setattr(health, "broker_ping", down)
    text = _text(client.get(reverse("core:status")))
    assert "Background tasks Not working The task queue is not answering." in text


@pytest.mark.django_db
def test_tasks_waiting_too_long_show_the_queue_as_delayed(client, working_queue):
    OutboxMessage.objects.create(task="core.tasks.outbox_relay_task")  # just asked for: fine
    OutboxMessage.objects.create(
        task="core.tasks.outbox_relay_task",
        created_at=timezone.now() - RESEND_AFTER - timedelta(minutes=1),
    )
    text = _text(client.get(reverse("core:status")))
    assert "Background tasks Delayed" in text
    assert "1 task has waited more than 15 minutes" in text


@pytest.mark.django_db
def test_the_demo_runs_tasks_in_the_web_process_and_says_so(client):
    # tests/conftest.py runs tasks eagerly, as `make run` does.
    text = _text(client.get(reverse("core:status")))
    assert "Background tasks Working Background tasks run straight away" in text


@pytest.mark.django_db
def test_a_real_cache_and_broker_answer_the_pings():
    health.cache_ping()
    health.broker_ping()


@pytest.mark.django_db
def test_a_cache_that_drops_writes_fails_the_ping(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with pytest.raises(ConnectionError):
        health.cache_ping()


@pytest.mark.django_db
def test_the_json_health_endpoint_runs_the_shared_database_check(client, monkeypatch):
    assert client.get(reverse("accounts:health")).json() == {"status": "ok"}
    calls = []
    monkeypatch.setattr(health, "database_ping", lambda: calls.append(1))
    client.get(reverse("accounts:health"))
    assert calls == [1]


@pytest.mark.django_db
def test_the_json_health_endpoint_still_fails_with_the_database(monkeypatch):
    def down():
        raise ConnectionError("connection refused")

    monkeypatch.setattr(health, "database_ping", down)
    response = Client(raise_request_exception=False).get(reverse("accounts:health"))
    assert response.status_code == 500


@pytest.mark.django_db
def test_the_json_health_endpoint_ignores_redis(client, monkeypatch):
    """A web process with Redis down still serves pages: monitors must not take it out."""

    def down():
        raise ConnectionError("connection refused")

    monkeypatch.setattr(health, "cache_ping", down)
    monkeypatch.setattr(health, "broker_ping", down)
    assert client.get(reverse("accounts:health")).json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_privacy_notice_quotes_the_retention_periods_the_code_uses(client):
    text = _text(client.get(reverse("core:privacy")))
    assert f"The link in it works for {contact_tokens.MAX_AGE.days} days" in text
    assert f"stops working after {contact_tokens.MAX_AGE.days} days" in text
    hours = int(CONFIRMATION_RESEND_AFTER.total_seconds() // 3600)
    assert f"to the same address within {hours} hours" in text
    assert f"kept for {KEEP_FAILED_FILES.days} days so it can be tried again" in text
    assert f"deleted after {ORPHAN_FILES_AFTER.days} day" in text
    for _, window in (
        settings.FEEDBACK_RATE_LIMIT_PER_BROWSER,
        settings.FEEDBACK_RATE_LIMIT_PER_ADDRESS,
    ):
        assert f"These counts are kept for {window // 60} minutes" in text
    assert f"ends after {settings.SESSION_IDLE_TIMEOUT_SECONDS // 60} minutes" in text
    assert f"or {settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS // 3600} hours after signing in" in text
    assert f"works for {settings.INVITATION_VALIDITY_HOURS} hours" in text
    assert "public task" in text and settings.SUPPORT_EMAIL in text


@pytest.mark.django_db
def test_the_cookies_page_names_every_cookie_the_service_sets(client):
    link = FeedbackLinkFactory()
    client.get(reverse("feedback:public_form", args=[link.token]))
    client.get(reverse("account_login"))
    set_cookies = set(client.cookies)
    assert {BROWSER_COOKIE, settings.CSRF_COOKIE_NAME} <= set_cookies
    text = _text(client.get(reverse("core:cookies")))
    for name in set_cookies | {settings.SESSION_COOKIE_NAME, "messages"}:
        assert name in text
    assert _BROWSER_COOKIE_AGE == 365 * 24 * 3600  # the page says 1 year
    assert "We do not use analytics" in text


@pytest.mark.django_db
def test_the_cookies_page_gives_lifetimes_from_the_settings(client, settings):
    settings.SESSION_COOKIE_AGE = 8 * 3600
    text = _text(client.get(reverse("core:cookies")))
    assert "Expires 8 hours, or when you sign out." in text
    assert "not from another website. Expires 1 year" in text


@pytest.mark.django_db
def test_the_contact_page_gives_the_support_address_from_the_settings(client, settings):
    settings.SUPPORT_EMAIL = "portfolio-help@example.nhs.uk"
    response = client.get(reverse("core:contact"))
    assert 'href="mailto:portfolio-help@example.nhs.uk"' in response.content.decode()
    assert f'href="{reverse("core:accessibility")}#reporting-problems"' in (
        response.content.decode()
    )
    accessibility = client.get(reverse("core:accessibility")).content.decode()
    assert 'id="reporting-problems"' in accessibility


@pytest.mark.django_db
def test_the_accessibility_statement_has_the_model_sections(client):
    text = _text(client.get(reverse("core:accessibility")))
    for section in (
        "How accessible this service is",
        "What to do if you cannot access parts of this service",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Equality Advisory and Support Service",
        "Technical information about this service's accessibility",
        "Compliance status",
        "Web Content Accessibility Guidelines version 2.2",
        "axe-core",
        "This statement was prepared on 7 December 2026.",
    ):
        assert section in text, section
