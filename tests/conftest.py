"""Shared fixtures: a trust with one signed-in client per role, a two-trust user, an ICS lead,
and the two-trust ``world`` the cross-tenant harnesses probe."""

import os
import secrets
import shutil

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client

from accounts.management.commands.db_roles import DEFAULT_APP, DEFAULT_OWNER, roles_ensure
from accounts.models import IcsApiToken
from accounts.permissions import Role
from accounts.scoping import database_default
from config.celery import app
from core.queue import broker_health

from .factories import (
    ApiTokenFactory,
    ContractFactory,
    FeedbackFactory,
    FeedbackLinkFactory,
    IcsApiTokenFactory,
    IcsFactory,
    IcsMembershipFactory,
    InvitationFactory,
    MembershipFactory,
    OrganisationFactory,
    ProductFactory,
    RoadmapItemFactory,
    UsageImportFactory,
    UserFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
    enrol_mfa,
)
from .invariants import check_invariants

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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL the suite runs as the app role, under row-level security, as the service
    does: the test database is created and migrated by the superuser of DATABASE_URL, handed to
    the owner role (``manage.py db_roles``), and every test connects as the app role. (TRUNCATE
    is granted here only, for the transactional tests' flush.)"""
    default = connections["default"]
    if default.vendor != "postgresql":
        yield
        return
    superuser = default.settings_dict["USER"]
    with django_db_blocker.unblock():
        roles_ensure(DEFAULT_OWNER, DEFAULT_APP, truncate=True)
    _connect_as(DEFAULT_APP)
    try:
        yield
    finally:
        _connect_as(superuser)  # to drop the test database


def _connect_as(user):
    for conn in connections.all():
        conn.close()
        conn.settings_dict["USER"] = user


@pytest.fixture
def as_owner(transactional_db):
    """Connect as the owner role (BYPASSRLS) for one test: migration tests, and the harness
    self-tests that must see an application-level leak the database's wall would otherwise stop."""
    default = connections["default"]
    if default.vendor != "postgresql":
        yield
        return
    app_role = default.settings_dict["USER"]
    _connect_as(DEFAULT_OWNER)
    try:
        yield
    finally:
        _connect_as(app_role)


@pytest.fixture(autouse=True)
def _test_code_sees_every_trust():
    """Test set-up and assertions may read and write any trust's rows outside a scope (the
    factories do); requests and tasks still start fail-closed (accounts.middleware,
    accounts.receivers), so the code under test meets the database as in production."""
    with database_default(None):
        yield


@pytest.fixture(autouse=True)
def _database_invariants(request):
    """After every database test: the invariants of tests/invariants.py still hold."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db or request.node.get_closest_marker("browser"):
        yield
        return
    transactional = (marker and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    problems = check_invariants()
    assert problems == [], "database invariants broken:\n" + "\n".join(problems)


@pytest.fixture(autouse=True)
def _broker_presumed_up():
    """A broker failure seen by one test must not make the next skip its sends."""
    broker_health.reset()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters must not leak from one test into the next."""
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Unit tests run tasks in-process; tests/integration starts a real worker instead."""

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


# --- One trust and its people, by role ----------------------------------------------------------


@pytest.fixture
def trust(db):
    return OrganisationFactory()


@pytest.fixture
def other_trust(db):
    """A trust in another ICS."""
    return OrganisationFactory()


@pytest.fixture
def org_admin(trust):
    """Enrolled in two-factor authentication, as managing members requires."""
    membership = MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)
    enrol_mfa(membership.user)
    return membership


@pytest.fixture
def pm(trust):
    """A product manager of ``trust`` (a Membership: ``pm.user``, ``pm.organisation``)."""
    return MembershipFactory(organisation=trust, role=Role.PRODUCT_MANAGER)


@pytest.fixture
def cso(trust):
    """A clinical safety officer of ``trust``."""
    return MembershipFactory(organisation=trust, role=Role.CLINICAL_SAFETY_OFFICER)


@pytest.fixture
def contributor(trust):
    """A clinician who gives feedback."""
    return MembershipFactory(organisation=trust, role=Role.CONTRIBUTOR)


@pytest.fixture
def viewer(trust):
    return MembershipFactory(organisation=trust, role=Role.VIEWER)


@pytest.fixture
def ics_lead(trust):
    """The lead of ``trust``'s ICS (an IcsMembership)."""
    return IcsMembershipFactory(ics=trust.ics)


@pytest.fixture
def two_trust_user(trust, other_trust):
    """A product manager in both ``trust`` and ``other_trust`` (a User)."""
    membership = MembershipFactory(organisation=trust, role=Role.PRODUCT_MANAGER)
    MembershipFactory(user=membership.user, organisation=other_trust, role=Role.PRODUCT_MANAGER)
    return membership.user


@pytest.fixture
def client_for(db):
    """``client_for(user)``: a test client signed in as ``user`` (each call a new client)."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def org_admin_client(client_for, org_admin):
    return client_for(org_admin.user)


@pytest.fixture
def pm_client(client_for, pm):
    return client_for(pm.user)


@pytest.fixture
def cso_client(client_for, cso):
    return client_for(cso.user)


@pytest.fixture
def contributor_client(client_for, contributor):
    return client_for(contributor.user)


@pytest.fixture
def viewer_client(client_for, viewer):
    return client_for(viewer.user)


@pytest.fixture
def ics_lead_client(client_for, ics_lead):
    return client_for(ics_lead.user)


@pytest.fixture
def two_trust_client(client_for, two_trust_user):
    return client_for(two_trust_user)


# --- Two trusts, for the cross-tenant harnesses ----------------------------------------------------


class World:
    """Two trusts in different ICSs (A and B) plus a trust C sharing A's ICS, with objects.

    Every object of a trust carries a marker string unique to that trust and that object
    (``markers[trust.pk]``), so a harness can search any response for another trust's data.
    """

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
        enrol_mfa(self.members[Role.ORG_ADMIN])
        enrol_mfa(self.b_admin.user)
        # People in two trusts with different roles: the attackers tenancy bugs favour.
        self.viewer_here_officer_there = MembershipFactory(
            organisation=self.trust_a, role=Role.VIEWER
        ).user
        MembershipFactory(
            organisation=self.trust_b,
            user=self.viewer_here_officer_there,
            role=Role.CLINICAL_SAFETY_OFFICER,
        )
        self.manager_here_viewer_there = MembershipFactory(
            organisation=self.trust_a, role=Role.PRODUCT_MANAGER
        ).user
        MembershipFactory(
            organisation=self.trust_b, user=self.manager_here_viewer_there, role=Role.VIEWER
        )
        self.objects = {}
        self.markers = {}
        for trust in (self.trust_a, self.trust_b, self.trust_c):
            self._populate(trust)

    def _populate(self, trust):
        tag = f"{trust.ods_code}x{secrets.token_hex(3)}"
        mark = {
            kind: f"mk{kind}{tag}"
            for kind in (
                "product",
                "contract",
                "feedback",
                "link",
                "item",
                "person",
                "invite",
                "token",
                "webhook",
                "icstoken",
            )
        }
        self.markers[trust.pk] = mark
        officer = MembershipFactory(
            organisation=trust,
            role=Role.CLINICAL_SAFETY_OFFICER,
            user=UserFactory(full_name=f"Officer {mark['person']}"),
        ).user
        product = ProductFactory(
            organisation=trust, name=f"Product {mark['product']}", clinical_safety_officer=officer
        )
        self.objects[trust.pk] = {
            "product_id": product.pk,
            "contract_id": ContractFactory(product=product, reference=mark["contract"]).pk,
            "import_id": UsageImportFactory(organisation=trust).pk,
            "feedback_id": FeedbackFactory(
                product=product, patient_safety=True, text=f"Feedback {mark['feedback']}"
            ).pk,
            "link_id": FeedbackLinkFactory(
                organisation=trust, product=product, name=f"Link {mark['link']}"
            ).pk,
            "item_id": RoadmapItemFactory(
                product=product, title=f"Item {mark['item']}", visibility="ics"
            ).pk,
            "membership_id": MembershipFactory(organisation=trust, role=Role.VIEWER).pk,
            "invitation_id": InvitationFactory(
                organisation=trust, email=f"{mark['invite']}@example.org"
            ).pk,
            "officer_id": officer.pk,
            "token_id": ApiTokenFactory(organisation=trust, name=f"Token {mark['token']}").pk,
            # An ICS's token belongs to the ICS, not to a trust: one per ICS, marked as the
            # first of its trusts (so trust C, in A's ICS, shares A's).
            "ics_token_id": (
                IcsApiToken.objects.filter(ics=trust.ics).first()
                or IcsApiTokenFactory(ics=trust.ics, name=f"ICS token {mark['icstoken']}")
            ).pk,
            "endpoint_id": WebhookEndpointFactory(
                organisation=trust,
                url=f"https://hooks.example.org/{mark['webhook']}",
                description=f"Endpoint {mark['webhook']}",
            ).pk,
        }
        WebhookDeliveryFactory(
            endpoint_id=self.objects[trust.pk]["endpoint_id"],
            organisation=trust,
            last_error=f"Answered HTTP 500: {mark['webhook']}",
        )

    def ids(self, trust):
        return {key: str(value) for key, value in self.objects[trust.pk].items()}

    def markers_of(self, *trusts) -> list[str]:
        return [marker for trust in trusts for marker in self.markers[trust.pk].values()]


@pytest.fixture
def world(db):
    return World()
