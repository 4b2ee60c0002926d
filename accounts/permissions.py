"""The one place that maps a role to what it can do.

Views ask for a capability (``Capability.MANAGE_PRODUCTS``), never for a role, so changing who may
do what is an edit to this file alone.
"""

from django.db import models


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "Organisation admin"
    PRODUCT_MANAGER = "product_manager", "Product manager"
    CLINICAL_SAFETY_OFFICER = "clinical_safety_officer", "Clinical safety officer"
    CONTRIBUTOR = "contributor", "Contributor (clinician)"
    VIEWER = "viewer", "Viewer"


class IcsRole(models.TextChoices):
    ICS_LEAD = "ics_lead", "ICS lead"


class Capability(models.TextChoices):
    VIEW_TRUST_HOME = "view_trust_home"
    VIEW_DASHBOARDS = "view_dashboards"
    VIEW_PRODUCTS = "view_products"
    MANAGE_PRODUCTS = "manage_products"
    MANAGE_CONTRACTS = "manage_contracts"
    IMPORT_USAGE = "import_usage"
    TRIAGE_FEEDBACK = "triage_feedback"
    SUBMIT_FEEDBACK = "submit_feedback"
    MANAGE_ROADMAPS = "manage_roadmaps"
    VIEW_SHARED_ROADMAPS = "view_shared_roadmaps"
    MANAGE_SAFETY = "manage_safety"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_SECURITY = "manage_security"
    MANAGE_API_TOKENS = "manage_api_tokens"
    MANAGE_WEBHOOKS = "manage_webhooks"
    VIEW_ICS_DASHBOARDS = "view_ics_dashboards"
    MANAGE_ICS_API_TOKENS = "manage_ics_api_tokens"


_READ = {Capability.VIEW_TRUST_HOME, Capability.VIEW_DASHBOARDS, Capability.VIEW_PRODUCTS}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: frozenset(
        set(Capability) - {Capability.VIEW_ICS_DASHBOARDS, Capability.MANAGE_ICS_API_TOKENS}
    ),
    Role.PRODUCT_MANAGER: frozenset(
        _READ
        | {
            Capability.MANAGE_PRODUCTS,
            Capability.MANAGE_CONTRACTS,
            Capability.IMPORT_USAGE,
            Capability.TRIAGE_FEEDBACK,
            Capability.SUBMIT_FEEDBACK,
            Capability.MANAGE_ROADMAPS,
            Capability.VIEW_SHARED_ROADMAPS,
        }
    ),
    Role.CLINICAL_SAFETY_OFFICER: frozenset(
        _READ
        | {Capability.MANAGE_SAFETY, Capability.SUBMIT_FEEDBACK, Capability.VIEW_SHARED_ROADMAPS}
    ),
    Role.CONTRIBUTOR: frozenset(
        {
            Capability.VIEW_TRUST_HOME,
            Capability.VIEW_PRODUCTS,
            Capability.SUBMIT_FEEDBACK,
            Capability.VIEW_SHARED_ROADMAPS,
        }
    ),
    Role.VIEWER: frozenset(_READ),
    IcsRole.ICS_LEAD: frozenset(
        {
            Capability.VIEW_ICS_DASHBOARDS,
            Capability.VIEW_SHARED_ROADMAPS,
            Capability.MANAGE_ICS_API_TOKENS,
        }
    ),
}


# Who can change who sees a trust's data must have set up two-factor authentication first
# (when settings.ADMIN_MFA_REQUIRED; accounts.tenancy.organisation_view enforces it).
MFA_REQUIRED_CAPABILITIES = frozenset(
    {
        Capability.MANAGE_MEMBERS,
        Capability.MANAGE_SECURITY,
        Capability.MANAGE_API_TOKENS,
        Capability.MANAGE_WEBHOOKS,
    }
)


def role_can(role: str | None, capability: str) -> bool:
    return role is not None and capability in ROLE_CAPABILITIES.get(role, frozenset())
