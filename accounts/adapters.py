from allauth.account.adapter import DefaultAccountAdapter

from .selectors import invitation_get_by_token

SESSION_INVITATION_KEY = "pending_invitation"


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is closed except to people holding an open invitation."""

    def is_open_for_signup(self, request):
        token = request.session.get(SESSION_INVITATION_KEY)
        invitation = invitation_get_by_token(token) if token else None
        return bool(invitation and invitation.is_open)
