from functools import cache

from django.conf import settings

from .permissions import ROLE_CAPABILITIES
from .selectors import works_in_several_places


def tenancy(request):
    """What the header needs: the service name, the organisation being worked in, what the
    user's role there may do (``{% if "manage_members" in can %}``), so templates never compare
    roles, and whether there is another trust or ICS to switch to (asked only when the header
    shows it: a template calls the function)."""
    role = getattr(request, "role", None)
    user = getattr(request, "user", None)
    return {
        "service_name": settings.SERVICE_NAME,
        "current_organisation": getattr(request, "organisation", None),
        "current_ics": getattr(request, "ics", None),
        "current_role": role,
        "can": ROLE_CAPABILITIES.get(role, frozenset()),
        "can_switch_organisation": cache(lambda: _can_switch(request, user)),
    }


def _can_switch(request, user) -> bool:
    membership = getattr(request, "membership", None)
    if hasattr(membership, "works_in_another_trust"):  # a trust page: asked with the membership
        return membership.works_in_another_trust or membership.leads_an_ics
    return bool(user and user.is_authenticated and works_in_several_places(user))
