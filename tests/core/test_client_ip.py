"""The client address: X-Forwarded-For is believed only as far as the proxies we run, and the
sign-in throttle (allauth) keys on the same address as the feedback form."""

import pytest
from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from core.client_ip import client_ip


def request_from(remote="10.0.0.9", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a forged left-hand entry is ignored
        (2, "6.6.6.6, 198.51.100.1, 10.1.1.1", "198.51.100.1"),
        (1, "198.51.100.1:51234", "198.51.100.1"),  # a port, as some proxies add it
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, " 2001:DB8::1 ", "2001:db8::1"),
        (1, "::ffff:198.51.100.1", "198.51.100.1"),  # IPv4-mapped
    ],
)
def test_x_forwarded_for_is_read_that_many_hops_from_the_right(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    assert client_ip(request_from("10.0.0.9", forwarded)) == expected


@pytest.mark.parametrize("forwarded", [None, "", "198.51.100.1", "not-an-address, also-not"])
def test_too_few_or_bad_entries_fall_back_to_the_connection(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.9", forwarded)) == "10.0.0.9"


def test_no_usable_address_is_none(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("")) is None
    assert client_ip(request_from("garbage")) is None


def test_the_sign_in_throttle_uses_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from("10.0.0.9", "6.6.6.6, 198.51.100.1")
    assert get_adapter(request).get_client_ip(request) == "198.51.100.1"
    settings.TRUSTED_PROXY_COUNT = 0
    assert get_adapter(request).get_client_ip(request) == "10.0.0.9"


def test_the_sign_in_throttle_refuses_a_request_without_an_address(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = request_from("")
    with pytest.raises(PermissionDenied):
        get_adapter(request).get_client_ip(request)
