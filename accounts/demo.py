"""A realistic, fictional world for the demo and the browser tests. Safe to run twice."""

from allauth.account.models import EmailAddress
from django.db import transaction

from portfolio.models import Capability, LifecycleStage, Product, Supplier

from .models import IcsMembership, IntegratedCareSystem, Membership, Organisation, User
from .permissions import Role

DEMO_PASSWORD = "demo-password-not-secret"  # noqa: S105 - printed for demo users by design

REGION = "North of England (fictional)"
ICSS = [
    ("QZ1", "Northshire Integrated Care System"),
    ("QZ2", "Southvale Integrated Care System"),
]
TRUSTS = [
    ("RZ1", "Northshire Teaching Hospitals NHS Foundation Trust", "QZ1"),
    ("RZ2", "Northshire Community and Mental Health NHS Trust", "QZ1"),
    ("RZ3", "Riverford General Hospital NHS Trust", "QZ1"),
    ("RZ4", "Southvale University Hospitals NHS Foundation Trust", "QZ2"),
    ("RZ5", "Southvale Coast NHS Trust", "QZ2"),
    ("RZ6", "Southvale Children's Hospital NHS Foundation Trust", "QZ2"),
]
SUPPLIERS = [
    "Meridian Health Systems",
    "Caretech Digital",
    "OpenClinic Software",
    "Northgate Analytics",
    "WardView Ltd",
]
PRODUCTS = [
    ("Meridian EPR", Capability.EPR, "Meridian Health Systems"),
    ("MedChart EPMA", Capability.EPMA, "Caretech Digital"),
    ("PatientFlow PAS", Capability.PAS, "Meridian Health Systems"),
    ("Hermes Integration Engine", Capability.INTEGRATION_ENGINE, "OpenClinic Software"),
    ("Insight BI", Capability.REPORTING, "Northgate Analytics"),
    ("MyCare Patient Portal", Capability.PATIENT_PORTAL, "WardView Ltd"),
]
# Roles every trust gets; the first trust also gets the remaining roles, for the demo.
ROLE_SLUGS = {
    Role.ORG_ADMIN: "admin",
    Role.PRODUCT_MANAGER: "pm",
    Role.CLINICAL_SAFETY_OFFICER: "cso",
    Role.CONTRIBUTOR: "clinician",
    Role.VIEWER: "viewer",
}


def _user(email: str, full_name: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": full_name, **extra}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def load_demo_world() -> list[tuple[str, str]]:
    """Create the world; return (email, description) for every demo login."""
    logins: list[tuple[str, str]] = []
    icss = {}
    for code, name in ICSS:
        icss[code], _ = IntegratedCareSystem.objects.update_or_create(
            ods_code=code, defaults={"name": name, "region": REGION}
        )
    suppliers = {name: Supplier.objects.get_or_create(name=name)[0] for name in SUPPLIERS}
    for index, (code, name, ics_code) in enumerate(TRUSTS):
        trust, _ = Organisation.objects.update_or_create(
            ods_code=code, defaults={"name": name, "ics": icss[ics_code]}
        )
        roles = (
            list(ROLE_SLUGS)
            if index == 0
            else [Role.ORG_ADMIN, Role.PRODUCT_MANAGER, Role.CONTRIBUTOR]
        )
        people = {}
        for role in roles:
            email = f"{ROLE_SLUGS[role]}@{code.lower()}.example.org"
            user = _user(email, f"{Role(role).label} at {code}")
            Membership.objects.update_or_create(
                user=user, organisation=trust, defaults={"role": role}
            )
            people[role] = user
            logins.append((email, f"{Role(role).label}, {name}"))
        for p_index, (product_name, capability, supplier) in enumerate(PRODUCTS):
            if (p_index + index) % 5 == 4:  # not every trust runs every product
                continue
            Product.unscoped.get_or_create(
                organisation=trust,
                name=product_name,
                defaults={
                    "capability": capability,
                    "supplier": suppliers[supplier],
                    "lifecycle_stage": LifecycleStage.LIVE,
                    "owner": people[Role.PRODUCT_MANAGER],
                },
            )
    for code, _name in ICSS:
        email = f"ics-lead@{code.lower()}.example.org"
        lead = _user(email, f"ICS lead for {code}")
        IcsMembership.objects.get_or_create(user=lead, ics=icss[code])
        logins.append((email, f"ICS lead, {icss[code].name}"))
    multi = _user("multi-trust@example.org", "Sam Multi-Trust")
    for code in ("RZ1", "RZ2"):
        Membership.objects.get_or_create(
            user=multi,
            organisation=Organisation.objects.get(ods_code=code),
            defaults={"role": Role.PRODUCT_MANAGER},
        )
    logins.append(
        ("multi-trust@example.org", "Product manager in two trusts (organisation switcher)")
    )
    _user("superuser@example.org", "Demo Superuser", is_staff=True, is_superuser=True)
    logins.append(("superuser@example.org", "Superuser (Django admin at /admin/)"))
    return logins
