import pytest

from accounts.permissions import Capability, Role, role_can
from accounts.scoping import ScopeError, ensure_in_scope, scope, scopes_disabled
from portfolio.models import Product
from tests.factories import OrganisationFactory, ProductFactory

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


# --- Writes: a row written inside a scope belongs to it ---------------------------------------


def test_creating_a_row_for_another_trust_inside_a_scope_is_refused():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    with scope(organisation=mine), pytest.raises(ScopeError):
        Product.objects.create(organisation=theirs, name="Injected", capability="epr")
    with scopes_disabled():
        assert not Product.objects.filter(name="Injected").exists()


def test_saving_another_trusts_row_inside_a_scope_is_refused():
    mine = OrganisationFactory()
    theirs = ProductFactory(name="Theirs")
    theirs.name = "Renamed"
    with scope(organisation=mine), pytest.raises(ScopeError):
        theirs.save()


def test_bulk_creating_another_trusts_rows_inside_a_scope_is_refused():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    rows = [
        Product(organisation=mine, name="Ours", capability="epr"),
        Product(organisation=theirs, name="Theirs", capability="epr"),
    ]
    with scope(organisation=mine), pytest.raises(ScopeError):
        Product.objects.bulk_create(rows)
    with scopes_disabled():
        assert Product.objects.count() == 0


def test_writes_inside_the_own_scope_work():
    mine = OrganisationFactory()
    with scope(organisation=mine):
        product = Product.objects.create(organisation=mine, name="Ours", capability="epr")
        product.name = "Ours, renamed"
        product.save()
        Product.objects.bulk_create(
            [Product(organisation=mine, name="Also ours", capability="epr")]
        )
        assert Product.objects.count() == 2


def test_ensure_in_scope_names_what_is_outside():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    with scope(organisation=mine):
        ensure_in_scope(mine)
        ensure_in_scope(mine.pk)
        with pytest.raises(ScopeError, match=f"Organisation {theirs.pk} is outside"):
            ensure_in_scope(theirs)
    with scopes_disabled():
        ensure_in_scope(theirs)
    with pytest.raises(ScopeError):
        ensure_in_scope(mine)  # no scope at all
