import hashlib

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.permissions import Capability
from accounts.scoping import current_organisation_ids
from accounts.tenancy import ics_view, organisation_view
from portfolio.models import Product
from portfolio.selectors import product_get

from . import selectors


def _cached_body(key_parts, version, template, build):
    """Dashboard bodies change only when the summaries do: cache each one under the summaries'
    version (their computed_at), so a page view is a few small queries and a cache read.

    The key also names the trusts in scope: when a trust joins or leaves an ICS, the ICS's
    dashboard is a different page, even if no summary changed.
    """
    trusts = hashlib.sha256(
        ",".join(map(str, sorted(current_organisation_ids() or ()))).encode()
    ).hexdigest()[:16]
    key = "dashboard:" + ":".join(
        str(part) for part in (*key_parts, trusts, version.isoformat() if version else "none")
    )
    body = cache.get(key)
    if body is None:
        body = render_to_string(template, build())
        cache.set(key, body, timeout=24 * 3600)
    return body


def _dashboard_page(request, kind: str, ods_code: str, build):
    """The trust or ICS dashboard: its body from the cache, or built from the summaries."""
    today = timezone.localdate()
    version = selectors.summaries_version(today)
    body = _cached_body(
        (kind, ods_code, today.isoformat()),
        version,
        f"insights/includes/{kind}_dashboard_body.html",
        lambda: build(today),
    )
    context = {"body": body, "month": today}
    if kind == "trust":
        context["refresh_problem"] = selectors.summaries_refresh_problem()
        context["figures_as_of"] = version
    return render(request, f"insights/{kind}_dashboard.html", context)


@organisation_view(Capability.VIEW_DASHBOARDS)
@require_safe
def trust_dashboard(request):
    return _dashboard_page(
        request,
        "trust",
        request.organisation.ods_code,
        lambda today: {
            **selectors.trust_dashboard(today),
            "current_organisation": request.organisation,
        },
    )


@organisation_view(Capability.VIEW_DASHBOARDS)
@require_safe
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
@require_safe
def ics_dashboard(request):
    return _dashboard_page(request, "ics", request.ics.ods_code, selectors.ics_dashboard)
