import datetime
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from factory.django import DjangoModelFactory

from accounts.models import (
    ApiToken,
    IcsApiToken,
    IcsMembership,
    IntegratedCareSystem,
    Invitation,
    Membership,
    Organisation,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from accounts.permissions import Role
from accounts.webhooks import signing
from feedback.models import Category, Feedback, FeedbackLink, StaffGroup
from portfolio.models import (
    Capability,
    Contract,
    ImportStatus,
    LicenceModel,
    Product,
    Supplier,
    UsageImport,
)
from roadmaps.models import RoadmapItem

PASSWORD = "correct-horse-battery-staple"
_ODS_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class TenantFactory(DjangoModelFactory):
    """Tenant models refuse unscoped queries; factories write through the explicit manager."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.unscoped


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class IcsFactory(DjangoModelFactory):
    class Meta:
        model = IntegratedCareSystem

    ods_code = factory.Sequence(lambda n: "Q" + _ODS_CHARS[n // 36 % 36] + _ODS_CHARS[n % 36])
    name = factory.Sequence(lambda n: f"Test ICS {n}")
    region = "Test region"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    ods_code = factory.Sequence(lambda n: f"R{n:04d}")
    name = factory.Sequence(lambda n: f"Test Trust {n} NHS Foundation Trust")
    ics = factory.SubFactory(IcsFactory)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.PRODUCT_MANAGER


class IcsMembershipFactory(DjangoModelFactory):
    class Meta:
        model = IcsMembership

    user = factory.SubFactory(UserFactory)
    ics = factory.SubFactory(IcsFactory)


class InvitationFactory(TenantFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Role.CONTRIBUTOR


class ApiTokenFactory(TenantFactory):
    """A token row; its secret is not known (services.api_token_create makes usable ones)."""

    class Meta:
        model = ApiToken

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Token {n}")
    role = Role.VIEWER
    prefix = factory.Sequence(lambda n: f"npp_t{n:07d}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(
        lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=90)
    )


class IcsApiTokenFactory(DjangoModelFactory):
    """An ICS read token row; its secret is not known (services.ics_api_token_create makes one)."""

    class Meta:
        model = IcsApiToken

    ics = factory.SubFactory(IcsFactory)
    name = factory.Sequence(lambda n: f"ICS token {n}")
    prefix = factory.Sequence(lambda n: f"npi_t{n:07d}")
    key_hash = factory.Sequence(lambda n: f"{n + 10**9:064x}")
    expires_at = factory.LazyFunction(
        lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=90)
    )


class WebhookEndpointFactory(TenantFactory):
    """An endpoint on a host the tests may use (settings.WEBHOOK_ALLOW_INSECURE_HOSTS), with
    a real secret; nothing listens there unless a test starts a receiver."""

    class Meta:
        model = WebhookEndpoint

    organisation = factory.SubFactory(OrganisationFactory)
    url = factory.Sequence(lambda n: f"http://127.0.0.1:9/hooks/{n}")
    description = factory.Sequence(lambda n: f"Endpoint {n}")
    event_types = factory.LazyFunction(lambda: list(WebhookEvent.values))
    secret = factory.LazyFunction(signing.secret_new)


class WebhookDeliveryFactory(TenantFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    organisation = factory.SelfAttribute("endpoint.organisation")
    message_id = factory.LazyFunction(signing.message_id_new)
    event_type = WebhookEvent.FEEDBACK_RECEIVED
    payload = factory.LazyFunction(lambda: {"type": "feedback.received", "data": {}})
    status = "succeeded"
    attempts = 1


class SupplierFactory(DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Supplier {n} Ltd")


class ProductFactory(TenantFactory):
    class Meta:
        model = Product

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    capability = Capability.EPR
    supplier = factory.SubFactory(SupplierFactory)


class ContractFactory(TenantFactory):
    class Meta:
        model = Contract

    product = factory.SubFactory(ProductFactory)
    organisation = factory.SelfAttribute("product.organisation")
    supplier = factory.SelfAttribute("product.supplier")
    start_date = datetime.date(2024, 4, 1)
    end_date = datetime.date(2027, 3, 31)
    annual_cost = Decimal("120000.00")
    licence_model = LicenceModel.ENTERPRISE
    seats = 1500
    notice_period_days = 180


class UsageImportFactory(TenantFactory):
    class Meta:
        model = UsageImport

    organisation = factory.SubFactory(OrganisationFactory)
    file = factory.django.FileField(filename="usage.csv", data=b"date,product,active_users\n")
    original_name = "usage.csv"
    status = ImportStatus.FAILED
    errors = factory.LazyFunction(lambda: [{"line": 2, "message": "Active users is missing."}])
    error_count = 1


class FeedbackLinkFactory(TenantFactory):
    class Meta:
        model = FeedbackLink

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Ward {n} poster")


class FeedbackFactory(TenantFactory):
    class Meta:
        model = Feedback

    product = factory.SubFactory(ProductFactory)
    organisation = factory.SelfAttribute("product.organisation")
    staff_group = StaffGroup.NURSE_MIDWIFE
    rating = 3
    category = Category.USABILITY
    text = factory.Sequence(lambda n: f"The discharge screen takes too many clicks ({n})")


class RoadmapItemFactory(TenantFactory):
    class Meta:
        model = RoadmapItem

    product = factory.SubFactory(ProductFactory)
    organisation = factory.SelfAttribute("product.organisation")
    title = factory.Sequence(lambda n: f"Roadmap item {n}")
    reach = 100
    impact = Decimal("1")
    confidence = 80
    effort = Decimal("2")
    rice_score = Decimal("40.00")


def enrol_mfa(user):
    """What allauth stores once someone has set up an authenticator app (org admins must)."""
    return Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.TOTP,
        data={"secret": "JBSWY3DPEHPK3PXP"},  # a valid base32 secret
    )
