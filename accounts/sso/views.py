"""The sign-in redirect and the return from the provider, with the checks allauth leaves out."""

import hmac

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from .assurance import acr_matches
from .keys import CLIENT_ASSERTION_TYPE, client_assertion, public_jwks
from .session import sso_apps


class SignInRefused(OAuth2Error):
    """A sign-in the app refuses; ``reason`` picks the page's wording (templates/socialaccount/
    authentication_error.html)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason


class PrivateKeyJwtClient(OAuth2Client):
    """Authenticates at the token endpoint with a signed assertion instead of a secret."""

    def __init__(self, *args, app_settings: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.app_settings = app_settings
        self.consumer_secret = ""  # dropped from the request (OAuth2Client strips empty values)
        self.basic_auth = False

    def get_access_token(self, code, pkce_code_verifier=None, extra_data=None):
        assertion = client_assertion(self.app_settings, self.consumer_key, self.access_token_url)
        extra = {"client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": assertion}
        return super().get_access_token(code, pkce_code_verifier, {**(extra_data or {}), **extra})


class NhsOidcAdapter(OpenIDConnectOAuth2Adapter):
    #: The state allauth stashed at the redirect (set by the callback view): holds the nonce.
    expected_state: dict

    def get_client(self, request, app):
        if app.settings.get("token_auth_method") != "private_key_jwt":
            return super().get_client(request, app)
        return PrivateKeyJwtClient(
            self.request,
            app.client_id,
            "",
            self.access_token_method,
            self.access_token_url,
            self.get_callback_url(request, app),
            scope_delimiter=self.scope_delimiter,
            headers=self.headers,
            app_settings=app.settings,
        )

    def get_access_token_data(self, request, app, client, pkce_code_verifier=None):
        try:
            return super().get_access_token_data(request, app, client, pkce_code_verifier)
        except OAuth2Error as error:  # e.g. invalid_grant: the code expired or was used already
            raise SignInRefused("code", str(error)) from error

    def complete_login(self, request, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise SignInRefused("token", "The provider sent no ID token.")
        try:
            claims = jwtkit.verify_and_decode(
                credential=id_token,
                keys_url=self.openid_config["jwks_uri"],
                issuer=self.openid_config["issuer"],
                audience=app.client_id,
                lookup_kid=jwtkit.lookup_kid_jwk,
                verify_signature=True,  # always, whatever the transport
            )
        except OAuth2Error as error:
            raise SignInRefused("token", str(error)) from error
        expected_nonce = getattr(self, "expected_state", {}).get("nonce") or ""
        if not expected_nonce or not hmac.compare_digest(
            str(claims.get("nonce", "")), expected_nonce
        ):
            raise SignInRefused("token", "The ID token's nonce is not the one this sign-in sent.")
        required_acr = app.settings.get("required_acr_values")
        if required_acr and not acr_matches(claims.get("acr"), required_acr):
            raise SignInRefused("assurance", f"acr {claims.get('acr')!r} is not accepted.")
        data = {"id_token": claims}
        if app.settings.get("fetch_userinfo", True):
            userinfo = self._fetch_user_info(token.token)
            if userinfo.get("sub") != claims.get("sub"):
                raise SignInRefused("token", "UserInfo is about someone else.")
            data["userinfo"] = userinfo
        return self.get_provider().sociallogin_from_response(request, data)


class NhsOidcCallbackView(OAuth2CallbackView):
    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.expected_state = state or {}
        return state, response


@login_not_required
def login(request, provider_id):
    try:
        return OAuth2LoginView.adapter_view(NhsOidcAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


@login_not_required
def callback(request, provider_id):
    try:
        return NhsOidcCallbackView.adapter_view(NhsOidcAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


@require_GET
@cache_control(max_age=300, public=True)
def jwks(request):
    """The app's public signing keys, which CIS2 fetches to check our client assertions."""
    return JsonResponse(public_jwks([app.get("settings", {}) for app in sso_apps()]))
