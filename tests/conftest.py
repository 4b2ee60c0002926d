import os
import shutil

import pytest

from accounts.permissions import Role

from .factories import (
    ContractFactory,
    FeedbackFactory,
    FeedbackLinkFactory,
    IcsFactory,
    IcsMembershipFactory,
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    ProductFactory,
    RoadmapItemFactory,
    UsageImportFactory,
)

IN_CI = bool(os.environ.get("CI"))


def pytest_collection_modifyitems(config, items):
    """In CI nothing may be skipped for a missing service or browser: fail instead."""
    if not IN_CI:
        return
    missing = []
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.append("DATABASE_URL must point at PostgreSQL in CI")
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL must be set in CI")
    if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
        missing.append("Debian chromium must be installed in CI")
    if missing:
        raise pytest.UsageError("; ".join(missing))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Unit tests run tasks in-process; tests/integration starts a real worker instead."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


class World:
    """Two trusts in different ICSs (A and B) plus a trust C sharing A's ICS, with objects."""

    def __init__(self):
        self.ics_a = IcsFactory(name="ICS A")
        self.ics_b = IcsFactory(name="ICS B")
        self.trust_a = OrganisationFactory(name="Trust A", ics=self.ics_a)
        self.trust_b = OrganisationFactory(name="Trust B", ics=self.ics_b)
        self.trust_c = OrganisationFactory(name="Trust C", ics=self.ics_a)
        self.members = {
            role: MembershipFactory(organisation=self.trust_a, role=role).user
            for role in Role.values
        }
        self.ics_lead_a = IcsMembershipFactory(ics=self.ics_a).user
        self.ics_lead_b = IcsMembershipFactory(ics=self.ics_b).user
        self.b_admin = MembershipFactory(organisation=self.trust_b, role=Role.ORG_ADMIN)
        self.objects = {}
        for trust in (self.trust_a, self.trust_b):
            product = ProductFactory(organisation=trust)
            self.objects[trust.pk] = {
                "product_id": product.pk,
                "contract_id": ContractFactory(product=product).pk,
                "import_id": UsageImportFactory(organisation=trust).pk,
                "feedback_id": FeedbackFactory(product=product, patient_safety=True).pk,
                "link_id": FeedbackLinkFactory(organisation=trust, product=product).pk,
                "item_id": RoadmapItemFactory(product=product).pk,
                "membership_id": MembershipFactory(organisation=trust, role=Role.VIEWER).pk,
                "invitation_id": InvitationFactory(organisation=trust).pk,
            }

    def ids(self, trust):
        return {key: str(value) for key, value in self.objects[trust.pk].items()}


@pytest.fixture
def world(db):
    return World()
