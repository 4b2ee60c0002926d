"""Deliberately broken views, used only to prove the harnesses catch them."""

from django.http import HttpResponse
from django.urls import path

from accounts.models import Organisation
from accounts.permissions import Capability
from accounts.tenancy import organisation_view
from config.urls import urlpatterns as real_urlpatterns
from portfolio.models import Product


@organisation_view(Capability.VIEW_PRODUCTS)
def leaky_product(request, product_id):
    # BUG on purpose: bypasses the tenant scope.
    return HttpResponse(Product.unscoped.get(pk=product_id).name)


def unresolved_tenant(request, ods_code):
    # BUG on purpose: trusts the URL instead of resolving membership.
    organisation = Organisation.objects.get(ods_code=ods_code)
    if request.method == "POST":
        Product.unscoped.create(
            organisation=organisation, name=f"Injected {Product.unscoped.count()}", capability="epr"
        )
    return HttpResponse(organisation.name)


@organisation_view(Capability.VIEW_PRODUCTS)
def chatty_list(request):
    # BUG on purpose: answers the right status for the right trust, but lists every trust's names.
    return HttpResponse(", ".join(Product.unscoped.values_list("name", flat=True)))


broken_patterns = [
    path("o/<str:ods_code>/broken-list/", chatty_list, name="broken_chatty_list"),
    path("o/<str:ods_code>/broken/<int:product_id>/", leaky_product, name="broken_leaky_product"),
    path("o/<str:ods_code>/broken-tenant/", unresolved_tenant, name="broken_unresolved_tenant"),
]
urlpatterns = [*broken_patterns, *real_urlpatterns]
