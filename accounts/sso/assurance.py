"""What a provider's claims say about the person: verified address, multi-factor sign-in.

Each provider (an allauth "app", configured from the environment by accounts.sso.config) has settings:

- ``email_verified_claim``: the claim that says the address is verified (``email_verified``;
  Entra sends ``xms_edov`` when asked for it). An empty value trusts every address the provider
  sends: right only for CIS2, whose addresses are set by registration authorities.
- ``mfa_acr_values`` / ``mfa_amr_values``: an ``acr`` in the first, or any ``amr`` in the second,
  means the person signed in with more than one factor (CIS2: ``AAL2_*`` and ``AAL3_*``, every level of which is multi-factor; Entra:
  ``mfa`` in ``amr``, sent only in v1.0 tokens). ``mfa_assured``: the provider enforces
  multi-factor for everyone (an Entra tenant with a conditional-access policy saying so).
- ``acr_values``: asked for with every request; ``required_acr_values``: the ``acr`` the ID token
  must carry (a parameter on the sign-in URL can change what was asked, so it is checked).
"""

from allauth.core.internal.datakit import parse_bool_safely


def claims_merged(data: dict) -> dict:
    """The ID token's claims with the UserInfo response's over them (UserInfo has more profile;
    the ID token has the assurance and, from Entra, the verified-address claim)."""
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def verified_email(app_settings: dict, claims: dict) -> str | None:
    """The person's address, lower-cased, if the provider vouches for it; otherwise None."""
    email = (claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        return None
    claim = app_settings.get("email_verified_claim", "email_verified")
    if claim and not parse_bool_safely(claims.get(claim)):
        return None
    return email


def acr_matches(acr, patterns) -> bool:
    """Whether ``acr`` is one of ``patterns``; a pattern ending in ``*`` matches a prefix
    (CIS2's ``AAL3_*`` covers ``AAL3_ANY`` and the per-method values)."""
    if not isinstance(acr, str) or not acr:
        return False
    return any(
        acr.startswith(pattern[:-1]) if pattern.endswith("*") else acr == pattern
        for pattern in patterns
    )


def multi_factor(app_settings: dict, claims: dict) -> bool:
    if app_settings.get("mfa_assured"):
        return True
    if acr_matches(claims.get("acr"), app_settings.get("mfa_acr_values", ())):
        return True
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return bool(set(amr) & set(app_settings.get("mfa_amr_values", ())))


def sociallogin_claims(sociallogin) -> tuple[dict, dict]:
    """The provider's settings and the person's claims (ID token and UserInfo) of a sign-on."""
    app = sociallogin.account.get_provider().app
    return app.settings, claims_merged(sociallogin.account.extra_data)


def sociallogin_email(sociallogin) -> str | None:
    settings, claims = sociallogin_claims(sociallogin)
    return verified_email(settings, claims)


def sociallogin_multi_factor(sociallogin) -> bool:
    settings, claims = sociallogin_claims(sociallogin)
    return multi_factor(settings, claims)
