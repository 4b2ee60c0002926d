"""The feedback list and detail pages: where feedback is given in the app, read, voted on
("me too"), triaged, merged and exported."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import Capability, role_can
from accounts.tenancy import organisation_view
from core.csv_safety import csv_text
from core.forms import add_validation_error, bound_data
from portfolio.selectors import product_list_active

from .. import selectors, services
from ..forms import FeedbackFilterForm, FeedbackForm, MergeForm, TriageForm
from ..models import Feedback, Status
from ..sections import detail_sections


def _feedback_or_404(feedback_id) -> Feedback:
    try:
        return selectors.feedback_get(feedback_id)
    except Feedback.DoesNotExist:
        raise Http404 from None


@organisation_view(Capability.SUBMIT_FEEDBACK)
@require_http_methods(["GET", "POST"])
def feedback_create(request):
    form = FeedbackForm(
        bound_data(request),
        products=product_list_active(),
        initial={"product": request.GET.get("product")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            feedback = services.feedback_submit(
                organisation=request.organisation, data=form.cleaned_data, user=request.user
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Thank you: your feedback has been sent to the product team.")
            return redirect(feedback)
    return render(
        request, "feedback/feedback_new.html", {"form": form}, status=400 if form.errors else 200
    )


def _list_page(request, filter_form, filters):
    """The feedback list; a filter that does not make sense shows its error and no rows (400)."""
    items = [] if filters is None else selectors.feedback_list(filters, user=request.user)[:200]
    return render(
        request,
        "feedback/feedback_list.html",
        {
            "items": items,
            "filter_form": filter_form,
            "can_triage": role_can(request.role, Capability.TRIAGE_FEEDBACK),
            "export_query": request.GET.urlencode(),
        },
        status=400 if filters is None else 200,
    )


@organisation_view(Capability.SUBMIT_FEEDBACK)
@require_safe
def feedback_list(request):
    filter_form = FeedbackFilterForm(request.GET or None, products=product_list_active())
    return _list_page(request, filter_form, filter_form.filters())


def _detail_context(request, feedback, **forms) -> dict:
    """Everything the detail page shows for this role; ``forms`` replaces a form holding errors."""
    can_triage = role_can(request.role, Capability.TRIAGE_FEEDBACK)
    context = {
        "feedback": feedback,
        "voted": selectors.feedback_has_vote(feedback, request.user),
        "can_triage": can_triage,
        "can_see_contact": can_triage,
        "sections": detail_sections(request, feedback),
    }
    if can_triage:
        context["triage_form"] = TriageForm(
            initial={"status": feedback.status, "response": feedback.response}
        )
        context["similar"] = selectors.feedback_list_similar(feedback)
        context["merge_form"] = MergeForm(
            candidates=selectors.feedback_list_merge_candidates(feedback)
        )
        context["history"] = feedback.status_changes.select_related("changed_by")[:20]
    return {**context, **forms}


def _detail_with_errors(request, feedback, **forms):
    return render(
        request,
        "feedback/feedback_detail.html",
        _detail_context(request, feedback, **forms),
        status=400,
    )


@organisation_view(Capability.SUBMIT_FEEDBACK)
@require_safe
def feedback_detail(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    return render(request, "feedback/feedback_detail.html", _detail_context(request, feedback))


@organisation_view(Capability.SUBMIT_FEEDBACK)
@require_POST
def feedback_vote(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    if feedback.status == Status.DUPLICATE and feedback.duplicate_of_id:
        feedback = _feedback_or_404(feedback.duplicate_of_id)
    voted = services.feedback_vote_toggle(feedback=feedback, user=request.user)
    messages.success(request, "You said 'me too'." if voted else "Your 'me too' has been removed.")
    return redirect(feedback)


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_POST
def feedback_triage(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    form = TriageForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_triage(
                feedback=feedback,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"].strip(),
                user=request.user,
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Feedback updated.")
            return redirect(feedback)
    return _detail_with_errors(request, feedback, triage_form=form)


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_POST
def feedback_merge(request, feedback_id):
    feedback = _feedback_or_404(feedback_id)
    form = MergeForm(request.POST, candidates=selectors.feedback_list_merge_candidates(feedback))
    if form.is_valid():
        target = form.cleaned_data["target"]
        try:
            services.feedback_merge(duplicate=feedback, target=target, user=request.user)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"Merged into feedback #{target.pk}; votes kept.")
            return redirect(target)
    return _detail_with_errors(request, feedback, merge_form=form)


@organisation_view(Capability.TRIAGE_FEEDBACK)
@require_safe
def feedback_export(request):
    filter_form = FeedbackFilterForm(request.GET or None, products=product_list_active())
    filters = filter_form.filters()
    if filters is None:  # never export everything for a filter that does not make sense
        return _list_page(request, filter_form, filters)
    header, rows = selectors.feedback_export_rows(filters)
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="feedback-{request.organisation.ods_code}-{stamp}.csv"'
    )
    return response
