"""The roadmap API: items (create, read, update, delete), the feedback they cite, release.

Checked by the pages' RoadmapItemForm and written by the pages' services, so RICE scoring, the
rules and "released" closing the loop on cited feedback (with its e-mails) are the same. Roles
that may not manage roadmaps see only the items shared with the ICS or published.
"""

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api import TrustAPIView
from accounts.permissions import Capability as Can
from accounts.permissions import role_can
from accounts.selectors import member_user_list
from core.api import MAX_INT, FastRepresentation, Filters, detail_url, form_data, valid
from feedback.models import Feedback
from portfolio.api import PersonSerializer
from portfolio.selectors import product_list_active

from . import selectors, services
from .forms import EvidenceForm, RoadmapItemForm
from .models import Horizon, ItemStatus, RoadmapItem, Visibility


class ItemProductSerializer(FastRepresentation, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RoadmapItemSerializer(FastRepresentation, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    product = ItemProductSerializer()
    owner = PersonSerializer(allow_null=True)
    reach = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    confidence = serializers.IntegerField(min_value=0, max_value=100)
    evidence_count = serializers.IntegerField(source="feedback_count", min_value=0)

    class Meta:
        model = RoadmapItem
        fields = [
            "id",
            "url",
            "product",
            "title",
            "description",
            "status",
            "horizon",
            "target_quarter",
            "owner",
            "expected_outcome",
            "reach",
            "impact",
            "confidence",
            "effort",
            "rice_score",
            "visibility",
            "evidence_count",
            "created_at",
            "updated_at",
        ]

    def get_url(self, item) -> str:
        return detail_url("api:roadmap_item_detail", item.pk)


class RoadmapItemInputSerializer(serializers.Serializer):
    """What a create or update may send (documentation; RoadmapItemForm checks it)."""

    product = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(ItemStatus.choices)
    horizon = serializers.ChoiceField(Horizon.choices)
    target_quarter = serializers.CharField(required=False, allow_blank=True, help_text="2026-Q3")
    owner = serializers.IntegerField(required=False, allow_null=True, help_text="a member's id")
    expected_outcome = serializers.CharField(required=False, allow_blank=True)
    reach = serializers.IntegerField(min_value=0)
    impact = serializers.ChoiceField(["0.25", "0.5", "1", "2", "3"])
    confidence = serializers.IntegerField(min_value=0, max_value=100)
    effort = serializers.DecimalField(max_digits=6, decimal_places=2)
    visibility = serializers.ChoiceField(Visibility.choices)


class EvidenceSerializer(FastRepresentation, serializers.Serializer):
    feedback = serializers.IntegerField(source="pk")
    url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_url(self, feedback) -> str:
        return detail_url("api:feedback_detail", feedback.pk)


class RoadmapItemFilter(django_filters.FilterSet):
    product = django_filters.NumberFilter(field_name="product_id")
    status = django_filters.ChoiceFilter(choices=ItemStatus.choices)
    horizon = django_filters.ChoiceFilter(choices=Horizon.choices)
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices)

    class Meta:
        model = RoadmapItem
        fields = ["product", "status", "horizon", "visibility"]


class _RoadmapAPIView(TrustAPIView):
    def items(self):
        shared_only = not role_can(self.request.role, Can.MANAGE_ROADMAPS)
        return selectors.roadmap_item_list(shared_only=shared_only)

    def get_object(self) -> RoadmapItem:
        return self.items().get(pk=self.kwargs["item_id"])  # DoesNotExist: 404

    def form(self, instance=None) -> RoadmapItemForm:
        fields = [*RoadmapItemForm.Meta.fields, "product", "owner"]
        data = form_data(self.request, instance, fields)
        if instance is not None and "impact" not in self.request.data:
            data["impact"] = str(instance.impact.normalize())
        return RoadmapItemForm(
            data,
            instance=instance,
            products=product_list_active(),
            members=member_user_list(self.request.organisation),
        )

    def represent(self, item_id) -> dict:
        return RoadmapItemSerializer(self.items().get(pk=item_id)).data


class RoadmapItemListView(_RoadmapAPIView):
    """The trust's roadmap items, newest first; add one."""

    capabilities = {"GET": Can.VIEW_SHARED_ROADMAPS, "POST": Can.MANAGE_ROADMAPS}
    filter_backends = [Filters]
    filterset_class = RoadmapItemFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RoadmapItem.objects.none()
        return self.items()

    @extend_schema(operation_id="roadmap_items_list", responses=RoadmapItemSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(RoadmapItemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="roadmap_items_create",
        request=RoadmapItemInputSerializer,
        responses={201: RoadmapItemSerializer},
    )
    def post(self, request):
        item = services.roadmap_item_create(
            organisation=request.organisation, data=valid(self.form()), user=request.user
        )
        return Response(self.represent(item.pk), status=status.HTTP_201_CREATED)


class RoadmapItemDetailView(_RoadmapAPIView):
    """One item; change it (send only the fields to change); delete it (its evidence links go,
    the feedback stays)."""

    capabilities = {
        "GET": Can.VIEW_SHARED_ROADMAPS,
        "PATCH": Can.MANAGE_ROADMAPS,
        "DELETE": Can.MANAGE_ROADMAPS,
    }

    @extend_schema(operation_id="roadmap_items_read", responses=RoadmapItemSerializer)
    def get(self, request, item_id):
        return Response(RoadmapItemSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="roadmap_items_update",
        request=RoadmapItemInputSerializer(partial=True),
        responses=RoadmapItemSerializer,
    )
    def patch(self, request, item_id):
        item = self.get_object()
        services.roadmap_item_update(item=item, data=valid(self.form(item)), user=request.user)
        return Response(self.represent(item.pk))

    @extend_schema(operation_id="roadmap_items_delete", responses={204: None})
    def delete(self, request, item_id):
        services.roadmap_item_delete(item=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoadmapItemReleaseView(_RoadmapAPIView):
    """Mark the item released: the feedback it cites becomes done, and the people who gave it
    and agreed to be contacted are told."""

    capabilities = {"POST": Can.MANAGE_ROADMAPS}

    @extend_schema(
        operation_id="roadmap_items_release", request=None, responses=RoadmapItemSerializer
    )
    def post(self, request, item_id):
        item = services.roadmap_item_set_status(
            item=self.get_object(), status=ItemStatus.RELEASED, user=request.user
        )
        return Response(self.represent(item.pk))


class RoadmapEvidenceListView(_RoadmapAPIView):
    """The feedback an item cites; cite another (of the same product)."""

    capabilities = {"GET": Can.MANAGE_ROADMAPS, "POST": Can.MANAGE_ROADMAPS}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Feedback.objects.none()
        return selectors.roadmap_evidence_list(self.get_object())

    @extend_schema(operation_id="roadmap_evidence_list", responses=EvidenceSerializer(many=True))
    def get(self, request, item_id):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(EvidenceSerializer(page, many=True).data)

    @extend_schema(
        operation_id="roadmap_evidence_create",
        request=inline_serializer("EvidenceLink", {"feedback": serializers.IntegerField()}),
        responses={201: EvidenceSerializer},
    )
    def post(self, request, item_id):
        item = self.get_object()
        form = EvidenceForm(
            form_data(request), candidates=selectors.roadmap_evidence_candidates(item)
        )
        feedback = valid(form)["feedback"]
        services.roadmap_evidence_link(item=item, feedback=feedback)
        return Response(EvidenceSerializer(feedback).data, status=status.HTTP_201_CREATED)


class RoadmapEvidenceDetailView(_RoadmapAPIView):
    capabilities = {"DELETE": Can.MANAGE_ROADMAPS}

    @extend_schema(operation_id="roadmap_evidence_delete", responses={204: None})
    def delete(self, request, item_id, feedback_id):
        item = self.get_object()
        selectors.roadmap_evidence_list(item).get(pk=feedback_id)  # not cited: 404
        services.roadmap_evidence_unlink(item=item, feedback_id=feedback_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
