"""The public form's rate limit: per browser (a cookie) and link, with a much higher ceiling per
address and link, so a ward sharing one address is not turned away; only saved posts count; a
safety concern is never refused, only flagged."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.scoping import scopes_disabled
from feedback.models import Feedback
from feedback.views.public import BROWSER_COOKIE
from tests.factories import FeedbackLinkFactory, ProductFactory

pytestmark = pytest.mark.django_db

FLOOD_MESSAGE = "You have sent a lot of feedback in a short time. Wait 10 minutes and try again"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.FEEDBACK_RATE_LIMIT_PER_BROWSER = (3, 600)
    settings.FEEDBACK_RATE_LIMIT_PER_ADDRESS = (5, 600)
    settings.TRUSTED_PROXY_COUNT = 0


@pytest.fixture
def product(trust, cso):
    return ProductFactory(organisation=trust, name="Meridian EPR", clinical_safety_officer=cso.user)


@pytest.fixture
def link(trust, product):
    return FeedbackLinkFactory(organisation=trust, product=product)


def data(product, **overrides):
    return {
        "product": product.pk,
        "staff_group": "nurse_midwife",
        "rating": "2",
        "category": "usability",
        "text": "Discharge letters take nine clicks to send.",
        "patient_safety": "no",
        "contact_email": "",
        **overrides,
    }


def browser(link, remote="192.0.2.10", **extra):
    """A new browser on the ward: opens the form (and so gets its cookie)."""
    client = Client(REMOTE_ADDR=remote, **extra)
    response = client.get(reverse("feedback:public_form", args=[link.token]))
    assert response.status_code == 200
    return client


def send(client, link, product, **overrides):
    return client.post(
        reverse("feedback:public_form", args=[link.token]), data(product, **overrides)
    )


def saved():
    with scopes_disabled():
        return list(Feedback.objects.order_by("pk"))


def test_opening_the_form_sets_a_private_browser_cookie(link):
    client = Client()
    response = client.get(reverse("feedback:public_form", args=[link.token]))
    cookie = response.cookies[BROWSER_COOKIE]
    assert len(cookie.value) >= 16
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # A second visit keeps the same id.
    again = client.get(reverse("feedback:public_form", args=[link.token]))
    assert BROWSER_COOKIE not in again.cookies


def test_one_browser_is_limited(link, product):
    client = browser(link)
    for _ in range(3):
        assert send(client, link, product).status_code == 302
    response = send(client, link, product)
    assert response.status_code == 400
    assert FLOOD_MESSAGE in response.content.decode()
    assert len(saved()) == 3


def test_colleagues_on_one_ward_address_are_not_turned_away(link, product):
    for _ in range(5):
        assert send(browser(link), link, product).status_code == 302
    assert len(saved()) == 5
    # The address ceiling still holds against a flood from one place.
    response = send(browser(link), link, product)
    assert response.status_code == 400
    assert FLOOD_MESSAGE in response.content.decode()


def test_the_limit_is_per_link(trust, link, product):
    client = browser(link)
    for _ in range(3):
        send(client, link, product)
    other = FeedbackLinkFactory(organisation=trust, product=product)
    client.get(reverse("feedback:public_form", args=[other.token]))
    assert send(client, other, product).status_code == 302


def test_validation_failures_do_not_count(link, product):
    client = browser(link)
    for _ in range(6):
        assert send(client, link, product, text="").status_code == 400
    for _ in range(3):
        assert send(client, link, product).status_code == 302
    assert len(saved()) == 3


def test_a_safety_concern_is_never_refused_but_is_flagged(
    link, product, cso, pm_client, trust, django_capture_on_commit_callbacks
):
    client = browser(link)
    for _ in range(3):
        send(client, link, product)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, link, product, patient_safety="yes", text="Wrong patient shown.")
    assert response.status_code == 302
    concern = saved()[-1]
    assert concern.patient_safety and concern.rate_limited
    assert not any(f.rate_limited for f in saved()[:-1])
    assert [m.to for m in mail.outbox] == [[cso.user.email]]  # still sent to the officer
    # Triage sees the flag, in the list and on the item.
    listing = pm_client.get(reverse("feedback:feedback_list", args=[trust.ods_code]))
    assert "Sent during a flood" in listing.content.decode()
    detail = pm_client.get(concern.get_absolute_url()).content.decode()
    assert "Sent during a flood" in detail
    assert "check it is genuine" in detail


def test_the_patient_safety_category_is_never_refused_either(link, product):
    client = browser(link)
    for _ in range(3):
        send(client, link, product)
    assert send(client, link, product, category="patient_safety").status_code == 302
    assert saved()[-1].rate_limited


def test_a_browser_without_the_cookie_is_limited_by_its_address_alone(link, product):
    client = Client(REMOTE_ADDR="192.0.2.10")  # never opened the form: a script
    for _ in range(3):
        assert send(client, link, product).status_code == 302
    client.cookies.pop(BROWSER_COOKIE, None)
    assert send(client, link, product).status_code == 400


def test_a_forged_cookie_value_is_not_trusted(link, product):
    client = Client(REMOTE_ADDR="192.0.2.10")
    for number in range(3):
        client.cookies[BROWSER_COOKIE] = "x" * number  # too short to be one of ours
        assert send(client, link, product).status_code == 302
    client.cookies[BROWSER_COOKIE] = "y"
    assert send(client, link, product).status_code == 400


def test_behind_a_trusted_proxy_each_client_address_counts_separately(settings, link, product):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.FEEDBACK_RATE_LIMIT_PER_ADDRESS = (2, 600)
    proxy = "10.0.0.1"
    for ward in ("198.51.100.1", "198.51.100.2"):
        for _ in range(2):
            client = browser(link, remote=proxy, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ward}")
            assert send(client, link, product).status_code == 302
    client = browser(link, remote=proxy, HTTP_X_FORWARDED_FOR="7.7.7.7, 198.51.100.1")
    assert send(client, link, product).status_code == 400  # a forged left entry does not help


def test_ipv6_addresses_count_by_their_network(settings, link, product):
    settings.FEEDBACK_RATE_LIMIT_PER_ADDRESS = (2, 600)
    for host in ("2001:db8:0:1::a", "2001:db8:0:1::b"):
        assert send(browser(link, remote=host), link, product).status_code == 302
    assert send(browser(link, remote="2001:db8:0:1::c"), link, product).status_code == 400
    assert send(browser(link, remote="2001:db8:0:2::a"), link, product).status_code == 302


def test_an_untrusted_x_forwarded_for_is_ignored(settings, link, product):
    settings.FEEDBACK_RATE_LIMIT_PER_ADDRESS = (2, 600)
    for spoof in ("1.1.1.1", "2.2.2.2"):
        client = browser(link, HTTP_X_FORWARDED_FOR=spoof)
        assert send(client, link, product).status_code == 302
    client = browser(link, HTTP_X_FORWARDED_FOR="3.3.3.3")
    assert send(client, link, product).status_code == 400


def test_the_limit_fails_open_when_the_cache_is_down(link, product, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    client = browser(link)
    for name in ("get_many", "add", "incr"):
        monkeypatch.setattr(cache, name, down)
    for _ in range(5):
        assert send(client, link, product).status_code == 302
    assert len(saved()) == 5
