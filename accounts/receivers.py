"""Connects allauth's login signal to the invitation service (the rule lives in services)."""

import logging

from allauth.account.signals import user_logged_in
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.dispatch import receiver

from .adapters import SESSION_INVITATION_KEY
from .selectors import invitation_get_by_token
from .services import invitation_accept

logger = logging.getLogger(__name__)


@receiver(user_logged_in)
def accept_pending_invitation(sender, request, user, **kwargs):
    token = request.session.pop(SESSION_INVITATION_KEY, None)
    if not token:
        return
    invitation = invitation_get_by_token(token)
    if invitation is None:
        return
    try:
        membership = invitation_accept(invitation=invitation, user=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return
    messages.success(request, f"You have joined {membership.organisation.name}.")
