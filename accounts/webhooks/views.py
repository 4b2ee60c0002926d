"""The trust's webhook pages (org admins): endpoints, their delivery logs, and their actions.

A new or replaced signing secret is shown once, on the page the form redirects to, as API
tokens are: it waits in the (server-side) session until that page takes it, and the page is
never cached. The secret has to be kept whole to sign, but showing it only then keeps it out of
every later page, screenshot and browser history; an admin who loses it replaces it, and the
old one keeps working alongside for a day so the receiver can switch without losing events.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.forms import add_validation_error, bound_data

from ..models import WebhookEndpoint
from ..permissions import Capability
from ..tenancy import organisation_view
from . import selectors, services
from .forms import WebhookEndpointForm

SESSION_NEW_SECRET_KEY = "webhook_secret_just_made"
DELIVERIES_PER_PAGE = 25


def _endpoint_or_404(endpoint_id) -> WebhookEndpoint:
    try:
        return selectors.webhook_endpoint_get(endpoint_id)
    except WebhookEndpoint.DoesNotExist:
        raise Http404 from None


def _show_secret_once(request, endpoint, secret):
    request.session[SESSION_NEW_SECRET_KEY] = {"id": endpoint.pk, "secret": secret}
    return redirect(endpoint)


@organisation_view(Capability.MANAGE_WEBHOOKS)
@require_safe
def webhook_list(request):
    return render(
        request, "accounts/webhook_list.html", {"endpoints": selectors.webhook_endpoint_list()}
    )


@organisation_view(Capability.MANAGE_WEBHOOKS)
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    form = WebhookEndpointForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = services.webhook_endpoint_create(
                organisation=request.organisation,
                url=data["url"],
                description=data["description"],
                event_types=data["event_types"],
                include_free_text=data["include_free_text"],
                actor=request.user,
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            return _show_secret_once(request, endpoint, secret)
    return render(
        request,
        "accounts/webhook_create.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_WEBHOOKS)
@require_safe
def webhook_detail(request, endpoint_id):
    endpoint = _endpoint_or_404(endpoint_id)
    page = Paginator(selectors.webhook_delivery_list(endpoint), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    just_made = request.session.get(SESSION_NEW_SECRET_KEY) or {}
    secret = None
    if just_made.get("id") == endpoint.pk:
        secret = request.session.pop(SESSION_NEW_SECRET_KEY)["secret"]
    response = render(
        request,
        "accounts/webhook_detail.html",
        {"endpoint": endpoint, "page": page, "secret": secret},
    )
    add_never_cache_headers(response)
    return response


def _act(request, endpoint_id, service, done: str):
    endpoint = _endpoint_or_404(endpoint_id)
    try:
        service(endpoint=endpoint, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done.format(endpoint=endpoint))
    return redirect(endpoint)


@organisation_view(Capability.MANAGE_WEBHOOKS)
@require_POST
def webhook_test(request, endpoint_id):
    return _act(
        request,
        endpoint_id,
        lambda endpoint, actor: services.webhook_test_send(endpoint=endpoint),
        "Test event sent. Its delivery shows in the log below.",
    )


@organisation_view(Capability.MANAGE_WEBHOOKS)
@require_POST
def webhook_disable(request, endpoint_id):
    return _act(
        request,
        endpoint_id,
        services.webhook_endpoint_disable,
        "Endpoint turned off. Nothing is sent to it until you turn it on again.",
    )


@organisation_view(Capability.MANAGE_WEBHOOKS)
@require_POST
def webhook_enable(request, endpoint_id):
    return _act(
        request,
        endpoint_id,
        services.webhook_endpoint_enable,
        "Endpoint turned on. Events that waited for it are being sent now.",
    )


# The "Are you sure?" page of each action that cannot be undone: (page title, text, button).
_CONFIRMATIONS = {
    "rotate": (
        "Replace the signing secret?",
        "You are shown the new secret once. The current one keeps signing alongside it for "
        "{hours} hours, so you have that long to give the new one to the receiving system.",
        "Replace secret",
    ),
    "delete": (
        "Delete this endpoint?",
        "Nothing more is sent to it, and its delivery log is deleted too. Events waiting to be "
        "sent to it are not sent.",
        "Delete endpoint",
    ),
}


def _confirm_page(request, endpoint, action):
    title, body, button = _CONFIRMATIONS[action]
    return render(
        request,
        "accounts/webhook_confirm.html",
        {
            "endpoint": endpoint,
            "title": title,
            "body": body.format(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS),
            "button": button,
        },
    )


@organisation_view(Capability.MANAGE_WEBHOOKS)
@require_http_methods(["GET", "POST"])
def webhook_rotate(request, endpoint_id):
    endpoint = _endpoint_or_404(endpoint_id)
    if request.method == "POST":
        secret = services.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
        return _show_secret_once(request, endpoint, secret)
    return _confirm_page(request, endpoint, "rotate")


@organisation_view(Capability.MANAGE_WEBHOOKS)
@require_http_methods(["GET", "POST"])
def webhook_delete(request, endpoint_id):
    endpoint = _endpoint_or_404(endpoint_id)
    if request.method == "POST":
        services.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, f"Endpoint {endpoint.url} deleted.")
        return redirect("accounts:webhook_list", ods_code=request.organisation.ods_code)
    return _confirm_page(request, endpoint, "delete")
