from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from core.client_ip import client_ip

from .models import User
from .selectors import (
    invitation_get_by_token,
    invitation_list_open_for_email,
    organisation_list_joinable,
)
from .sso.assurance import sociallogin_claims, verified_email
from .sso.views import SignInRefused

SESSION_INVITATION_KEY = "pending_invitation"


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is closed except to people holding an open invitation."""

    def is_open_for_signup(self, request):
        token = request.session.get(SESSION_INVITATION_KEY)
        invitation = invitation_get_by_token(token) if token else None
        return bool(invitation and invitation.is_open)

    def get_client_ip(self, request):
        """The address the sign-in throttle counts: X-Forwarded-For only as far as our own proxies
        (settings.TRUSTED_PROXY_COUNT), the same as every other limit (core.client_ip)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def get_reauthentication_methods(self, user):
        """allauth's ways to confirm it is you, less the e-mailed code: its pages are not offered
        (config.urls), so neither is a link to them."""
        return [
            method
            for method in super().get_reauthentication_methods(user)
            if method["id"] != "reauthenticate_by_code"
        ]

    def get_login_stages(self):
        """allauth's stages, except that a single sign-on the provider says was multi-factor is
        not asked for the authenticator app's code as well (accounts.sso.stages)."""
        return [
            "accounts.sso.stages.AuthenticateStage"
            if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in super().get_login_stages()
        ]


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on (accounts.sso) reaches only people the app already knows by a verified
    address: an account, an open invitation, or a trust that lets their domain join."""

    def _refuse(self, request, sociallogin, template, status, **context):
        provider = sociallogin.account.get_provider()
        context.update(provider=provider)
        raise ImmediateHttpResponse(render(request, template, context, status=status))

    def pre_social_login(self, request, sociallogin):
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            # Accounts are linked by their verified address only, never by hand: a signed-in
            # person cannot attach someone else's identity to their account.
            self._refuse(
                request,
                sociallogin,
                "socialaccount/authentication_error.html",
                400,
                reason="connect",
            )
        settings, claims = sociallogin_claims(sociallogin)
        email = verified_email(settings, claims)
        if email is None:
            self._refuse(
                request,
                sociallogin,
                "socialaccount/authentication_error.html",
                403,
                reason="unverified" if claims.get("email") else "no_email",
                address=claims.get("email", ""),
            )
        if sociallogin.is_existing:
            return
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            # The provider proved the address the account was made with: link the two.
            sociallogin.connect(request, user)
        elif not (invitation_list_open_for_email(email) or organisation_list_joinable(email)):
            self._refuse(request, sociallogin, "account/sso_no_access.html", 403, address=email)

    def is_open_for_signup(self, request, sociallogin):
        return True  # pre_social_login let through only people with somewhere to go

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.email = (data.get("email") or "").lower()
        user.full_name = (data.get("name") or "")[:150]
        return user

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        """A refused or broken sign-on gets a page that says what happened and what to do."""
        if isinstance(exception, SignInRefused):
            reason = exception.reason
        elif error == "cancelled":
            reason = "cancelled"
        elif "state" not in (extra_context or {}):
            reason = "state"  # no sign-in of this browser's matches what came back
        else:
            reason = "unknown"
        raise ImmediateHttpResponse(
            render(
                request,
                "socialaccount/authentication_error.html",
                {"provider": provider, "reason": reason},
                status=400,
            )
        )
