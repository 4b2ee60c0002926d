"""The clinical safety officer's queue: acknowledge, then close with an outcome and a reference."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.permissions import Capability
from accounts.tenancy import organisation_view
from core.forms import add_validation_error

from .. import selectors, services
from ..forms import SafetyCloseForm
from ..models import Feedback


@organisation_view(Capability.MANAGE_SAFETY)
@require_safe
def safety_concern_list(request):
    show_closed = request.GET.get("closed") == "1"
    return render(
        request,
        "feedback/safety_queue.html",
        {
            "items": selectors.safety_concern_list(include_closed=show_closed),
            "show_closed": show_closed,
        },
    )


@organisation_view(Capability.MANAGE_SAFETY)
@require_http_methods(["GET", "POST"])
def safety_concern_detail(request, feedback_id):
    try:
        feedback = selectors.feedback_get(feedback_id)
    except Feedback.DoesNotExist:
        raise Http404 from None
    if not feedback.patient_safety:
        raise Http404
    form = SafetyCloseForm(
        request.POST if request.method == "POST" and request.POST.get("action") == "close" else None
    )
    if request.method == "POST":
        if request.POST.get("action") == "acknowledge":
            services.safety_concern_acknowledge(feedback=feedback, user=request.user)
            messages.success(request, "Safety concern acknowledged.")
            return redirect(
                "feedback:safety_concern_detail",
                ods_code=request.organisation.ods_code,
                feedback_id=feedback.pk,
            )
        if form.is_valid():
            try:
                services.safety_concern_close(
                    feedback=feedback,
                    outcome=form.cleaned_data["outcome"],
                    reference=form.cleaned_data["reference"],
                    user=request.user,
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                messages.success(request, "Safety concern closed.")
                return redirect(
                    "feedback:safety_concern_list", ods_code=request.organisation.ods_code
                )
    return render(
        request,
        "feedback/safety_concern.html",
        {"feedback": feedback, "form": form},
        status=400 if form.errors else 200,
    )
