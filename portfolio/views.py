from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Capability, role_can
from accounts.tenancy import ics_view, organisation_view
from config.forms import bound_data

from . import selectors, services
from .forms import ContractForm, ProductFilterForm, ProductForm, UsageUploadForm
from .models import Contract, ImportStatus, Product, UsageImport

PAGE_SIZE = 50


def _product_or_404(product_id) -> Product:
    try:
        return selectors.product_detail(product_id)
    except Product.DoesNotExist:
        raise Http404 from None


@organisation_view(Capability.VIEW_PRODUCTS)
def product_list(request):
    filter_form = ProductFilterForm(request.GET or None)
    products = selectors.product_list(filter_form.filters())
    return render(
        request,
        "portfolio/product_list.html",
        {
            "products": products,
            "filter_form": filter_form,
            "can_manage": role_can(request.role, Capability.MANAGE_PRODUCTS),
            "can_import": role_can(request.role, Capability.IMPORT_USAGE),
        },
    )


@organisation_view(Capability.VIEW_PRODUCTS)
def product_detail(request, product_id):
    product = _product_or_404(product_id)
    contracts = selectors.contracts_of(product)
    today = timezone.localdate()
    return render(
        request,
        "portfolio/product_detail.html",
        {
            "product": product,
            "contracts": contracts,
            "position": selectors.contract_position(contracts, product.licensed_seats, today),
            "latest_usage": selectors.latest_usage(product),
            "changes": selectors.recent_changes(product, limit=5),
            "today": today,
            "can_manage": role_can(request.role, Capability.MANAGE_PRODUCTS),
            "can_manage_contracts": role_can(request.role, Capability.MANAGE_CONTRACTS),
        },
    )


@organisation_view(Capability.VIEW_PRODUCTS)
def product_history(request, product_id):
    product = _product_or_404(product_id)
    return render(
        request,
        "portfolio/product_history.html",
        {"product": product, "changes": selectors.recent_changes(product, limit=500)},
    )


@organisation_view(Capability.MANAGE_PRODUCTS)
@require_http_methods(["GET", "POST"])
def product_create(request):
    form = ProductForm(bound_data(request), organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        product = services.create_product(
            organisation=request.organisation, data=form.cleaned_data, user=request.user
        )
        messages.success(request, f"{product.name} added.")
        return redirect(
            "product_detail", ods_code=request.organisation.ods_code, product_id=product.pk
        )
    return render(
        request,
        "portfolio/product_form.html",
        {"form": form, "title": "Add a product"},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_PRODUCTS)
@require_http_methods(["GET", "POST"])
def product_edit(request, product_id):
    product = _product_or_404(product_id)
    form = ProductForm(bound_data(request), instance=product, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        services.update_product(product=product, data=form.cleaned_data, user=request.user)
        messages.success(request, f"{product.name} saved.")
        return redirect(
            "product_detail", ods_code=request.organisation.ods_code, product_id=product.pk
        )
    return render(
        request,
        "portfolio/product_form.html",
        {"form": form, "product": product, "title": f"Edit {product.name}"},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_PRODUCTS)
@require_POST
def product_archive(request, product_id):
    product = _product_or_404(product_id)
    archive = request.POST.get("action") != "restore"
    services.set_archived(product=product, archived=archive, user=request.user)
    messages.success(request, f"{product.name} {'archived' if archive else 'restored'}.")
    return redirect("product_detail", ods_code=request.organisation.ods_code, product_id=product.pk)


@organisation_view(Capability.MANAGE_CONTRACTS)
@require_http_methods(["GET", "POST"])
def contract_create(request, product_id):
    product = _product_or_404(product_id)
    form = ContractForm(bound_data(request), initial={"supplier": product.supplier_id})
    if request.method == "POST" and form.is_valid():
        services.create_contract(product=product, data=form.cleaned_data, user=request.user)
        messages.success(request, "Contract added.")
        return redirect(
            "product_detail", ods_code=request.organisation.ods_code, product_id=product.pk
        )
    return render(
        request,
        "portfolio/contract_form.html",
        {"form": form, "product": product, "title": "Add a contract"},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_CONTRACTS)
@require_http_methods(["GET", "POST"])
def contract_edit(request, product_id, contract_id):
    product = _product_or_404(product_id)
    try:
        contract = selectors.contract_for(product, contract_id)
    except Contract.DoesNotExist:
        raise Http404 from None
    form = ContractForm(bound_data(request), instance=contract)
    if request.method == "POST" and form.is_valid():
        services.update_contract(contract=contract, data=form.cleaned_data, user=request.user)
        messages.success(request, "Contract saved.")
        return redirect(
            "product_detail", ods_code=request.organisation.ods_code, product_id=product.pk
        )
    return render(
        request,
        "portfolio/contract_form.html",
        {"form": form, "product": product, "title": "Edit contract"},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.IMPORT_USAGE)
@require_http_methods(["GET", "POST"])
def usage_upload(request):
    form = UsageUploadForm(bound_data(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        record = services.start_usage_import(
            organisation=request.organisation,
            uploaded_file=form.cleaned_data["file"],
            user=request.user,
        )
        return redirect(
            "usage_import_detail", ods_code=request.organisation.ods_code, import_id=record.pk
        )
    return render(
        request,
        "portfolio/usage_upload.html",
        {"form": form, "imports": selectors.recent_imports()},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.IMPORT_USAGE)
def usage_import_detail(request, import_id):
    try:
        record = selectors.usage_import(import_id)
    except UsageImport.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "portfolio/usage_import_detail.html",
        {
            "record": record,
            "finished": record.status in {ImportStatus.SUCCEEDED, ImportStatus.FAILED},
        },
    )


@organisation_view(Capability.IMPORT_USAGE)
def usage_template(request):
    response = HttpResponse(
        "date,product,active_users,site,department\n"
        "2026-01-31,Example EPR,1234,Main hospital,Emergency department\n",
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="usage-template.csv"'
    return response


def _cached_body(key_parts, version, template, build):
    """Dashboard bodies change only when the summaries do: cache each one under the summaries'
    version (their computed_at), so a page view is a few small queries and a cache read."""
    from django.core.cache import cache
    from django.template.loader import render_to_string

    key = "dashboard:" + ":".join(
        str(part) for part in (*key_parts, version.isoformat() if version else "none")
    )
    body = cache.get(key)
    if body is None:
        body = render_to_string(template, build())
        cache.set(key, body, timeout=24 * 3600)
    return body


@organisation_view(Capability.VIEW_DASHBOARDS)
def trust_dashboard(request):
    from .dashboards import summaries_version
    from .dashboards import trust_dashboard as build

    today = timezone.localdate()
    version = summaries_version(today)
    body = _cached_body(
        ("trust", request.organisation.ods_code, today.isoformat()),
        version,
        "portfolio/includes/trust_dashboard_body.html",
        lambda: {**build(today), "current_organisation": request.organisation},
    )
    return render(request, "portfolio/trust_dashboard.html", {"body": body, "month": today})


@organisation_view(Capability.VIEW_DASHBOARDS)
def product_dashboard(request, product_id):
    from .dashboards import product_dashboard as build

    try:
        product = Product.objects.get(pk=product_id)
    except Product.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "portfolio/product_dashboard.html",
        {"product": product, **build(product, timezone.localdate())},
    )


@ics_view(Capability.VIEW_ICS_DASHBOARDS)
def ics_dashboard(request):
    from .dashboards import ics_dashboard as build
    from .dashboards import summaries_version

    today = timezone.localdate()
    version = summaries_version(today)
    body = _cached_body(
        ("ics", request.ics.ods_code, today.isoformat()),
        version,
        "portfolio/includes/ics_dashboard_body.html",
        lambda: build(today),
    )
    return render(request, "portfolio/ics_dashboard.html", {"body": body, "month": today})
