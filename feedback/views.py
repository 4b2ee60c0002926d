import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Capability, role_can
from accounts.scoping import scope
from accounts.tenancy import organisation_view
from config.csv_safety import csv_text
from config.forms import add_validation_error, bound_data
from portfolio.models import Product
from portfolio.selectors import active_products

from . import selectors, services
from .forms import (
    FeedbackFilterForm,
    FeedbackForm,
    FeedbackLinkForm,
    MergeForm,
    SafetyCloseForm,
    TriageForm,
)
from .guards import allow_anonymous_post
from .models import Feedback, FeedbackLink, Status

SESSION_THANKS_KEY = "feedback_thanks"


def _feedback_or_404(feedback_id) -> Feedback:
    try:
        return selectors.feedback_detail(feedback_id)
    except Feedback.DoesNotExist:
        raise Http404 from None


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


# --- Public form (QR code): the one tenant page open without sign-in -------------------------


@require_http_methods(["GET", "POST"])
def public_feedback(request, token):
    link = selectors.public_link(token)
    if link is None:
        raise Http404
    if not link.is_enabled:
        return render(request, "feedback/link_disabled.html", {"link": link}, status=410)
    with scope(organisation=link.organisation):
        products = (
            Product.objects.filter(pk=link.product_id) if link.product_id else active_products()
        )
        form = FeedbackForm(bound_data(request), products=products)
        if request.method == "POST":
            if form.is_spam:
                return redirect("public_feedback_thanks", token=token)  # say nothing to bots
            if not allow_anonymous_post(f"{_client_ip(request)}:{link.pk}"):
                form.add_error(
                    None,
                    "You have sent a lot of feedback in a short time. Wait 10 minutes and try again",
                )
            elif form.is_valid():
                feedback = services.submit_feedback(
                    organisation=link.organisation,
                    data=form.cleaned_data,
                    link=link,
                    user=request.user if request.user.is_authenticated else None,
                )
                request.session[SESSION_THANKS_KEY] = feedback.patient_safety
                return redirect("public_feedback_thanks", token=token)
        return render(
            request,
            "feedback/public_form.html",
            {"form": form, "link": link, "organisation": link.organisation},
            status=400 if form.errors else 200,
        )


def public_feedback_thanks(request, token):
    link = selectors.public_link(token)
    if link is None:
        raise Http404
    safety = request.session.pop(SESSION_THANKS_KEY, False)
    return render(
        request,
        "feedback/public_thanks.html",
        {"link": link, "organisation": link.organisation, "safety": safety},
    )


# --- Inside the app --------------------------------------------------------------------------


@organisation_view(Capability.SUBMIT_FEEDBACK)
@require_http_methods(["GET", "POST"])
def feedback_new(request):
    form = FeedbackForm(
        bound_data(request),
        products=active_products(),
        initial={"product": request.GET.get("product")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            feedback = services.submit_feedback(
                organisation=request.organisation, data=form.cleaned_data, user=request.user
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Thank you: your feedback has been sent to the product team.")
            return redirect(
                "feedback_detail", ods_code=request.organisation.ods_code, feedback_id=feedback.pk
            )
    return render(
        request, "feedback/feedback_new.html", {"form": form}, status=400 if form.errors else 200
    )


@organisation_view(Capability.SUBMIT_FEEDBACK)
def feedback_list(request):
    products = active_products()
    filter_form = FeedbackFilterForm(request.GET or None, products=products)
    filters = filter_form.filters()
    items = selectors.feedback_list(filters, user=request.user)[:200]
    return render(
        request,
        "feedback/feedback_list.html",
        {
            "items": items,
            "filter_form": filter_form,
            "can_triage": role_can(request.role, Capability.TRIAGE_FEEDBACK),
            "export_query": request.GET.urlencode(),
        },
    )


def _detail_context(request, feedback, **forms) -> dict:
    """Everything the detail page shows for this role; ``forms`` replaces a form holding errors."""
    can_triage = role_can(request.role, Capability.TRIAGE_FEEDBACK)
    context = {
        "feedback": feedback,
        "voted": selectors.has_voted(feedback, request.user),
        "can_triage": can_triage,
        "can_see_contact": can_triage,
    }
    if can_triage:
        context["triage_form"] = TriageForm(
            initial={"status": feedback.status, "response": feedback.response}
        )
        context["similar"] = selectors.similar_feedback(feedback)
        context["merge_form"] = MergeForm(candidates=selectors.merge_candidates(feedback))
        context["history"] = feedback.status_changes.select_related("changed_by")[:20]
    if role_can(request.role, Capability.MANAGE_ROADMAPS):
        from roadmaps.forms import LinkToItemForm
        from roadmaps.selectors import items_for_feedback

        context["roadmap_form"] = LinkToItemForm(candidates=items_for_feedback(feedback))
        context["roadmap_items"] = feedback.roadmap_items.all()
    return {**context, **forms}


@organisation_view(Capability.SUBMIT_FEEDBACK)
def feedback_detail(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    return render(request, "feedback/feedback_detail.html", _detail_context(request, feedback))


@organisation_view(Capability.SUBMIT_FEEDBACK)
@require_POST
def feedback_vote(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    if feedback.status == Status.DUPLICATE and feedback.duplicate_of_id:
        feedback = _feedback_or_404(feedback.duplicate_of_id)
    voted = services.toggle_vote(feedback=feedback, user=request.user)
    messages.success(request, "You said 'me too'." if voted else "Your 'me too' has been removed.")
    return redirect(
        "feedback_detail", ods_code=request.organisation.ods_code, feedback_id=feedback.pk
    )


def _detail_with_errors(request, feedback, **forms):
    return render(
        request,
        "feedback/feedback_detail.html",
        _detail_context(request, feedback, **forms),
        status=400,
    )


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_POST
def feedback_triage(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    form = TriageForm(request.POST)
    if form.is_valid():
        try:
            services.triage(
                feedback=feedback,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"].strip(),
                user=request.user,
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Feedback updated.")
            return redirect(
                "feedback_detail", ods_code=request.organisation.ods_code, feedback_id=feedback.pk
            )
    return _detail_with_errors(request, feedback, triage_form=form)


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_POST
def feedback_merge(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    form = MergeForm(request.POST, candidates=selectors.merge_candidates(feedback))
    if form.is_valid():
        try:
            services.merge(
                duplicate=feedback, target=form.cleaned_data["target"], user=request.user
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request, f"Merged into feedback #{form.cleaned_data['target'].pk}; votes kept."
            )
            return redirect(
                "feedback_detail",
                ods_code=request.organisation.ods_code,
                feedback_id=form.cleaned_data["target"].pk,
            )
    return _detail_with_errors(request, feedback, merge_form=form)


@organisation_view(Capability.TRIAGE_FEEDBACK)
def feedback_export(request):
    filter_form = FeedbackFilterForm(request.GET or None, products=active_products())
    header, rows = selectors.export_rows(filter_form.filters())
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="feedback-{request.organisation.ods_code}-{stamp}.csv"'
    )
    return response


# --- Safety queue ------------------------------------------------------------------------------


@organisation_view(Capability.MANAGE_SAFETY)
def safety_queue(request):
    show_closed = request.GET.get("closed") == "1"
    return render(
        request,
        "feedback/safety_queue.html",
        {"items": selectors.safety_queue(include_closed=show_closed), "show_closed": show_closed},
    )


@organisation_view(Capability.MANAGE_SAFETY)
@require_http_methods(["GET", "POST"])
def safety_concern(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    if not feedback.patient_safety:
        raise Http404
    form = SafetyCloseForm(
        request.POST if request.method == "POST" and request.POST.get("action") == "close" else None
    )
    if request.method == "POST":
        if request.POST.get("action") == "acknowledge":
            services.acknowledge_safety_concern(feedback=feedback, user=request.user)
            messages.success(request, "Safety concern acknowledged.")
            return redirect(
                "safety_concern", ods_code=request.organisation.ods_code, feedback_id=feedback.pk
            )
        if form.is_valid():
            try:
                services.close_safety_concern(
                    feedback=feedback,
                    outcome=form.cleaned_data["outcome"],
                    reference=form.cleaned_data["reference"],
                    user=request.user,
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                messages.success(request, "Safety concern closed.")
                return redirect("safety_queue", ods_code=request.organisation.ods_code)
    return render(
        request,
        "feedback/safety_concern.html",
        {"feedback": feedback, "form": form},
        status=400 if form.errors else 200,
    )


# --- Feedback links and QR codes -------------------------------------------------------------


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_http_methods(["GET", "POST"])
def link_list(request):
    form = FeedbackLinkForm(bound_data(request), products=active_products())
    if request.method == "POST" and form.is_valid():
        link = services.create_link(
            organisation=request.organisation, data=form.cleaned_data, user=request.user
        )
        messages.success(request, f"Link '{link.name}' created.")
        return redirect("link_detail", ods_code=request.organisation.ods_code, link_id=link.pk)
    return render(
        request,
        "feedback/link_list.html",
        {"form": form, "links": selectors.links()},
        status=400 if form.errors else 200,
    )


@organisation_view(Capability.TRIAGE_FEEDBACK)
def link_detail(request, link_id):
    try:
        link = selectors.link_detail(link_id)
    except FeedbackLink.DoesNotExist:
        raise Http404 from None
    public_url = request.build_absolute_uri(reverse("public_feedback", args=[link.token]))
    qr_svg = segno.make(public_url, error="m").svg_inline(
        scale=6, dark="#000000", light="#ffffff", title=f"QR code for {link.name}"
    )
    return render(
        request,
        "feedback/link_detail.html",
        {"link": link, "public_url": public_url, "qr_svg": qr_svg},
    )


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_POST
def link_toggle(request, link_id):
    try:
        link = selectors.link_detail(link_id)
    except FeedbackLink.DoesNotExist:
        raise Http404 from None
    enable = request.POST.get("action") == "enable"
    services.set_link_enabled(link=link, enabled=enable)
    messages.success(request, f"Link '{link.name}' {'enabled' if enable else 'disabled'}.")
    return redirect("link_detail", ods_code=request.organisation.ods_code, link_id=link.pk)
