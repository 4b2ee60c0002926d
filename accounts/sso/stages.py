"""allauth's two-factor login stage, satisfied by a multi-factor single sign-on."""

from allauth.mfa import stages

from .assurance import sociallogin_multi_factor


class AuthenticateStage(stages.AuthenticateStage):
    def _should_handle(self, request) -> bool:
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if sociallogin is not None and sociallogin_multi_factor(sociallogin):
            return False
        return super()._should_handle(request)
