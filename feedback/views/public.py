"""The pages open without sign-in: the QR-code form and its thanks page (the secret link token
names the trust), and the page that confirms a contact address (a signed, expiring token)."""

import math
import re
import secrets

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.scoping import scope
from core.client_ip import client_ip
from core.forms import bound_data
from portfolio.models import Product
from portfolio.selectors import product_list_active

from .. import contact_tokens, selectors, services
from ..forms import FeedbackForm
from ..guards import rate_limit_count, rate_limit_key, rate_limit_reached

SESSION_THANKS_KEY = "feedback_thanks"
# A random id per browser, so that colleagues sharing a ward's address are counted apart.
BROWSER_COOKIE = "feedback_browser"
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_BROWSER_COOKIE_AGE = 365 * 24 * 3600


def _browser_id(request) -> str | None:
    value = request.COOKIES.get(BROWSER_COOKIE, "")
    return value if _BROWSER_ID.fullmatch(value) else None


def _rate_limits(request, link) -> list[tuple[str, int, int]]:
    """Per browser and link, and (much higher) per address and link. A browser without our
    cookie (it never opened the form: a script) is held to the browser limit by its address."""
    address = client_ip(request) or "unknown"
    browser = _browser_id(request) or f"no-cookie-{address}"
    per_browser, browser_window = settings.FEEDBACK_RATE_LIMIT_PER_BROWSER
    per_address, address_window = settings.FEEDBACK_RATE_LIMIT_PER_ADDRESS
    return [
        (rate_limit_key("browser", browser, link.pk), per_browser, browser_window),
        (rate_limit_key("address", address, link.pk), per_address, address_window),
    ]


def _flood_message() -> str:
    minutes = math.ceil(settings.FEEDBACK_RATE_LIMIT_PER_BROWSER[1] / 60)
    return (
        "You have sent a lot of feedback in a short time. "
        f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again"
    )


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
            if form.is_valid():  # only a post that would be saved is weighed and counted
                limits = _rate_limits(request, link)
                flooded = rate_limit_reached(limits)
                if flooded and not form.cleaned_data["patient_safety"]:
                    form.add_error(None, _flood_message())
                else:  # a safety concern is never refused: saved, and flagged for triage
                    feedback = services.feedback_submit(
                        organisation=link.organisation,
                        data=form.cleaned_data,
                        link=link,
                        user=request.user if request.user.is_authenticated else None,
                        rate_limited=flooded,
                        base_url=request.build_absolute_uri("/"),
                    )
                    rate_limit_count(limits)
                    request.session[SESSION_THANKS_KEY] = feedback.patient_safety
                    return redirect("feedback:public_thanks", token=token)
        response = render(
            request,
            "feedback/public_form.html",
            {"form": form, "link": link, "organisation": link.organisation},
            status=400 if form.errors else 200,
        )
    if request.method == "GET" and _browser_id(request) is None:
        response.set_cookie(
            BROWSER_COOKIE,
            secrets.token_urlsafe(18),
            max_age=_BROWSER_COOKIE_AGE,
            path="/f/",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@require_safe
def public_thanks(request, token):
    link = selectors.feedback_link_get_by_token(token)
    if link is None or not link.is_enabled:
        raise Http404
    safety = request.session.pop(SESSION_THANKS_KEY, False)
    return render(
        request,
        "feedback/public_thanks.html",
        {"link": link, "organisation": link.organisation, "safety": safety},
    )


@require_http_methods(["GET", "POST"])
def contact_confirm(request, token):
    """The link in the confirmation email. Opening it asks; only the button (a POST) confirms,
    so a mail scanner that follows links confirms nothing."""
    found = contact_tokens.read_token(token)
    if found is None:
        raise Http404
    organisation_id, feedback_id, digest = found
    organisation = selectors.organisation_get_for_contact_confirmation(organisation_id)
    if organisation is None:
        raise Http404
    with scope(organisation=organisation):
        feedback = selectors.feedback_get_for_contact_confirmation(feedback_id)
        if feedback is None or not contact_tokens.is_for(digest, feedback.contact_email):
            raise Http404
        if request.method == "POST":
            services.feedback_contact_confirm(feedback=feedback)
            feedback.refresh_from_db(fields=["contact_confirmed_at"])
        return render(
            request,
            "feedback/contact_confirm.html",
            {"feedback": feedback, "organisation": organisation},
        )
