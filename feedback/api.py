"""The feedback API: list with filters, read, triage (status and response), merge duplicates.

A patient-safety concern is listed and readable only by a token whose role may handle safety
concerns (the safety queue's capability); for any other token it does not exist (404). Triage and
merge are checked by the pages' forms and written by the pages' services, so the rules, the
messages, the history and the e-mails to submitters are the same.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api import TrustAPIView
from accounts.permissions import Capability as Can
from accounts.permissions import role_can
from core.api import FastRepresentation, Filters, detail_url, form_data, valid

from . import selectors, services
from .forms import MergeForm, TriageForm
from .models import Category, Feedback, StaffGroup, Status


class FeedbackProductSerializer(FastRepresentation, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SafetySerializer(FastRepresentation, serializers.Serializer):
    acknowledged_at = serializers.DateTimeField(source="safety_acknowledged_at", allow_null=True)
    outcome = serializers.CharField(source="safety_outcome")
    reference = serializers.CharField(source="safety_reference")
    closed_at = serializers.DateTimeField(source="safety_closed_at", allow_null=True)


class FeedbackSerializer(FastRepresentation, serializers.ModelSerializer):
    """One item of feedback. ``contact_email`` only for roles that triage (as on the pages);
    ``safety`` only on a patient-safety concern, for roles that handle them."""

    url = serializers.SerializerMethodField()
    product = FeedbackProductSerializer()
    votes = serializers.IntegerField(source="vote_count", min_value=0)
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", allow_null=True)
    contact_email = serializers.SerializerMethodField()
    safety = serializers.SerializerMethodField()
    rating = serializers.IntegerField(min_value=1, max_value=5)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "url",
            "product",
            "staff_group",
            "rating",
            "category",
            "text",
            "site",
            "patient_safety",
            "status",
            "response",
            "duplicate_of",
            "votes",
            "contact_email",
            "safety",
            "created_at",
            "updated_at",
        ]

    def get_url(self, feedback) -> str:
        return detail_url("api:feedback_detail", feedback.pk)

    def get_contact_email(self, feedback) -> str | None:
        if (
            not role_can(self.context["role"], Can.TRIAGE_FEEDBACK)
            or not feedback.contact_confirmed
        ):
            return None
        return feedback.contact_email

    @extend_schema_field(SafetySerializer(allow_null=True))
    def get_safety(self, feedback) -> dict | None:
        if not feedback.patient_safety:
            return None
        return SafetySerializer(feedback).data


class FeedbackFilter(django_filters.FilterSet):
    """Query parameters of the feedback list; a value that is not one of the choices is a 400."""

    product = django_filters.NumberFilter(field_name="product_id")
    category = django_filters.ChoiceFilter(choices=Category.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    staff_group = django_filters.ChoiceFilter(choices=StaffGroup.choices)
    patient_safety = django_filters.BooleanFilter()
    created_from = django_filters.DateFilter(field_name="created_at__date", lookup_expr="gte")
    created_to = django_filters.DateFilter(field_name="created_at__date", lookup_expr="lte")
    q = django_filters.CharFilter(field_name="text", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Feedback
        fields = [
            "product",
            "category",
            "status",
            "staff_group",
            "patient_safety",
            "created_from",
            "created_to",
            "q",
        ]


class _FeedbackAPIView(TrustAPIView):
    def visible(self, queryset=None):
        """The feedback this token may see (of ``queryset``, by default all the trust's):
        safety concerns only for roles that handle them."""
        if queryset is None:
            queryset = selectors.feedback_list()
        if not role_can(self.request.role, Can.MANAGE_SAFETY):
            queryset = queryset.filter(patient_safety=False)
        return queryset

    def get_object(self) -> Feedback:
        return self.visible().get(pk=self.kwargs["feedback_id"])  # DoesNotExist: 404

    def represent(self, feedback) -> dict:
        return FeedbackSerializer(feedback, context={"role": self.request.role}).data


class FeedbackListView(_FeedbackAPIView):
    """The trust's feedback, newest first."""

    capabilities = {"GET": Can.SUBMIT_FEEDBACK}
    filter_backends = [Filters]
    filterset_class = FeedbackFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Feedback.objects.none()
        return self.visible()

    @extend_schema(operation_id="feedback_list", responses=FeedbackSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(
            FeedbackSerializer(page, many=True, context={"role": request.role}).data
        )


class FeedbackDetailView(_FeedbackAPIView):
    capabilities = {"GET": Can.SUBMIT_FEEDBACK}

    @extend_schema(operation_id="feedback_read", responses=FeedbackSerializer)
    def get(self, request, feedback_id):
        return Response(self.represent(self.get_object()))


class FeedbackTriageView(_FeedbackAPIView):
    """Set the status and the response to the people who gave it (e-mailed to those who agreed
    to be contacted when the status becomes planned, done or declined)."""

    capabilities = {"POST": Can.TRIAGE_FEEDBACK}

    @extend_schema(
        operation_id="feedback_triage",
        request=inline_serializer(
            "Triage",
            {
                "status": serializers.ChoiceField(
                    [c for c in Status.choices if c[0] != Status.DUPLICATE]
                ),
                "response": serializers.CharField(required=False, allow_blank=True),
            },
        ),
        responses=FeedbackSerializer,
    )
    def post(self, request, feedback_id):
        feedback = self.get_object()
        data = valid(TriageForm(form_data(request)))
        services.feedback_triage(
            feedback=feedback,
            status=data["status"],
            response=data["response"].strip(),
            user=request.user,
        )
        return Response(self.represent(self.get_object()))


class FeedbackMergeView(_FeedbackAPIView):
    """Mark this feedback as a duplicate of ``target`` (same product): its votes move across."""

    capabilities = {"POST": Can.TRIAGE_FEEDBACK}

    @extend_schema(
        operation_id="feedback_merge",
        request=inline_serializer("Merge", {"target": serializers.IntegerField()}),
        responses=FeedbackSerializer,
    )
    def post(self, request, feedback_id):
        feedback = self.get_object()
        candidates = self.visible(selectors.feedback_list_merge_candidates(feedback))
        data = valid(MergeForm(form_data(request), candidates=candidates))
        services.feedback_merge(duplicate=feedback, target=data["target"], user=request.user)
        return Response(self.represent(self.get_object()))
