"""The harnesses must be able to fail: each is shown a deliberately broken view."""

import pytest
from django.db import connection

from accounts.permissions import Role
from accounts.scoping import scopes_disabled
from portfolio.models import Contract, Product

from .factories import ContractFactory, MembershipFactory, ProductFactory
from .invariants import check_invariants
from .test_anonymous_gate import check_gate
from .test_cross_tenant_probe import run_probe
from .urlwalk import walk

# The probe's self-tests run against the application's wall alone (connected as the owner role,
# which row-level security does not hold): on PostgreSQL the database would stop these views'
# leaks itself, which the last test of this group shows.


@pytest.mark.urls("tests.broken_urls")
def test_probe_reports_a_view_that_bypasses_the_scope(as_owner, world):
    patterns = [p for p in walk() if p.name == "broken_leaky_product"]
    _, probes, leaks = run_probe(world, patterns)
    assert probes > 0
    assert any(status == 200 for *_, status in leaks)


@pytest.mark.urls("tests.broken_urls")
def test_probe_reports_a_view_that_trusts_the_url_and_writes(as_owner, world):
    patterns = [p for p in walk() if p.name == "broken_unresolved_tenant"]
    _, _, leaks = run_probe(world, patterns)
    assert any(status == 200 for *_, status in leaks)
    assert any(status == "database changed" for *_, status in leaks)


@pytest.mark.urls("tests.broken_urls")
def test_probe_reports_another_trusts_data_in_a_page_that_answers_correctly(as_owner, world):
    patterns = [p for p in walk() if p.name == "broken_chatty_list"]
    _, _, leaks = run_probe(world, patterns)
    shown = [status for *_, status in leaks if str(status).startswith("shows")]
    assert shown and world.markers[world.trust_b.pk]["product"] in shown[0]


@pytest.mark.urls("tests.broken_urls")
def test_the_database_stops_the_same_broken_views_reading_another_trust(world):
    if connection.vendor != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    patterns = [p for p in walk() if p.name in {"broken_leaky_product", "broken_chatty_list"}]
    _, probes, leaks = run_probe(world, patterns)
    assert probes > 0
    # The broken views fail (a product that is not there: 500), but none shows another trust's data.
    assert [leak for leak in leaks if leak[-1] == 200 or str(leak[-1]).startswith("shows")] == []
    assert {leak[-1] for leak in leaks} <= {500}


@pytest.mark.django_db
def test_gate_reports_a_private_page_put_on_the_allow_list(settings):
    settings.ANONYMOUS_ALLOWED_URL_NAMES = {
        *settings.ANONYMOUS_ALLOWED_URL_NAMES,
        "accounts:organisation_switch",
    }
    patterns = [p for p in walk() if p.name == "accounts:organisation_switch"]
    _, failures = check_gate(patterns)
    assert failures  # an anonymous user reached (or crashed) a page that needs sign-in


@pytest.mark.django_db
def test_invariants_report_a_row_whose_organisation_differs_from_its_parents(trust, other_trust):
    contract = ContractFactory(product=ProductFactory(organisation=trust))
    with scopes_disabled():
        Contract.objects.filter(pk=contract.pk).update(organisation=other_trust)
        assert any("Contract" in p and "its product's" in p for p in check_invariants())
        Contract.objects.filter(pk=contract.pk).update(organisation=trust)  # for the teardown check


@pytest.mark.django_db
def test_invariants_report_a_safety_officer_from_another_trust(trust, other_trust):
    product = ProductFactory(organisation=trust)
    elsewhere = MembershipFactory(organisation=other_trust, role=Role.CLINICAL_SAFETY_OFFICER)
    MembershipFactory(organisation=trust, user=elsewhere.user, role=Role.VIEWER)
    with scopes_disabled():
        Product.objects.filter(pk=product.pk).update(clinical_safety_officer=elsewhere.user)
        assert any("clinical_safety_officer" in p for p in check_invariants())
        Product.objects.filter(pk=product.pk).update(clinical_safety_officer=None)
