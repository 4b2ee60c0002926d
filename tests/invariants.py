"""Invariants that must hold in the database whatever a test (or a user) did.

Checked after every database test (``tests/conftest.py``), so any code path that writes an
inconsistent row fails the test that took it, whichever feature it belongs to:

- every row's organisation is its parent's: for each tenant model and each foreign key it has to
  another tenant model, the two rows belong to the same trust;
- every person named on a trust's row (product owner, safety officer, roadmap owner) is a member
  of that trust, and a product's clinical safety officer holds that role there.
"""

from django.apps import apps
from django.db.models import F

from accounts.models import Membership, Organisation
from accounts.permissions import Role
from accounts.scoping import scopes_disabled

# (model label, user field, roles the person must hold in the row's trust or None for any member)
PEOPLE = [
    ("portfolio.Product", "owner", None),
    ("portfolio.Product", "clinical_safety_officer", {Role.CLINICAL_SAFETY_OFFICER}),
    ("roadmaps.RoadmapItem", "owner", None),
]


def tenant_models():
    return [
        model
        for model in apps.get_models()
        if any(
            f.name == "organisation" and f.is_relation and f.related_model is Organisation
            for f in model._meta.get_fields()
        )
    ]


def parent_mismatches() -> list[str]:
    problems = []
    tenant = set(tenant_models())
    for model in tenant:
        for field in model._meta.get_fields():
            if not (field.many_to_one and field.concrete) or field.related_model not in tenant:
                continue
            if field.related_model is model and field.name == "organisation":
                continue
            bad = (
                model._base_manager.filter(**{f"{field.name}__isnull": False})
                .exclude(organisation_id=F(f"{field.name}__organisation_id"))
                .values_list("pk", flat=True)[:5]
            )
            for pk in bad:
                problems.append(
                    f"{model._meta.label} {pk}: organisation differs from its {field.name}'s"
                )
    return problems


def people_mismatches() -> list[str]:
    problems = []
    for label, field, roles in PEOPLE:
        model = apps.get_model(label)
        named = model._base_manager.filter(**{f"{field}__isnull": False}).values_list(
            "pk", "organisation_id", f"{field}_id"
        )
        for pk, organisation_id, user_id in named:
            memberships = Membership.objects.filter(
                user_id=user_id, organisation_id=organisation_id
            )
            if roles is not None:
                memberships = memberships.filter(role__in=roles)
            if not memberships.exists():
                problems.append(
                    f"{label} {pk}: {field} (user {user_id}) is not "
                    + ("a member" if roles is None else f"a {'/'.join(sorted(roles))}")
                    + f" of organisation {organisation_id}"
                )
    return problems


def check_invariants() -> list[str]:
    with scopes_disabled():
        return parent_mismatches() + people_mismatches()


__all__ = ["check_invariants", "tenant_models"]
