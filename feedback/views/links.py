"""QR-code links: one per trust, product or ward, each opening the public form."""

import segno
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import Capability
from accounts.tenancy import organisation_view
from core.forms import bound_data
from portfolio.selectors import product_list_active

from .. import selectors, services
from ..forms import FeedbackLinkForm
from ..models import FeedbackLink


def _link_or_404(link_id) -> FeedbackLink:
    try:
        return selectors.feedback_link_get(link_id)
    except FeedbackLink.DoesNotExist:
        raise Http404 from None


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_http_methods(["GET", "POST"])
def link_list(request):
    form = FeedbackLinkForm(bound_data(request), products=product_list_active())
    if request.method == "POST" and form.is_valid():
        link = services.feedback_link_create(
            organisation=request.organisation, data=form.cleaned_data, user=request.user
        )
        messages.success(request, f"Link '{link.name}' created.")
        return redirect(link)
    return render(
        request,
        "feedback/link_list.html",
        {"form": form, "links": selectors.feedback_link_list()},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_safe
def link_detail(request, link_id):
    link = _link_or_404(link_id)
    public_url = request.build_absolute_uri(reverse("feedback:public_form", args=[link.token]))
    qr_svg = segno.make(public_url, error="m").svg_inline(
        scale=6, dark="#000000", light="#ffffff", title=f"QR code for {link.name}"
    )
    return render(
        request,
        "feedback/link_detail.html",
        {"link": link, "public_url": public_url, "qr_svg": qr_svg},
    )


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_POST
def link_toggle(request, link_id):
    link = _link_or_404(link_id)
    enable = request.POST.get("action") == "enable"
    services.feedback_link_set_enabled(link=link, enabled=enable)
    messages.success(request, f"Link '{link.name}' {'enabled' if enable else 'disabled'}.")
    return redirect(link)
