"""When two-factor authentication (allauth.mfa) is required, and the walk to set it up.

A user who must have it and has not is sent to allauth's "set up an authenticator app" page with a
message saying why; the page they wanted is remembered, and once the app is set up a message offers
the way back to it (accounts.receivers.offer_the_way_back).
"""

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from .permissions import MFA_REQUIRED_CAPABILITIES
from .sso.session import sso_session

SESSION_MFA_NEXT_KEY = "mfa_enrolment_next"

ADMIN_SITE_MESSAGE = (
    "You need to set up two-factor authentication before you can use the admin site. "
    "It keeps every trust's data safe if your password is stolen."
)
MANAGE_MESSAGE = (
    "You need to set up two-factor authentication before you can manage members or security "
    "settings. It keeps your organisation's data safe if your password is stolen."
)


def trust_message(organisation) -> str:
    return (
        f"{organisation.name} asks everyone to set up two-factor authentication before they can "
        "use this service."
    )


def mfa_requirement(membership, capability: str) -> str | None:
    """Why this member needs two-factor authentication for this page (a message), or None."""
    if membership.organisation.require_mfa:
        return trust_message(membership.organisation)
    if settings.ADMIN_MFA_REQUIRED and capability in MFA_REQUIRED_CAPABILITIES:
        return MANAGE_MESSAGE
    return None


def request_has_mfa(request) -> bool:
    """Two factors stand behind this session: the user's authenticator app, or a single sign-on
    whose provider said it was multi-factor (CIS2 AAL2/AAL3, Entra ``amr`` with ``mfa``)."""
    record = sso_session(request)
    return bool(record and record["mfa"]) or is_mfa_enabled(request.user)


def mfa_enrolment_redirect(request, message: str):
    """Send the user to set up an authenticator app, and remember where they were going."""
    if request.method == "GET":
        request.session[SESSION_MFA_NEXT_KEY] = request.get_full_path()
    messages.warning(request, message)
    return redirect("mfa_activate_totp")


def mfa_return_url_pop(request) -> str:
    """The page the user was sent away from to set up MFA, once (only ever a path on this site)."""
    url = request.session.pop(SESSION_MFA_NEXT_KEY, "")
    if not url.startswith("/") or not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return ""
    return url
