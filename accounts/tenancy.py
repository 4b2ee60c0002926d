"""The one place that enters the tenant scope for a request or a task.

``/o/<ods_code>/...`` views are wrapped in :func:`organisation_view`, ``/ics/<ods_code>/...`` views
in :func:`ics_view`. A user who is not a member gets 404, exactly like a missing object, so URLs are
no oracle for which trusts exist. Inside the view the tenant scope is active, so every tenant query
is filtered to the organisation. Celery tasks about one trust use :class:`TenantTask`, which does
the same from the organisation id they are sent.
"""

import contextlib
import logging
from functools import wraps

from celery import Task
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import render

from .mfa import mfa_enrolment_redirect, mfa_requirement, request_has_mfa
from .models import IcsMembership, Membership, Organisation
from .permissions import role_can
from .scoping import scope, scopes_disabled
from .selectors import works_elsewhere_annotations
from .sso.session import sso_session

logger = logging.getLogger(__name__)

SESSION_ORGANISATION_KEY = "current_organisation"


def _membership_for(user, ods_code) -> Membership:
    if not user.is_authenticated:
        raise Http404
    # The person's own membership, read before the trust's scope can be entered: the one
    # whole-database read of a request (accounts.rls), narrowed to this user and this trust.
    with scopes_disabled():
        membership = (
            Membership.objects.select_related("organisation", "organisation__ics")
            .filter(user=user, organisation__ods_code=ods_code, suspended_at__isnull=True)
            .annotate(**works_elsewhere_annotations(user))  # the header's "Switch organisation"
            .first()
        )
    if membership is None:
        raise Http404
    return membership


def _closed_page(request, organisation):
    """A closed trust or ICS is kept for history, not worked in: its members get a page saying
    so (410 Gone) instead of a 404 that would look like their access had vanished."""
    return render(
        request,
        "accounts/organisation_closed.html",
        {"closed": organisation, "successor": getattr(organisation, "successor", None)},
        status=410,
    )


def sso_required_response(request, organisation):
    """The trust asks for single sign-on and this session began with a password: say so, with
    the way to sign in again (403, so nothing of the trust is shown)."""
    return render(
        request,
        "accounts/sso_required.html",
        {"organisation": organisation, "next": request.get_full_path()},
        status=403,
    )


def _read_transaction(request):
    """A page that only reads (GET, HEAD) runs in one transaction, so the database's scope
    (accounts.rls) is written once for the page instead of once per query. Forms (POST) keep the
    transactions their services open: a failure there must not roll back what was already saved."""
    already = transaction.get_connection().in_atomic_block  # e.g. a test's transaction
    if request.method in ("GET", "HEAD") and not already:
        return transaction.atomic()
    return contextlib.nullcontext()


def organisation_view(capability: str):
    """Resolve ``request.organisation`` and ``request.role``; require ``capability``.

    A suspended member is a non-member (404). Where the trust, or the capability, requires
    two-factor authentication, a member without it is sent to set it up first.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, ods_code, *args, **kwargs):
            membership = _membership_for(request.user, ods_code)
            if membership.organisation.is_closed:
                return _closed_page(request, membership.organisation)
            if not role_can(membership.role, capability):
                if not membership.organisation.sso_only or sso_session(request):
                    # The refusal page (403.html) keeps the trust's header and this role's
                    # menu; not for a session the trust would first send to single sign-on.
                    request.organisation = membership.organisation
                    request.membership = membership
                    request.role = membership.role
                raise PermissionDenied
            if membership.organisation.sso_only and not sso_session(request):
                return sso_required_response(request, membership.organisation)
            reason = mfa_requirement(membership, capability)
            if reason and not request_has_mfa(request):
                return mfa_enrolment_redirect(request, reason)
            request.organisation = membership.organisation
            request.membership = membership
            request.role = membership.role
            if request.session.get(SESSION_ORGANISATION_KEY) != membership.organisation.ods_code:
                request.session[SESSION_ORGANISATION_KEY] = (
                    membership.organisation.ods_code
                )  # no write per page
            with scope(organisation=membership.organisation), _read_transaction(request):
                return view(request, *args, **kwargs)

        wrapped.tenant_kind = "organisation"
        return wrapped

    return decorator


def ics_view(capability: str):
    """Resolve ``request.ics`` for an ICS-level member; scope covers the ICS's trusts."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, ods_code, *args, **kwargs):
            if not request.user.is_authenticated:
                raise Http404
            membership = (
                IcsMembership.objects.select_related("ics")
                .filter(user=request.user, ics__ods_code=ods_code)
                .first()
            )
            if membership is None or not role_can(membership.role, capability):
                raise Http404
            if membership.ics.is_closed:
                return _closed_page(request, membership.ics)
            request.ics = membership.ics
            request.ics_membership = membership
            request.role = membership.role
            # Closed trusts stay in the scope: the ICS's figures for the months before a merger
            # include the trust that merged, and the lead sees it listed as closed.
            trust_ids = list(
                Organisation.objects.filter(ics=membership.ics).values_list("pk", flat=True)
            )
            with scope(organisations=trust_ids), _read_transaction(request):
                return view(request, *args, **kwargs)

        wrapped.tenant_kind = "ics"
        return wrapped

    return decorator


class TenantTask(Task):
    """Base for a task about one trust (pretix's task base does the same for an event).

    The task is sent the organisation's id as its first argument; its body receives the
    Organisation and runs inside ``scope(organisation=...)``, so it uses the normal fail-closed
    managers. ``@shared_task(base=TenantTask)``, then ``task.delay(organisation.pk, ...)``.
    """

    def __call__(self, organisation_id, *args, **kwargs):
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None:  # deleted since the task was sent: nothing left to do
            logger.warning("%s: organisation %s no longer exists.", self.name, organisation_id)
            return None
        # As Task.__call__, except that the request keeps the id, not the object: a retry
        # re-sends the request's arguments, and they must stay JSON.
        self.push_request(args=(organisation_id, *args), kwargs=kwargs)
        try:
            with scope(organisation=organisation):
                return self.run(organisation, *args, **kwargs)
        finally:
            self.pop_request()
