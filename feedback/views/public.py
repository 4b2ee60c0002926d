"""The QR-code form: the one tenant page open without sign-in. The secret token names the trust."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.scoping import scope
from core.forms import bound_data
from portfolio.models import Product
from portfolio.selectors import product_list_active

from .. import selectors, services
from ..forms import FeedbackForm
from ..guards import allow_anonymous_post

SESSION_THANKS_KEY = "feedback_thanks"


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


@require_http_methods(["GET", "POST"])
def public_form(request, token):
    link = selectors.feedback_link_get_by_token(token)
    if link is None:
        raise Http404
    if not link.is_enabled:
        return render(request, "feedback/link_disabled.html", {"link": link}, status=410)
    with scope(organisation=link.organisation):
        products = (
            Product.objects.filter(pk=link.product_id) if link.product_id else product_list_active()
        )
        form = FeedbackForm(bound_data(request), products=products)
        if request.method == "POST":
            if form.is_spam:
                return redirect("feedback:public_thanks", token=token)  # say nothing to bots
            if not allow_anonymous_post(f"{_client_ip(request)}:{link.pk}"):
                form.add_error(
                    None,
                    "You have sent a lot of feedback in a short time. Wait 10 minutes and try again",
                )
            elif form.is_valid():
                feedback = services.feedback_submit(
                    organisation=link.organisation,
                    data=form.cleaned_data,
                    link=link,
                    user=request.user if request.user.is_authenticated else None,
                )
                request.session[SESSION_THANKS_KEY] = feedback.patient_safety
                return redirect("feedback:public_thanks", token=token)
        return render(
            request,
            "feedback/public_form.html",
            {"form": form, "link": link, "organisation": link.organisation},
            status=400 if form.errors else 200,
        )


def public_thanks(request, token):
    link = selectors.feedback_link_get_by_token(token)
    if link is None:
        raise Http404
    safety = request.session.pop(SESSION_THANKS_KEY, False)
    return render(
        request,
        "feedback/public_thanks.html",
        {"link": link, "organisation": link.organisation, "safety": safety},
    )
