from django.conf import settings

from .permissions import ROLE_CAPABILITIES


def tenancy(request):
    """What the header needs: the service name, the organisation being worked in, and what the
    user's role there may do (``{% if "manage_members" in can %}``), so templates never compare roles."""
    role = getattr(request, "role", None)
    return {
        "service_name": settings.SERVICE_NAME,
        "current_organisation": getattr(request, "organisation", None),
        "current_ics": getattr(request, "ics", None),
        "current_role": role,
        "can": ROLE_CAPABILITIES.get(role, frozenset()),
    }
