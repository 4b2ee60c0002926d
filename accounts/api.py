"""The API's sign-in and tenancy: a token (or the browser's session) fixes one trust and one role.

``Authorization: Bearer npp_...`` names an :class:`ApiToken`; the request then acts as that trust,
with the token's role and, if it is read-only, GET only. The app's own pages may call the API with
the browser's session (and CSRF), as the trust they last opened. Every view is a
:class:`TrustAPIView`: it runs inside the trust's scope, so foreign ids answer 404 as on the pages,
and each method names the capability it needs from the same map as the pages.
"""

import contextlib
import math

from django.db import transaction
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import BaseMetadata
from rest_framework.throttling import SimpleRateThrottle

from core.api import Cursor
from core.cache import count_hit

from .models import IcsApiToken, Organisation
from .permissions import Capability, role_can
from .scoping import scope
from .selectors import api_token_get_by_hash, ics_api_token_get_by_hash, ics_lead_holds
from .services import API_TOKEN_PREFIX, ICS_TOKEN_PREFIX, api_token_hash, api_token_touch
from .sso.session import sso_session
from .tenancy import SESSION_ORGANISATION_KEY, _membership_for

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class TokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(f"{self.keyword} "):
            return None
        secret = header[len(self.keyword) + 1 :].strip()
        if len(secret) > 200:
            raise exceptions.AuthenticationFailed("The API token is not valid.")
        if secret.startswith(API_TOKEN_PREFIX):
            token = api_token_get_by_hash(api_token_hash(secret))
        elif secret.startswith(ICS_TOKEN_PREFIX):
            token = ics_api_token_get_by_hash(api_token_hash(secret))
        else:
            token = None
        if token is None:
            raise exceptions.AuthenticationFailed("The API token is not valid.")
        if not token.is_active:
            raise exceptions.AuthenticationFailed("The API token has expired or was revoked.")
        user = token.created_by
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(
                "The API token's creator no longer has an account. Make a new token."
            )
        api_token_touch(token)
        return user, token

    def authenticate_header(self, request):
        return self.keyword


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token an organisation admin made in the app (npp_...).",
        }


class TokenRateThrottle(SimpleRateThrottle):
    """Per token (per user for the browser's session): 429 with Retry-After past the rate.

    Counted in fixed windows of the rate's period (a minute), one atomic increment a request.
    DRF's own throttle keeps a list of every request's time in the period and reads and writes
    all of it on every request: at 1,200 a minute, most of a list request's time. A client can
    get up to twice the rate across the boundary of two windows; the rate is a guard against
    runaway clients, not a quota.
    """

    scope = "api"

    def get_cache_key(self, request, view):
        token = request.auth
        if token is not None:
            ident = f"{token._meta.model_name}-{token.pk}"  # trust and ICS tokens apart
        else:
            ident = f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = max(1, math.ceil((window + 1) * self.duration - now))
        return count_hit(f"{key}:{window}", self.duration) <= self.num_requests

    def wait(self):
        return self.wait_seconds


class ApiMetadata(BaseMetadata):
    """What OPTIONS answers (with ``Allow``): the view's name and what it reads and writes.
    The schema (``/api/v1/schema/``) describes each operation; nothing here depends on data."""

    def determine_metadata(self, request, view):
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/v1/schema/",
        }


class TrustAPIView(GenericAPIView):
    """Base of every trust API view. Set ``capabilities`` to the capability each method needs,
    e.g. ``{"GET": Capability.VIEW_PRODUCTS, "POST": Capability.MANAGE_PRODUCTS}``."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    throttle_classes = [TokenRateThrottle]
    capabilities: dict[str, str] = {}
    pagination_class = Cursor
    metadata_class = ApiMetadata

    def _refuse_unknown_method(self, request):
        """405 before any sign-in or role check: the answer does not depend on who asks."""
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method)

    def dispatch(self, request, *args, **kwargs):
        with contextlib.ExitStack() as stack:
            if request.method in READ_METHODS:
                # A read is one transaction: its queries see one snapshot, and the row-level
                # security settings (accounts.rls) are written once, not around every query.
                stack.enter_context(transaction.atomic())
            self._scope_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        self._refuse_unknown_method(request)
        super().initial(request, *args, **kwargs)  # authentication, throttling
        token = request.auth
        if isinstance(token, IcsApiToken):
            raise exceptions.PermissionDenied(
                "An ICS token reads the ICS's roll-ups only: use the /api/v1/ics/ routes."
            )
        if token is not None:
            organisation, role = token.organisation, token.role
            if token.read_only and request.method not in READ_METHODS:
                raise exceptions.PermissionDenied("This API token is read-only.")
        else:
            ods_code = request.session.get(SESSION_ORGANISATION_KEY)
            if not ods_code:
                raise exceptions.PermissionDenied("Open your organisation in the app first.")
            membership = _membership_for(request.user, ods_code)
            organisation, role = membership.organisation, membership.role
        if organisation.is_closed:
            raise exceptions.PermissionDenied(
                f"{organisation.name} has closed; its records are kept for history."
            )
        if token is None and organisation.sso_only and not sso_session(request):
            raise exceptions.PermissionDenied(f"{organisation.name} asks for single sign-on.")
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        capability = self.capabilities.get(method)
        if capability is None or not role_can(role, capability):
            raise exceptions.PermissionDenied("Your role does not allow this.")
        request.organisation = organisation
        request.role = role
        self._scope_stack.enter_context(scope(organisation=organisation))


class IcsAPIView(TrustAPIView):
    """Base of the ICS roll-up views: an ICS token (read-only) reads the ICS it was made for,
    inside a scope of every trust in that ICS (closed ones included, as on the ICS dashboard)."""

    capabilities = {"GET": Capability.VIEW_ICS_DASHBOARDS}

    def initial(self, request, *args, **kwargs):
        self._refuse_unknown_method(request)
        GenericAPIView.initial(self, request, *args, **kwargs)  # authentication, throttling
        token = request.auth
        if not isinstance(token, IcsApiToken):
            raise exceptions.PermissionDenied(
                "These routes need an ICS API token, made by an ICS lead in the app."
            )
        if request.method not in READ_METHODS:
            raise exceptions.PermissionDenied("An ICS API token is read-only.")
        if token.ics.is_closed:
            raise exceptions.PermissionDenied(f"{token.ics.name} has closed.")
        if not ics_lead_holds(token.created_by, token.ics):
            raise exceptions.PermissionDenied(
                "The person who made this token no longer leads this ICS. Make a new token."
            )
        capability = self.capabilities.get("GET" if request.method in READ_METHODS else "")
        if capability is None or not role_can(token.role, capability):
            raise exceptions.PermissionDenied("Your role does not allow this.")
        request.ics = token.ics
        request.organisation = None
        request.role = token.role
        trust_ids = list(Organisation.objects.filter(ics=token.ics).values_list("pk", flat=True))
        self._scope_stack.enter_context(scope(organisations=trust_ids))
