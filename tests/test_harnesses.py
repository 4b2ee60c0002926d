"""The harnesses must be able to fail: each is shown a deliberately broken view."""

import pytest

from .test_anonymous_gate import check_gate
from .test_cross_tenant_probe import run_probe
from .urlwalk import walk


@pytest.mark.urls("tests.broken_urls")
def test_probe_reports_a_view_that_bypasses_the_scope(world):
    patterns = [p for p in walk() if p.name == "broken_leaky_product"]
    _, probes, leaks = run_probe(world, patterns)
    assert probes > 0
    assert any(status == 200 for *_, status in leaks)


@pytest.mark.urls("tests.broken_urls")
def test_probe_reports_a_view_that_trusts_the_url_and_writes(world):
    patterns = [p for p in walk() if p.name == "broken_unresolved_tenant"]
    _, _, leaks = run_probe(world, patterns)
    assert any(status == 200 for *_, status in leaks)
    assert any(status == "database changed" for *_, status in leaks)


@pytest.mark.django_db
def test_gate_reports_a_private_page_put_on_the_allow_list(settings):
    settings.ANONYMOUS_ALLOWED_URL_NAMES = {
        *settings.ANONYMOUS_ALLOWED_URL_NAMES,
        "accounts:organisation_switch",
    }
    patterns = [p for p in walk() if p.name == "accounts:organisation_switch"]
    _, failures = check_gate(patterns)
    assert failures  # an anonymous user reached (or crashed) a page that needs sign-in
