from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.permissions import Capability
from accounts.tenancy import ics_view, organisation_view
from portfolio.models import Product
from portfolio.selectors import product_get

from . import selectors


def _cached_body(key_parts, version, template, build):
    """Dashboard bodies change only when the summaries do: cache each one under the summaries'
    version (their computed_at), so a page view is a few small queries and a cache read."""
    key = "dashboard:" + ":".join(
        str(part) for part in (*key_parts, version.isoformat() if version else "none")
    )
    body = cache.get(key)
    if body is None:
        body = render_to_string(template, build())
        cache.set(key, body, timeout=24 * 3600)
    return body


@organisation_view(Capability.VIEW_DASHBOARDS)
def trust_dashboard(request):
    today = timezone.localdate()
    version = selectors.summaries_version(today)
    body = _cached_body(
        ("trust", request.organisation.ods_code, today.isoformat()),
        version,
        "insights/includes/trust_dashboard_body.html",
        lambda: {**selectors.trust_dashboard(today), "current_organisation": request.organisation},
    )
    return render(request, "insights/trust_dashboard.html", {"body": body, "month": today})


@organisation_view(Capability.VIEW_DASHBOARDS)
def product_dashboard(request, product_id):
    try:
        product = product_get(product_id)
    except Product.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "insights/product_dashboard.html",
        {"product": product, **selectors.product_dashboard(product, timezone.localdate())},
    )


@ics_view(Capability.VIEW_ICS_DASHBOARDS)
def ics_dashboard(request):
    today = timezone.localdate()
    version = selectors.summaries_version(today)
    body = _cached_body(
        ("ics", request.ics.ods_code, today.isoformat()),
        version,
        "insights/includes/ics_dashboard_body.html",
        lambda: selectors.ics_dashboard(today),
    )
    return render(request, "insights/ics_dashboard.html", {"body": body, "month": today})
