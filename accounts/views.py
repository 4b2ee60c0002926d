from datetime import timedelta
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core import health as service_health
from core.forms import add_validation_error, bound_data

from . import selectors, services
from .adapters import SESSION_INVITATION_KEY
from .forms import (
    ApiTokenForm,
    IcsApiTokenForm,
    InviteForm,
    OrganisationSwitchForm,
    RoleForm,
    SecurityForm,
)
from .models import ApiToken, IcsApiToken, Invitation, Membership, User
from .permissions import Capability
from .sso.session import sso_provider_names, sso_session
from .tenancy import SESSION_ORGANISATION_KEY, ics_view, organisation_view


@require_safe
def health(request):
    """Liveness and database readiness, for load balancers and docker compose (the status page,
    core:status, runs the same check among others). A database that does not answer is a 500."""
    service_health.database_ping()
    return JsonResponse({"status": "ok"})


@require_safe
def home(request):
    """Send a signed-in user to where they work: their last trust, only trust, or the chooser."""
    memberships = list(selectors.membership_list(request.user))
    ics_memberships = list(selectors.ics_membership_list(request.user))
    last = request.session.get(SESSION_ORGANISATION_KEY)
    for membership in memberships:
        if membership.organisation.ods_code == last:
            return redirect(membership.organisation)
    if len(memberships) == 1 and not ics_memberships:
        return redirect(memberships[0].organisation)
    if len(ics_memberships) == 1 and not memberships:
        return redirect(ics_memberships[0].ics)
    return redirect("accounts:organisation_switch")


@require_http_methods(["GET", "POST"])
def organisation_switch(request):
    memberships = list(selectors.membership_list(request.user))
    ics_memberships = list(selectors.ics_membership_list(request.user))
    form = OrganisationSwitchForm(
        bound_data(request),
        memberships=memberships,
        ics_memberships=ics_memberships,
    )
    if request.method == "POST" and form.is_valid():
        kind, ods_code = form.cleaned_data["organisation"].split(":", 1)
        if kind == "ics":
            return redirect("accounts:ics_home", ods_code=ods_code)
        return redirect("accounts:trust_home", ods_code=ods_code)
    return render(
        request,
        "accounts/organisation_switch.html",
        {
            "form": form,
            "has_any": bool(memberships or ics_memberships),
            "closed_memberships": selectors.membership_list_closed(request.user),
        },
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.VIEW_TRUST_HOME)
@require_safe
def trust_home(request):
    return render(request, "accounts/trust_home.html")


@ics_view(Capability.VIEW_ICS_DASHBOARDS)
@require_safe
def ics_home(request):
    trusts = request.ics.organisations.order_by("name")
    return render(request, "accounts/ics_home.html", {"trusts": trusts})


@organisation_view(Capability.MANAGE_MEMBERS)
@require_safe
def member_list(request):
    return render(
        request,
        "accounts/member_list.html",
        {
            "members": selectors.member_list(request.organisation),
            "invitations": selectors.invitation_list_open(),
            "audit_entries": selectors.audit_entry_list_recent(limit=5),
        },
    )


def _member_or_404(request, membership_id) -> Membership:
    try:
        return selectors.member_get(request.organisation, membership_id)
    except Membership.DoesNotExist:
        raise Http404 from None


@organisation_view(Capability.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def invitation_create(request):
    form = InviteForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                organisation=request.organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:member_list", ods_code=request.organisation.ods_code)
    return render(
        request, "accounts/member_invite.html", {"form": form}, status=400 if form.errors else 200
    )


@organisation_view(Capability.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def member_role(request, membership_id):
    membership = _member_or_404(request, membership_id)
    form = RoleForm(bound_data(request), initial={"role": membership.role})
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_set_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
            return redirect("accounts:member_list", ods_code=request.organisation.ods_code)
    return render(
        request,
        "accounts/member_role.html",
        {"form": form, "membership": membership},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_MEMBERS)
@require_POST
def invitation_revoke(request, invitation_id):
    try:
        invitation = selectors.invitation_list_open().get(pk=invitation_id)
    except Invitation.DoesNotExist:
        raise Http404 from None
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("accounts:member_list", ods_code=request.organisation.ods_code)


# The "Are you sure?" page of each member action: (service, page text, button, message when done).
_MEMBER_ACTIONS = {
    "suspend": (
        services.membership_suspend,
        "Suspend {name}'s access?",
        "They keep their role but cannot see {trust} until you reinstate their access. "
        "They are signed out straight away.",
        "Suspend access",
        "{name}'s access has been suspended.",
    ),
    "reinstate": (
        services.membership_reinstate,
        "Reinstate {name}'s access?",
        "They can see {trust} again, as {role}.",
        "Reinstate access",
        "{name}'s access has been reinstated.",
    ),
    "remove": (
        services.membership_remove,
        "Remove {name} from {trust}?",
        "They lose access to {trust} and are signed out straight away. To add them again, "
        "send a new invitation.",
        "Remove from organisation",
        "{name} has been removed from {trust}.",
    ),
}


def _member_action(request, membership_id, action):
    membership = _member_or_404(request, membership_id)
    service, title, body, button, done = _MEMBER_ACTIONS[action]
    words = {
        "name": membership.user.get_full_name(),
        "trust": request.organisation.name,
        "role": membership.get_role_display().lower(),
    }
    error = None
    if request.method == "POST":
        try:
            service(membership=membership, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, done.format(**words))
            return redirect("accounts:member_list", ods_code=request.organisation.ods_code)
    return render(
        request,
        "accounts/member_confirm.html",
        {
            "membership": membership,
            "title": title.format(**words),
            "body": body.format(**words),
            "button": button,
            "error": error,
        },
        status=400 if error else 200,
    )


@organisation_view(Capability.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def member_suspend(request, membership_id):
    return _member_action(request, membership_id, "suspend")


@organisation_view(Capability.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def member_reinstate(request, membership_id):
    return _member_action(request, membership_id, "reinstate")


@organisation_view(Capability.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def member_remove(request, membership_id):
    return _member_action(request, membership_id, "remove")


@organisation_view(Capability.MANAGE_MEMBERS)
@require_safe
def audit_list(request):
    return render(
        request, "accounts/audit_list.html", {"entries": selectors.audit_entry_list_recent()}
    )


@organisation_view(Capability.MANAGE_SECURITY)
@require_http_methods(["GET", "POST"])
def organisation_security(request):
    organisation = request.organisation
    form = SecurityForm(
        bound_data(request),
        initial={
            "require_mfa": organisation.require_mfa,
            "sso_only": organisation.sso_only,
            "sso_join_domains": organisation.sso_join_domains,
        },
        sso_providers=sso_provider_names(),
        sso_signed_in=sso_session(request) is not None,
    )
    if request.method == "POST" and form.is_valid():
        services.organisation_security_update(
            organisation=organisation,
            actor=request.user,
            require_mfa=form.cleaned_data["require_mfa"],
            sso_only=form.cleaned_data["sso_only"],
            sso_join_domains=form.cleaned_data["sso_join_domains"],
        )
        messages.success(request, "Security settings saved.")
        return redirect("accounts:organisation_security", ods_code=request.organisation.ods_code)
    return render(
        request,
        "accounts/organisation_security.html",
        {"form": form, "admin_mfa_required": settings.ADMIN_MFA_REQUIRED},
    )


SESSION_NEW_TOKEN_KEY = "api_token_just_made"


@organisation_view(Capability.MANAGE_API_TOKENS)
@require_http_methods(["GET", "POST"])
def api_token_list(request):
    """The trust's API tokens, and a form to make one. A new token's secret is shown once, on the
    page the form redirects to: it waits in the (server-side) session until that page takes it,
    and the page is never cached."""
    form = ApiTokenForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token, secret = services.api_token_create(
            organisation=request.organisation,
            name=data["name"],
            role=data["role"],
            read_only=data["read_only"],
            expires_at=timezone.now() + timedelta(days=int(data["lifetime"])),
            actor=request.user,
        )
        request.session[SESSION_NEW_TOKEN_KEY] = {"id": token.pk, "secret": secret}
        return redirect("accounts:api_token_list", ods_code=request.organisation.ods_code)
    tokens = list(selectors.api_token_list())
    just_made = request.session.pop(SESSION_NEW_TOKEN_KEY, None) or {}
    new_token = next((t for t in tokens if t.pk == just_made.get("id")), None)
    response = render(
        request,
        "accounts/api_token_list.html",
        {
            "form": form,
            "tokens": tokens,
            "secret": just_made.get("secret") if new_token else None,
            "new_token": new_token,
        },
        status=400 if form.errors else 200,
    )
    add_never_cache_headers(response)
    return response


@organisation_view(Capability.MANAGE_API_TOKENS)
@require_POST
def api_token_revoke(request, token_id):
    try:
        token = selectors.api_token_get(token_id)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token {token.name} revoked. It no longer works.")
    return redirect("accounts:api_token_list", ods_code=request.organisation.ods_code)


SESSION_NEW_ICS_TOKEN_KEY = "ics_api_token_just_made"


@ics_view(Capability.MANAGE_ICS_API_TOKENS)
@require_http_methods(["GET", "POST"])
def ics_api_token_list(request):
    """The ICS's read tokens (for its roll-ups through the API), and a form to make one. The
    secret is shown once, as on the trust's token page."""
    form = IcsApiTokenForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        token, secret = services.ics_api_token_create(
            ics=request.ics,
            name=form.cleaned_data["name"],
            expires_at=timezone.now() + timedelta(days=int(form.cleaned_data["lifetime"])),
            actor=request.user,
        )
        request.session[SESSION_NEW_ICS_TOKEN_KEY] = {"id": token.pk, "secret": secret}
        return redirect("accounts:ics_api_token_list", ods_code=request.ics.ods_code)
    tokens = list(selectors.ics_api_token_list(request.ics))
    just_made = request.session.pop(SESSION_NEW_ICS_TOKEN_KEY, None) or {}
    new_token = next((t for t in tokens if t.pk == just_made.get("id")), None)
    response = render(
        request,
        "accounts/ics_api_token_list.html",
        {
            "form": form,
            "tokens": tokens,
            "secret": just_made.get("secret") if new_token else None,
            "new_token": new_token,
        },
        status=400 if form.errors else 200,
    )
    add_never_cache_headers(response)
    return response


@ics_view(Capability.MANAGE_ICS_API_TOKENS)
@require_POST
def ics_api_token_revoke(request, ics_token_id):
    try:
        token = selectors.ics_api_token_get(request.ics, ics_token_id)
    except IcsApiToken.DoesNotExist:
        raise Http404 from None
    services.ics_api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token {token.name} revoked. It no longer works.")
    return redirect("accounts:ics_api_token_list", ods_code=request.ics.ods_code)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The link in the invitation email. Works signed in or out; never reveals other data."""
    invitation = selectors.invitation_get_by_token(token)
    if invitation is None or not invitation.is_open:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        if not invitation.is_for(request.user):
            # Signed in as someone else: the invitation can only be taken by its addressee.
            return render(
                request,
                "accounts/invitation_accept.html",
                {
                    "invitation": invitation,
                    "error": services.INVITATION_WRONG_USER_MESSAGE,
                    "wrong_user": True,
                },
                status=403,
            )
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=request.user)
            except ValidationError as error:
                return render(
                    request,
                    "accounts/invitation_accept.html",
                    {"invitation": invitation, "error": " ".join(error.messages)},
                    status=400,
                )
            messages.success(request, f"You have joined {invitation.organisation.name}.")
            return redirect(invitation.organisation)
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
    request.session[SESSION_INVITATION_KEY] = invitation.token
    if User.objects.filter(email__iexact=invitation.email).exists():
        messages.info(request, "Sign in to accept your invitation.")
        return redirect("account_login")
    # They reached this page from the emailed link, so the address is proven.
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect(f"{reverse('account_signup')}?{urlencode({'email': invitation.email})}")
