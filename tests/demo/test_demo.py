"""The demo world (`make run`) and the benchmark scale data (`make bench`)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Membership, Organisation
from accounts.scoping import scopes_disabled
from feedback.models import Feedback
from insights.models import TrustMonthSummary
from portfolio.models import Product, UsageRecord

pytestmark = pytest.mark.django_db


def _counts():
    with scopes_disabled():
        return (
            Organisation.objects.count(),
            Membership.objects.count(),
            Product.objects.count(),
            UsageRecord.objects.count(),
            Feedback.objects.count(),
        )


def test_demo_data_needs_debug_or_an_explicit_flag(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password"):
        call_command("load_demo_data")


def test_the_demo_world_loads_once_and_again_without_duplicates(settings, capsys):
    settings.DEBUG = True
    call_command("load_demo_data")
    first = _counts()
    out = capsys.readouterr().out
    assert "pm@rz1.example.org" in out and "demo-password-not-secret" in out
    call_command("load_demo_data")
    assert _counts() == first
    trusts, _, products, usage, feedback = first
    assert (trusts, feedback) == (6, 4) and products > 30 and usage > 10_000
    with scopes_disabled():  # every trust's dashboards have figures to show
        assert set(TrustMonthSummary.objects.values_list("organisation", flat=True)) == set(
            Organisation.objects.values_list("pk", flat=True)
        )


def test_scale_data_needs_postgresql(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("make_scale_data")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only (CI always has it: never skipped there)",
)
def test_scale_data_is_made_and_deleted(capsys):
    call_command("make_scale_data", trusts=2, products_per_trust=3, days=4, sites=2, feedback=20)
    with scopes_disabled():
        assert Organisation.objects.filter(ods_code__startswith="RS").count() == 2
        assert Product.objects.filter(name__startswith="Scale product").count() == 6
        assert UsageRecord.objects.count() == 6 * 4 * 2
        assert Feedback.objects.count() == 20
    call_command("make_scale_data", delete=True)
    with scopes_disabled():
        assert not Organisation.objects.filter(ods_code__startswith="RS").exists()
        assert not UsageRecord.objects.exists() and not Feedback.objects.exists()
