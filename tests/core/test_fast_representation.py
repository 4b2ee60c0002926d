"""FastRepresentation writes exactly what DRF's own to_representation writes, field by field and
in the same order: for awkward values of every kind of field (a unit test), and for every GET
route of the API on the shared world's data (the serializers as they are used)."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from accounts import services as account_services
from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from core.api import FastRepresentation
from insights.summaries import summaries_recompute

from ..test_api_cross_tenant import api_patterns, token_secret


class Inner(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_name")


class Kinds(serializers.Serializer):
    text = serializers.CharField()
    email = serializers.EmailField()
    choice = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")])
    number_choice = serializers.ChoiceField(choices=[(1, "One"), (2, "Two")])
    number = serializers.IntegerField()
    flag = serializers.BooleanField()
    when = serializers.DateTimeField()
    when_formatted = serializers.DateTimeField(source="when", format="%d/%m/%Y %H:%M")
    when_in_utc = serializers.DateTimeField(source="when", default_timezone=UTC)
    day = serializers.DateField()
    money = serializers.DecimalField(max_digits=8, decimal_places=2)
    inner = Inner(allow_null=True)
    deep = serializers.CharField(source="inner.get_name", allow_null=True, required=False)
    deep_default = serializers.CharField(source="inner.get_name", default="no inner")
    deep_skipped = serializers.CharField(source="inner.get_name", required=False)
    tags = serializers.ListField(child=serializers.CharField())
    method = serializers.SerializerMethodField()
    fallback = serializers.CharField(default="given")
    optional = serializers.CharField(required=False)

    def get_method(self, obj) -> str:
        return f"m-{obj['number'] if isinstance(obj, dict) else obj.number}"


class FastInner(FastRepresentation, Inner):
    pass


class FastKinds(FastRepresentation, Kinds):
    inner = FastInner(allow_null=True)


def inner(name):
    return SimpleNamespace(id=7, get_name=lambda: name)


VALUES = {
    "text": ["plain", "", "  spaced  ", 42, True],
    "email": ["a@example.org", ""],
    "choice": ["a", "b", "not-a-choice", ""],
    "number_choice": [1, "1", 2, "3"],
    "number": [0, -5, 10**12, "17", True],
    "flag": [True, False, 1, 0, "true"],
    "when": [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night the clocks go forward
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/London")),
        datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 1, 1, 12, 0),  # naive
        "2026-01-01T00:00:00Z",
    ],
    "day": [date(2026, 2, 28), "2026-02-28"],
    "money": [Decimal("12.5"), Decimal("0"), 3, Decimal("-1.005")],
    "inner": [inner("EPR"), None],
    "tags": [["x", "y"], []],
}


def objects():
    rows = []
    for field, values in VALUES.items():
        for value in values:
            row = {name: options[0] for name, options in VALUES.items()}
            row[field] = value
            rows.append(row)
    for row in rows:
        yield SimpleNamespace(**row)
        yield {k: v for k, v in row.items() if k != "inner"} | {"inner": None}
    yield SimpleNamespace(**{**rows[0], "optional": "present", "fallback": "own"})


@pytest.mark.parametrize("zone", ["Europe/London", "UTC", "America/New_York"])
def test_every_kind_of_field_is_written_as_drf_writes_it(zone):
    with django_timezone.override(ZoneInfo(zone)):
        for obj in objects():
            slow = Kinds(obj).data
            fast = FastKinds(obj).data
            assert list(fast.items()) == list(slow.items()), obj
        many_slow = Kinds(list(objects()), many=True).data
        many_fast = FastKinds(list(objects()), many=True).data
        assert [list(r.items()) for r in many_fast] == [list(r.items()) for r in many_slow]


def test_a_field_drf_refuses_is_refused_the_same_way():
    broken = SimpleNamespace(**{name: options[0] for name, options in VALUES.items()})
    del broken.text
    with pytest.raises(AttributeError):
        Kinds(broken).data  # noqa: B018
    with pytest.raises(AttributeError):
        FastKinds(broken).data  # noqa: B018


@pytest.mark.django_db
def test_every_api_read_is_the_same_with_and_without_the_fast_path(world, client, monkeypatch):
    """Every GET route, as trust A's org admin (who sees everything, safety concerns included):
    the bodies match byte for byte when every FastRepresentation falls back to DRF's method."""
    for trust in (world.trust_a, world.trust_c):
        with scope(organisation=trust):
            summaries_recompute(trust)
    secret = token_secret(world, world.trust_a, Role.ORG_ADMIN)
    with scopes_disabled():
        _, ics_secret = account_services.ics_api_token_create(
            ics=world.ics_a,
            name="fast path",
            expires_at=django_timezone.now() + timedelta(days=1),
            actor=world.ics_lead_a,
        )
    own_ids = world.ids(world.trust_a)
    urls = {
        p.build(own_ids): ics_secret if p.route.startswith("api/v1/ics/") else secret
        for p in api_patterns()
    }

    def read_all():
        return {
            url: client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}") for url, key in urls.items()
        }

    fast = read_all()
    monkeypatch.setattr(
        FastRepresentation,
        "to_representation",
        lambda self, instance: super(FastRepresentation, self).to_representation(instance),
    )
    slow = read_all()
    read = 0
    for url in urls:
        assert fast[url].status_code == slow[url].status_code, url
        if fast[url].status_code == 200:
            read += 1
            assert fast[url].content == slow[url].content, url
    assert read >= 16
