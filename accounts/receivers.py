"""Connects the login signals to the invitation service (the rule lives in services) and stamps
every new session for the timeouts (accounts.sessions)."""

import logging
import time

from allauth.account.signals import user_logged_in
from allauth.mfa.signals import authenticator_added
from celery.signals import task_postrun, task_prerun
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in as session_signed_in
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils.html import format_html

from .adapters import SESSION_INVITATION_KEY
from .mfa import mfa_return_url_pop
from .scoping import database_default_reset, database_default_set
from .selectors import invitation_get_by_token
from .services import invitation_accept, sso_sign_in
from .sessions import session_start
from .sso.assurance import sociallogin_email, sociallogin_multi_factor
from .sso.session import sso_session_record

logger = logging.getLogger(__name__)


@receiver(user_logged_in)
def single_sign_on_completed(sender, request, user, sociallogin=None, **kwargs):
    """After a single sign-on: remember its assurance for the session, and take up what the proven
    address has waiting (invitations, trusts that let its domain join)."""
    if sociallogin is None:
        return
    sso_session_record(
        request,
        user=user,
        provider_id=sociallogin.account.get_provider().app.provider_id,
        multi_factor=sociallogin_multi_factor(sociallogin),
    )
    email = sociallogin_email(sociallogin)
    if email is None:
        return
    for membership in sso_sign_in(user=user, email=email):
        messages.success(request, f"You have joined {membership.organisation.name}.")


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


@receiver(session_signed_in)
def stamp_session(sender, request, user, **kwargs):
    """Django's own signal: sent for every sign-in (allauth's, the test client's, the admin's).
    The generation is read afresh: a stale user object must not stamp an ended generation."""
    user.refresh_from_db(fields=["session_generation"])
    session_start(request.session, user, time.time())


@receiver(authenticator_added)
def offer_the_way_back(sender, request, user, **kwargs):
    """After being sent to set up two-factor authentication, a link back to where they were."""
    url = mfa_return_url_pop(request)
    if url:
        messages.info(
            request,
            format_html(
                "Two-factor authentication is set up. Save your recovery codes somewhere safe, "
                'then <a href="{}">go back to the page you wanted</a>.',
                url,
            ),
        )


_task_database_defaults = {}


@task_prerun.connect(dispatch_uid="accounts-task-database-fail-closed")
def task_database_fail_closed(task_id=None, **kwargs):
    """A task starts with the database showing no trust, as in a worker, even when a test runs
    it in-process: TenantTask or ``scopes_disabled`` must say what it may see."""
    _task_database_defaults[task_id] = database_default_set(frozenset())


@task_postrun.connect(dispatch_uid="accounts-task-database-default-restore")
def task_database_default_restore(task_id=None, **kwargs):
    token = _task_database_defaults.pop(task_id, None)
    if token is not None:
        database_default_reset(token)
