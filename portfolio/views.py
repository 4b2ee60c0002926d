from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.permissions import Capability, role_can
from accounts.tenancy import organisation_view

from . import selectors
from .forms import ProductForm
from .models import Product
from .services import create_product


@organisation_view(Capability.VIEW_PRODUCTS)
def product_list(request):
    return render(
        request,
        "portfolio/product_list.html",
        {
            "products": selectors.product_list(),
            "can_manage": role_can(request.role, Capability.MANAGE_PRODUCTS),
        },
    )


@organisation_view(Capability.VIEW_PRODUCTS)
def product_detail(request, product_id):
    try:
        product = selectors.product_detail(product_id)
    except Product.DoesNotExist:
        raise Http404 from None
    return render(request, "portfolio/product_detail.html", {"product": product})


@organisation_view(Capability.MANAGE_PRODUCTS)
@require_http_methods(["GET", "POST"])
def product_create(request):
    form = ProductForm(
        request.POST if request.method == "POST" else None, organisation=request.organisation
    )
    if request.method == "POST" and form.is_valid():
        product = create_product(organisation=request.organisation, data=form.cleaned_data)
        messages.success(request, f"{product.name} added.")
        return redirect(
            "product_detail", ods_code=request.organisation.ods_code, product_id=product.pk
        )
    return render(
        request, "portfolio/product_form.html", {"form": form}, status=400 if form.errors else 200
    )
