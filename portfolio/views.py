from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import Capability, role_can
from accounts.tenancy import organisation_view
from core.forms import bound_data

from . import selectors, services
from .forms import ContractForm, ProductFilterForm, ProductForm, UsageUploadForm
from .models import Contract, ImportStatus, Product, UsageImport
from .usage_import import MAX_UPLOAD_BYTES

PAGE_SIZE = 50


def _product_or_404(product_id) -> Product:
    try:
        return selectors.product_get(product_id)
    except Product.DoesNotExist:
        raise Http404 from None


@organisation_view(Capability.VIEW_PRODUCTS)
@require_safe
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
@require_safe
def product_detail(request, product_id):
    product = _product_or_404(product_id)
    contracts = selectors.contract_list(product)
    today = timezone.localdate()
    return render(
        request,
        "portfolio/product_detail.html",
        {
            "product": product,
            "contracts": contracts,
            "position": selectors.contract_position(contracts, product.licensed_seats, today),
            "latest_usage": selectors.usage_latest(product),
            "changes": selectors.product_change_list(product, limit=5),
            "today": today,
            "can_manage": role_can(request.role, Capability.MANAGE_PRODUCTS),
            "can_manage_contracts": role_can(request.role, Capability.MANAGE_CONTRACTS),
        },
    )


@organisation_view(Capability.VIEW_PRODUCTS)
@require_safe
def product_history(request, product_id):
    product = _product_or_404(product_id)
    return render(
        request,
        "portfolio/product_history.html",
        {"product": product, "changes": selectors.product_change_list(product, limit=500)},
    )


@organisation_view(Capability.MANAGE_PRODUCTS)
@require_http_methods(["GET", "POST"])
def product_create(request):
    form = ProductForm(bound_data(request), organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        product = services.product_create(
            organisation=request.organisation, data=form.cleaned_data, user=request.user
        )
        messages.success(request, f"{product.name} added.")
        return redirect(product)
    return render(
        request,
        "portfolio/product_form.html",
        {"form": form, "title": "Add a product"},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_PRODUCTS)
@require_http_methods(["GET", "POST"])
def product_update(request, product_id):
    product = _product_or_404(product_id)
    form = ProductForm(bound_data(request), instance=product, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        services.product_update(product=product, data=form.cleaned_data, user=request.user)
        messages.success(request, f"{product.name} saved.")
        return redirect(product)
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
    services.product_set_archived(product=product, archived=archive, user=request.user)
    messages.success(request, f"{product.name} {'archived' if archive else 'restored'}.")
    return redirect(product)


@organisation_view(Capability.MANAGE_CONTRACTS)
@require_http_methods(["GET", "POST"])
def contract_create(request, product_id):
    product = _product_or_404(product_id)
    form = ContractForm(bound_data(request), initial={"supplier": product.supplier_id})
    if request.method == "POST" and form.is_valid():
        services.contract_create(product=product, data=form.cleaned_data, user=request.user)
        messages.success(request, "Contract added.")
        return redirect(product)
    return render(
        request,
        "portfolio/contract_form.html",
        {"form": form, "product": product, "title": "Add a contract"},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_CONTRACTS)
@require_http_methods(["GET", "POST"])
def contract_update(request, product_id, contract_id):
    product = _product_or_404(product_id)
    try:
        contract = selectors.contract_get(product, contract_id)
    except Contract.DoesNotExist:
        raise Http404 from None
    form = ContractForm(bound_data(request), instance=contract)
    if request.method == "POST" and form.is_valid():
        services.contract_update(contract=contract, data=form.cleaned_data, user=request.user)
        messages.success(request, "Contract saved.")
        return redirect(product)
    return render(
        request,
        "portfolio/contract_form.html",
        {"form": form, "product": product, "title": "Edit contract"},
        status=400 if form.errors else 200,
    )


# Room for the multipart framing and the CSRF token around a file of the largest size.
UPLOAD_REQUEST_SLACK_BYTES = 64 * 1024


@csrf_exempt  # checked by _usage_import_upload, after the size: the check would read the body
@organisation_view(Capability.IMPORT_USAGE)
@require_http_methods(["GET", "POST"])
def usage_import_create(request):
    if request.method == "POST":
        if _declared_length(request) > MAX_UPLOAD_BYTES + UPLOAD_REQUEST_SLACK_BYTES:
            return _upload_page(request, UsageUploadForm.refused(UsageUploadForm.TOO_LARGE), 413)
        try:
            request.FILES  # noqa: B018 - read the upload here: a full disk is a form error, not a 500
        except OSError:
            return _upload_page(request, UsageUploadForm.refused(UsageUploadForm.NOT_SAVED), 503)
    return _usage_import_upload(request)


@csrf_protect
def _usage_import_upload(request):
    form = UsageUploadForm(bound_data(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.usage_import_start(
                organisation=request.organisation,
                uploaded_file=form.cleaned_data["file"],
                user=request.user,
            )
        except services.UsageUploadNotSaved:
            return _upload_page(request, UsageUploadForm.refused(UsageUploadForm.NOT_SAVED), 503)
        return redirect(record)
    return _upload_page(request, form, 400 if form.errors else 200)


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # no usable length: the form checks the file's size once it is read


def _upload_page(request, form, status):
    return render(
        request,
        "portfolio/usage_upload.html",
        {"form": form, "imports": selectors.usage_import_list()},
        status=status,
    )


@organisation_view(Capability.IMPORT_USAGE)
@require_http_methods(["GET", "POST"])
def usage_import_detail(request, import_id):
    try:
        record = selectors.usage_import_get(import_id)
    except UsageImport.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":  # "Try again"
        try:
            record = services.usage_import_retry(record=record)
        except services.UsageImportNotRetryable:
            messages.error(
                request, "This import cannot be tried again. Upload the file again instead."
            )
        return redirect(record)
    return render(
        request,
        "portfolio/usage_import_detail.html",
        {
            "record": record,
            "finished": record.status in {ImportStatus.SUCCEEDED, ImportStatus.FAILED},
        },
    )


@organisation_view(Capability.IMPORT_USAGE)
@require_safe
def usage_import_template(request):
    response = HttpResponse(
        "date,product,active_users,site,department\n"
        "2026-01-31,Example EPR,1234,Main hospital,Emergency department\n",
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="usage-template.csv"'
    return response
