"""A realistic, fictional world for the demo and the browser tests. Safe to run twice."""

import random
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import IcsMembership, IntegratedCareSystem, Membership, Organisation, User
from accounts.permissions import Role
from accounts.scoping import scope
from feedback.models import Feedback, FeedbackLink
from insights.summaries import summaries_recompute
from portfolio.models import (
    Capability,
    Contract,
    LicenceModel,
    LifecycleStage,
    Product,
    Supplier,
    TimeDecision,
    UsageRecord,
)

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
    "Telehealth Partners",
    "Radiance Imaging",
]
# name, capability, supplier, typical daily users, annual cost (GBP), licence model
PRODUCTS = [
    (
        "Meridian EPR",
        Capability.EPR,
        "Meridian Health Systems",
        2400,
        1_450_000,
        LicenceModel.ENTERPRISE,
    ),
    ("MedChart EPMA", Capability.EPMA, "Caretech Digital", 900, 310_000, LicenceModel.PER_USER),
    (
        "PatientFlow PAS",
        Capability.PAS,
        "Meridian Health Systems",
        650,
        280_000,
        LicenceModel.PER_USER,
    ),
    (
        "Hermes Integration Engine",
        Capability.INTEGRATION_ENGINE,
        "OpenClinic Software",
        25,
        95_000,
        LicenceModel.ENTERPRISE,
    ),
    ("Insight BI", Capability.REPORTING, "Northgate Analytics", 140, 60_000, LicenceModel.PER_USER),
    (
        "MyCare Patient Portal",
        Capability.PATIENT_PORTAL,
        "WardView Ltd",
        3100,
        120_000,
        LicenceModel.USAGE_BASED,
    ),
    (
        "HomeWatch Remote Monitoring",
        Capability.REMOTE_MONITORING,
        "Telehealth Partners",
        180,
        85_000,
        LicenceModel.PER_USER,
    ),
    (
        "OrderComms Plus",
        Capability.ORDER_COMMS,
        "OpenClinic Software",
        700,
        140_000,
        LicenceModel.PER_SITE,
    ),
    (
        "ClearView PACS",
        Capability.IMAGING,
        "Radiance Imaging",
        420,
        390_000,
        LicenceModel.ENTERPRISE,
    ),
    (
        "SepsisAlert",
        Capability.DECISION_SUPPORT,
        "Caretech Digital",
        300,
        45_000,
        LicenceModel.PER_SITE,
    ),
]
USAGE_DAYS = 730
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
        with scope(organisation=trust):
            for p_index, spec in enumerate(PRODUCTS):
                if (p_index + index) % 3 == 2:  # not every trust runs every product (~40 in all)
                    continue
                _demo_product(trust, people, suppliers, spec, random.Random(f"{code}-{p_index}"))
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
    _demo_feedback_and_summaries()
    logins.append(("superuser@example.org", "Superuser (Django admin at /admin/)"))
    return logins


def _demo_product(trust, people, suppliers, spec, rng: random.Random) -> None:
    name, capability, supplier, users, cost, licence_model = spec
    today = timezone.localdate()
    seats = int(users * rng.uniform(1.1, 2.4))
    product, created = Product.objects.get_or_create(
        organisation=trust,
        name=name,
        defaults={
            "capability": capability,
            "supplier": suppliers[supplier],
            "lifecycle_stage": rng.choice([LifecycleStage.LIVE] * 5 + [LifecycleStage.SUNSETTING]),
            "owner": people[Role.PRODUCT_MANAGER],
            "clinical_safety_officer": people.get(Role.CLINICAL_SAFETY_OFFICER),
            "go_live_date": today - timedelta(days=rng.randint(800, 3000)),
            "licensed_seats": seats,
            "vision": f"{name} supports staff at {trust.name} with {capability.label.lower()}.",
            "time_decision": rng.choice(["", TimeDecision.INVEST, TimeDecision.TOLERATE]),
        },
    )
    if not created:
        return
    if product.time_decision:
        product.time_rationale = "Agreed at the digital portfolio board."
        product.save(update_fields=["time_rationale"])
    scale = Decimal(str(round(rng.uniform(0.7, 1.3), 2)))
    end = today + timedelta(days=rng.randint(20, 900))
    Contract.objects.create(
        organisation=trust,
        product=product,
        supplier=product.supplier,
        reference=f"{trust.ods_code}-{rng.randint(1000, 9999)}",
        start_date=end - timedelta(days=3 * 365),
        end_date=end,
        annual_cost=(Decimal(cost) * scale).quantize(Decimal("1.00")),
        licence_model=licence_model,
        seats=seats,
        notice_period_days=rng.choice([90, 180, 365]),
    )
    level = users * rng.uniform(0.6, 1.1)
    trend = rng.uniform(-0.0006, 0.0008)  # some products grow, some decline
    rows = []
    for offset in range(USAGE_DAYS, 0, -1):
        day = today - timedelta(days=offset)
        weekday_factor = 0.55 if day.weekday() >= 5 else 1.0
        level *= 1 + trend
        value = max(0, int(level * weekday_factor * rng.uniform(0.9, 1.1)))
        rows.append(UsageRecord(organisation=trust, product=product, date=day, active_users=value))
    UsageRecord.objects.bulk_create(rows, batch_size=1000)


def _demo_feedback_and_summaries() -> None:
    """A feedback link and some feedback in the first trust, then every trust's summaries."""
    trust = Organisation.objects.get(ods_code=TRUSTS[0][0])
    with scope(organisation=trust):
        _demo_feedback(trust)
    for organisation in Organisation.objects.all():
        with scope(organisation=organisation):
            summaries_recompute(organisation)


def _demo_feedback(trust) -> None:
    product = Product.objects.filter(organisation=trust).order_by("name").first()
    FeedbackLink.objects.get_or_create(
        organisation=trust, name="Ward 7 poster", defaults={"product": product, "site": "Ward 7"}
    )
    if not Feedback.objects.filter(organisation=trust).exists():
        samples = [
            ("nurse_midwife", 2, "usability", "Discharge letters take nine clicks to send.", False),
            (
                "doctor",
                1,
                "fault",
                "Allergy banner missing on the drug chart after transfer.",
                True,
            ),
            ("pharmacist", 4, "praise", "The new interaction warnings are clear and quick.", False),
            ("ahp", 3, "missing_feature", "We need a way to record therapy goals.", False),
        ]
        for staff_group, rating, category, text, safety in samples:
            Feedback.objects.create(
                organisation=trust,
                product=product,
                staff_group=staff_group,
                rating=rating,
                category=category,
                text=text,
                patient_safety=safety,
            )
