import pytest

from accounts.permissions import Capability, Role, role_can
from accounts.scoping import ScopeError, scope, scopes_disabled
from portfolio.models import Product

from .factories import OrganisationFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_querying_a_tenant_model_without_a_scope_fails_closed():
    ProductFactory()
    with pytest.raises(ScopeError):
        list(Product.objects.all())


def test_scope_returns_only_that_organisations_rows():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    own = ProductFactory(organisation=mine)
    ProductFactory(organisation=theirs)
    with scope(organisation=mine):
        assert list(Product.objects.all()) == [own]


def test_scope_cannot_be_widened_by_filtering_on_another_organisation():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    other = ProductFactory(organisation=theirs)
    with scope(organisation=mine):
        assert not Product.objects.filter(organisation=theirs).exists()
        with pytest.raises(Product.DoesNotExist):
            Product.objects.get(pk=other.pk)


def test_a_set_scope_covers_exactly_those_organisations():
    a, b, c = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    for org in (a, b, c):
        ProductFactory(organisation=org)
    with scope(organisations=[a, b]):
        assert set(Product.objects.values_list("organisation", flat=True)) == {a.pk, b.pk}
    with scope(organisations=[]):
        assert not Product.objects.exists()


def test_scope_ends_with_its_block():
    org = OrganisationFactory()
    with scope(organisation=org):
        Product.objects.count()
    with pytest.raises(ScopeError):
        Product.objects.count()


def test_scopes_disabled_sees_every_organisation():
    ProductFactory(), ProductFactory()
    with scopes_disabled():
        assert Product.objects.count() == 2


def test_scope_without_an_organisation_is_refused():
    with pytest.raises(ScopeError), scope():
        pass


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        (Role.ORG_ADMIN, Capability.MANAGE_MEMBERS, True),
        (Role.PRODUCT_MANAGER, Capability.MANAGE_MEMBERS, False),
        (Role.PRODUCT_MANAGER, Capability.MANAGE_PRODUCTS, True),
        (Role.CLINICAL_SAFETY_OFFICER, Capability.MANAGE_SAFETY, True),
        (Role.CLINICAL_SAFETY_OFFICER, Capability.MANAGE_PRODUCTS, False),
        (Role.CONTRIBUTOR, Capability.SUBMIT_FEEDBACK, True),
        (Role.CONTRIBUTOR, Capability.VIEW_DASHBOARDS, False),
        (Role.VIEWER, Capability.VIEW_DASHBOARDS, True),
        (Role.VIEWER, Capability.SUBMIT_FEEDBACK, False),
        ("ics_lead", Capability.VIEW_ICS_DASHBOARDS, True),
        ("ics_lead", Capability.VIEW_PRODUCTS, False),
        (None, Capability.VIEW_PRODUCTS, False),
        ("made_up_role", Capability.VIEW_PRODUCTS, False),
    ],
)
def test_role_capabilities(role, capability, allowed):
    assert role_can(role, capability) is allowed
