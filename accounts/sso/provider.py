"""allauth's OpenID Connect provider with a nonce, assurance levels and trusted addresses only."""

import secrets

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider

from .assurance import claims_merged, verified_email
from .views import NhsOidcAdapter


class NhsOidcProvider(OpenIDConnectProvider):
    # The same id as allauth's: this class replaces it (SOCIALACCOUNT_PROVIDERS provider_class),
    # so the apps configured for "openid_connect" and its URL names stay as they are.
    id = "openid_connect"
    oauth2_adapter_class = NhsOidcAdapter
    pkce_enabled_default = True

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        auth_params = kwargs.pop("auth_params", None)
        auth_params = dict(self.get_auth_params() if auth_params is None else auth_params)
        nonce = secrets.token_urlsafe(32)
        auth_params["nonce"] = nonce
        if acr_values := self.app.settings.get("acr_values"):
            auth_params["acr_values"] = acr_values
        # The nonce is stashed with allauth's state and checked against the ID token on return.
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )

    def extract_uid(self, data):
        return str((data.get("id_token") or data.get("userinfo") or data)["sub"])

    def extract_common_fields(self, data):
        claims = claims_merged(data)
        return {
            "email": verified_email(self.app.settings, claims),
            "name": claims.get("name"),
            "first_name": claims.get("given_name"),
            "last_name": claims.get("family_name"),
        }

    def extract_email_addresses(self, data):
        email = verified_email(self.app.settings, claims_merged(data))
        return [EmailAddress(email=email, verified=True, primary=True)] if email else []


provider_classes = [NhsOidcProvider]
