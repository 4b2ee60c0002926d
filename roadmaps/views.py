from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import Capability, role_can
from accounts.selectors import member_user_list
from accounts.tenancy import ics_view, organisation_view
from core.forms import add_validation_error, bound_data
from feedback.models import Feedback
from feedback.sections import Section
from feedback.selectors import feedback_get
from portfolio.models import Product
from portfolio.selectors import product_get, product_list_active

from . import selectors, services
from .forms import (
    BoardFilterForm,
    EvidenceForm,
    LinkToItemForm,
    MoveForm,
    RoadmapItemForm,
    StatusForm,
)
from .models import Horizon, RoadmapEvidence, RoadmapItem


def _shared_only(request) -> bool:
    return not role_can(request.role, Capability.MANAGE_ROADMAPS)


def _item_or_404(request, item_id) -> RoadmapItem:
    try:
        return selectors.roadmap_item_get(item_id, shared_only=_shared_only(request))
    except RoadmapItem.DoesNotExist:
        raise Http404 from None


def _product_or_404(product_id) -> Product:
    try:
        return product_get(product_id)
    except Product.DoesNotExist:
        raise Http404 from None


def _board_context(request, product=None):
    queryset = selectors.roadmap_item_list(product=product, shared_only=_shared_only(request))
    return {
        "columns": [
            (Horizon(h).label, h, items) for h, items in selectors.roadmap_board(queryset).items()
        ],
        "horizons": Horizon.choices,
        "can_manage": role_can(request.role, Capability.MANAGE_ROADMAPS),
        "product": product,
    }


@organisation_view(Capability.VIEW_SHARED_ROADMAPS)
@require_safe
def board(request):
    filter_form = BoardFilterForm(request.GET or None, products=product_list_active())
    product = (
        filter_form.cleaned_data.get("product")
        if filter_form.is_bound and filter_form.is_valid()
        else None
    )
    return render(
        request,
        "roadmaps/board.html",
        {**_board_context(request, product), "filter_form": filter_form},
    )


@organisation_view(Capability.VIEW_SHARED_ROADMAPS)
@require_safe
def product_board(request, product_id):
    product = _product_or_404(product_id)
    return render(request, "roadmaps/board.html", _board_context(request, product))


@organisation_view(Capability.VIEW_SHARED_ROADMAPS)
@require_safe
def timeline(request):
    queryset = selectors.roadmap_item_list(shared_only=_shared_only(request))
    return render(
        request, "roadmaps/timeline.html", {"quarters": selectors.roadmap_timeline(queryset)}
    )


@organisation_view(Capability.VIEW_SHARED_ROADMAPS)
@require_safe
def priorities(request):
    queryset = selectors.roadmap_item_list(shared_only=_shared_only(request)).exclude(
        status__in=["released", "dropped"]
    )
    return render(
        request, "roadmaps/priorities.html", {"items": queryset.order_by("-rice_score", "title")}
    )


@organisation_view(Capability.VIEW_SHARED_ROADMAPS)
@require_safe
def item_detail(request, item_id):
    item = _item_or_404(request, item_id)
    can_manage = role_can(request.role, Capability.MANAGE_ROADMAPS)
    context = {
        "item": item,
        "can_manage": can_manage,
        "cited": selectors.roadmap_evidence_list(item) if can_manage else None,
    }
    if can_manage:
        context["evidence_form"] = EvidenceForm(
            candidates=selectors.roadmap_evidence_candidates(item)
        )
        context["status_form"] = StatusForm(initial={"status": item.status})
    return render(request, "roadmaps/item_detail.html", context)


def _item_form(request, instance=None):
    return RoadmapItemForm(
        bound_data(request),
        instance=instance,
        products=product_list_active(),
        members=member_user_list(request.organisation),
        initial={"product": request.GET.get("product")} if instance is None else None,
    )


@organisation_view(Capability.MANAGE_ROADMAPS)
@require_http_methods(["GET", "POST"])
def item_create(request):
    form = _item_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.roadmap_item_create(
                organisation=request.organisation, data=form.cleaned_data, user=request.user
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"'{item.title}' added to the roadmap.")
            return redirect(item)
    return render(
        request,
        "roadmaps/item_form.html",
        {"form": form, "title": "Add a roadmap item"},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_ROADMAPS)
@require_http_methods(["GET", "POST"])
def item_update(request, item_id):
    item = _item_or_404(request, item_id)
    form = _item_form(request, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.roadmap_item_update(item=item, data=form.cleaned_data, user=request.user)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"'{item.title}' saved.")
            return redirect(item)
    return render(
        request,
        "roadmaps/item_form.html",
        {"form": form, "item": item, "title": f"Edit {item.title}"},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.MANAGE_ROADMAPS)
@require_POST
def item_move(request, item_id):
    item = _item_or_404(request, item_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        services.roadmap_item_move(item=item, horizon=form.cleaned_data["horizon"])
        messages.success(
            request, f"'{item.title}' moved to {Horizon(form.cleaned_data['horizon']).label}."
        )
    else:
        messages.error(request, "Select Now, Next or Later.")
    if request.POST.get("next_board") == "product":
        return redirect(
            "roadmaps:product_board",
            ods_code=request.organisation.ods_code,
            product_id=item.product_id,
        )
    return redirect("roadmaps:board", ods_code=request.organisation.ods_code)


@organisation_view(Capability.MANAGE_ROADMAPS)
@require_POST
def item_status(request, item_id):
    item = _item_or_404(request, item_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        services.roadmap_item_set_status(
            item=item, status=form.cleaned_data["status"], user=request.user
        )
        messages.success(
            request,
            "Status saved."
            + (
                " Linked feedback is now done and submitters who agreed have been emailed."
                if form.cleaned_data["status"] == "released"
                else ""
            ),
        )
    else:
        messages.error(request, "Select a status from the list.")
    return redirect(item)


@organisation_view(Capability.MANAGE_ROADMAPS)
@require_POST
def evidence_add(request, item_id):
    item = _item_or_404(request, item_id)
    form = EvidenceForm(request.POST, candidates=selectors.roadmap_evidence_candidates(item))
    if form.is_valid():
        services.roadmap_evidence_link(item=item, feedback=form.cleaned_data["feedback"])
        messages.success(request, "Feedback linked as evidence.")
    else:
        messages.error(request, "Select feedback from the list.")
    return redirect(item)


@organisation_view(Capability.MANAGE_ROADMAPS)
@require_POST
def evidence_remove(request, item_id, feedback_id):
    item = _item_or_404(request, item_id)
    if not RoadmapEvidence.objects.filter(item=item, feedback_id=feedback_id).exists():
        raise Http404
    services.roadmap_evidence_unlink(item=item, feedback_id=feedback_id)
    messages.success(request, "Evidence removed.")
    return redirect(item)


@organisation_view(Capability.MANAGE_ROADMAPS)
@require_POST
def evidence_add_from_feedback(request, feedback_id):
    try:
        feedback = feedback_get(feedback_id)
    except Feedback.DoesNotExist:
        raise Http404 from None
    form = LinkToItemForm(
        request.POST, candidates=selectors.roadmap_item_list_for_feedback(feedback)
    )
    if form.is_valid():
        services.roadmap_evidence_link(item=form.cleaned_data["item"], feedback=feedback)
        messages.success(request, f"Linked to roadmap item '{form.cleaned_data['item'].title}'.")
    else:
        messages.error(request, "Select a roadmap item for this product.")
    return redirect(feedback)


@ics_view(Capability.VIEW_SHARED_ROADMAPS)
@require_safe
def ics_shared(request):
    return render(
        request,
        "roadmaps/ics_roadmaps.html",
        {"groups": selectors.roadmap_item_list_shared_by_capability()},
    )


@require_safe
def item_public(request, token):
    item = selectors.roadmap_item_get_public(token)
    if item is None:
        raise Http404
    return render(request, "roadmaps/public_item.html", {"item": item})


def feedback_roadmap_section(request, feedback) -> Section | None:
    """The feedback page's "Roadmap" section: the items citing it, and a form to cite it."""
    if not role_can(request.role, Capability.MANAGE_ROADMAPS):
        return None
    return Section(
        "roadmaps/includes/feedback_section.html",
        {
            "form": LinkToItemForm(candidates=selectors.roadmap_item_list_for_feedback(feedback)),
            "citing_items": feedback.roadmap_items.all(),
        },
    )
