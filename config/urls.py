from functools import wraps
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import include, path, reverse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.scoping import scopes_disabled
from feedback import api as feedback_api
from insights import api as insights_api
from portfolio import api as portfolio_api
from roadmaps import api as roadmaps_api


def admin_login(request):
    """The admin signs in through allauth, so its rate limits and MFA cover the admin too."""
    if request.user.is_authenticated:
        # Signed in but not a superuser: sending them to sign in again would loop.
        raise PermissionDenied
    return redirect(
        f"{reverse('account_login')}?{urlencode({'next': request.GET.get('next', '/admin/')})}"
    )


def superuser_only(request):
    return request.user.is_active and request.user.is_superuser


_admin_view = admin.site.admin_view


def unscoped_admin_view(view, cacheable=False):
    """Superusers administer every trust, so admin pages run (and render) with scoping off."""
    inner = _admin_view(view, cacheable)

    @wraps(inner)
    def wrapped(request, *args, **kwargs):
        with scopes_disabled():
            response = inner(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapped


admin.site.login = admin_login
admin.site.has_permission = superuser_only
admin.site.admin_view = unscoped_admin_view
admin.site.site_header = "NHS Product Portfolio administration"


def not_offered(request, *args, **kwargs):
    raise Http404


# /api/v1/: each app's API views under one prefix, with the OpenAPI schema and its docs page. The
# schema is generated from the views (drf-spectacular) and committed as docs/openapi.yaml;
# tests/test_api.py fails when the two differ (`make schema` rewrites the file).
api_urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("organisation/", portfolio_api.OrganisationView.as_view(), name="organisation"),
    path("products/", portfolio_api.ProductListView.as_view(), name="product_list"),
    path(
        "products/<id:product_id>/",
        portfolio_api.ProductDetailView.as_view(),
        name="product_detail",
    ),
    path(
        "products/<id:product_id>/archive/",
        portfolio_api.ProductArchiveView.as_view(),
        name="product_archive",
    ),
    path(
        "products/<id:product_id>/contracts/",
        portfolio_api.ContractListView.as_view(),
        name="contract_list",
    ),
    path(
        "products/<id:product_id>/contracts/<id:contract_id>/",
        portfolio_api.ContractDetailView.as_view(),
        name="contract_detail",
    ),
    path("usage-imports/", portfolio_api.UsageImportListView.as_view(), name="usage_import_list"),
    path(
        "usage-imports/<id:import_id>/",
        portfolio_api.UsageImportDetailView.as_view(),
        name="usage_import_detail",
    ),
    path("feedback/", feedback_api.FeedbackListView.as_view(), name="feedback_list"),
    path(
        "feedback/<id:feedback_id>/",
        feedback_api.FeedbackDetailView.as_view(),
        name="feedback_detail",
    ),
    path(
        "feedback/<id:feedback_id>/triage/",
        feedback_api.FeedbackTriageView.as_view(),
        name="feedback_triage",
    ),
    path(
        "feedback/<id:feedback_id>/merge/",
        feedback_api.FeedbackMergeView.as_view(),
        name="feedback_merge",
    ),
    path("roadmap-items/", roadmaps_api.RoadmapItemListView.as_view(), name="roadmap_item_list"),
    path(
        "roadmap-items/<id:item_id>/",
        roadmaps_api.RoadmapItemDetailView.as_view(),
        name="roadmap_item_detail",
    ),
    path(
        "roadmap-items/<id:item_id>/release/",
        roadmaps_api.RoadmapItemReleaseView.as_view(),
        name="roadmap_item_release",
    ),
    path(
        "roadmap-items/<id:item_id>/evidence/",
        roadmaps_api.RoadmapEvidenceListView.as_view(),
        name="roadmap_evidence_list",
    ),
    path(
        "roadmap-items/<id:item_id>/evidence/<id:feedback_id>/",
        roadmaps_api.RoadmapEvidenceDetailView.as_view(),
        name="roadmap_evidence_detail",
    ),
    path(
        "summaries/products/",
        insights_api.ProductSummaryListView.as_view(),
        name="summary_product_list",
    ),
    path(
        "summaries/trust/", insights_api.TrustSummaryListView.as_view(), name="summary_trust_list"
    ),
    path("ics/", insights_api.IcsView.as_view(), name="ics"),
    path(
        "ics/summaries/trusts/",
        insights_api.IcsTrustSummaryListView.as_view(),
        name="ics_summary_trust_list",
    ),
    path(
        "ics/summaries/capabilities/",
        insights_api.IcsCapabilitySummaryListView.as_view(),
        name="ics_summary_capability_list",
    ),
]


urlpatterns = [
    path("admin/", admin.site.urls),
    # Re-authentication is by password or authenticator app; allauth's e-mail-code pages would
    # still answer, with a form nobody is meant to see.
    path("accounts/reauthenticate/code/", not_offered),
    path("accounts/reauthenticate/code/confirm/", not_offered),
    # Single sign-on links an account by its verified address (accounts.adapters); allauth's page
    # for linking and unlinking identities by hand is not offered.
    path("accounts/3rdparty/", not_offered),
    path("api/v1/", include((api_urlpatterns, "api"))),
    path("accounts/", include("allauth.urls")),
    path("", include("core.urls")),
    path("", include("accounts.urls")),
    path("", include("portfolio.urls")),
    path("", include("feedback.urls")),
    path("", include("roadmaps.urls")),
    path("", include("insights.urls")),
]
