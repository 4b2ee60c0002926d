"""What the session knows about a single sign-on: which provider, and whether it was multi-factor."""

from django.conf import settings

SESSION_SSO_KEY = "sso_sign_in"


def sso_session_record(request, *, user, provider_id: str, multi_factor: bool) -> None:
    request.session[SESSION_SSO_KEY] = {
        "user": user.pk,
        "provider": provider_id,
        "mfa": bool(multi_factor),
    }


def sso_session(request) -> dict | None:
    """The sign-on this session began with, if it began with one (and is still that person's)."""
    record = request.session.get(SESSION_SSO_KEY)
    user = getattr(request, "user", None)
    if not isinstance(record, dict) or user is None or record.get("user") != user.pk:
        return None
    return record


def sso_apps() -> list[dict]:
    """The providers this deployment has (accounts.sso.config, from the environment)."""
    return settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])


def sso_provider_names() -> list[str]:
    return [app["name"] for app in sso_apps()]
