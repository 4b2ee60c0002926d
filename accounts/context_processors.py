from django.conf import settings


def tenancy(request):
    """What the header needs: the service name and the organisation being worked in."""
    return {
        "service_name": settings.SERVICE_NAME,
        "current_organisation": getattr(request, "organisation", None),
        "current_ics": getattr(request, "ics", None),
        "current_role": getattr(request, "role", None),
    }
