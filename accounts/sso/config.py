"""Single sign-on providers from the environment (README "Single sign-on").

Each provider is on when its client id is set; the sign-in page shows a button for each one that
is on. The settings each provider gets are described in accounts/sso/assurance.py.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

CIS2_MULTI_FACTOR = ["AAL2_*", "AAL3_*"]


def _list(env, name, default):
    value = env.get(name)
    if value is None or not value.strip():
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def _bool(env, name):
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _private_key(env, prefix):
    if env.get(f"{prefix}_PRIVATE_KEY"):
        return env[f"{prefix}_PRIVATE_KEY"]
    path = env.get(f"{prefix}_PRIVATE_KEY_FILE")
    if not path:
        return ""
    try:
        return Path(path).read_text()
    except OSError as error:
        raise ImproperlyConfigured(f"{prefix}_PRIVATE_KEY_FILE: {error}") from error


def nhsmail(env) -> dict | None:
    """NHSmail: the national Microsoft Entra ID tenant, pinned to one tenant (its issuer checked)."""
    client_id = env.get("SSO_NHSMAIL_CLIENT_ID", "").strip()
    if not client_id:
        return None
    server_url = env.get("SSO_NHSMAIL_SERVER_URL", "").strip()
    if not server_url:
        tenant = env.get("SSO_NHSMAIL_TENANT_ID", "").strip()
        if not tenant or tenant in {"common", "organizations", "consumers"}:
            raise ImproperlyConfigured(
                "SSO_NHSMAIL_TENANT_ID must be the NHSmail tenant's id: a multi-tenant endpoint "
                "would accept any Microsoft account."
            )
        server_url = f"https://login.microsoftonline.com/{tenant}/v2.0"
    return {
        "provider_id": "nhsmail",
        "name": "NHSmail",
        "client_id": client_id,
        "secret": env.get("SSO_NHSMAIL_CLIENT_SECRET", ""),
        "settings": {
            "server_url": server_url,
            "token_auth_method": "client_secret_post",
            "oauth_pkce_enabled": True,
            "scope": ["openid", "profile", "email"],
            # The ID token carries the address and xms_edov (optional claims, README); Entra's
            # UserInfo is Microsoft Graph's and has neither.
            "fetch_userinfo": False,
            "email_verified_claim": "xms_edov",
            "mfa_amr_values": ["mfa"],
            "mfa_assured": _bool(env, "SSO_NHSMAIL_MFA_ASSURED"),
        },
    }


def cis2(env) -> dict | None:
    """NHS CIS2 Authentication: private_key_jwt (recommended) or a client secret."""
    client_id = env.get("SSO_CIS2_CLIENT_ID", "").strip()
    if not client_id:
        return None
    server_url = env.get("SSO_CIS2_SERVER_URL", "").strip()
    if not server_url:
        raise ImproperlyConfigured("SSO_CIS2_SERVER_URL must be set with SSO_CIS2_CLIENT_ID.")
    settings = {
        "server_url": server_url,
        "oauth_pkce_enabled": True,
        "scope": ["openid", "profile", "email"],
        "acr_values": env.get("SSO_CIS2_ACR_VALUES", "AAL2_OR_AAL3_ANY"),
        "required_acr_values": _list(env, "SSO_CIS2_REQUIRED_ACR_VALUES", CIS2_MULTI_FACTOR),
        "mfa_acr_values": _list(env, "SSO_CIS2_MFA_ACR_VALUES", CIS2_MULTI_FACTOR),
        # CIS2 sends no email_verified: its addresses come from registration authorities.
        "email_verified_claim": "",
    }
    secret = env.get("SSO_CIS2_CLIENT_SECRET", "")
    private_key = _private_key(env, "SSO_CIS2")
    if private_key:
        settings.update(
            token_auth_method="private_key_jwt",
            private_key=private_key,
            key_id=env.get("SSO_CIS2_KEY_ID", "").strip() or "portfolio-cis2",
            signing_algorithm=env.get("SSO_CIS2_SIGNING_ALGORITHM", "RS512"),
        )
    elif secret:
        settings["token_auth_method"] = "client_secret_post"
    else:
        raise ImproperlyConfigured(
            "Set SSO_CIS2_PRIVATE_KEY_FILE (private_key_jwt, recommended) or SSO_CIS2_CLIENT_SECRET."
        )
    return {
        "provider_id": "cis2",
        "name": "NHS Care Identity",
        "client_id": client_id,
        "secret": secret,
        "settings": settings,
    }


def origins(apps: list[dict]) -> list[str]:
    """The providers' origins, which the sign-in form is redirected to (CSP form-action)."""
    found = []
    for app in apps:
        parts = urlsplit(app["settings"]["server_url"])
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in found:
            found.append(origin)
    return found


def providers(env=None) -> list[dict]:
    env = os.environ if env is None else env
    return [app for app in (nhsmail(env), cis2(env)) if app]
