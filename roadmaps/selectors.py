from collections import OrderedDict

from django.db.models import Count, Q, QuerySet

from accounts.scoping import scopes_disabled
from feedback.models import Feedback
from feedback.models import Status as FeedbackStatus
from feedback.selectors import vote_count
from portfolio.models import Capability

from .models import Horizon, RoadmapItem, Visibility


def _with_evidence(queryset: QuerySet[RoadmapItem]) -> QuerySet[RoadmapItem]:
    return queryset.annotate(
        feedback_count=Count("evidence_links", distinct=True),
        vote_count=Count("evidence_links__feedback__votes", distinct=True),
        staff_group_count=Count("evidence_links__feedback__staff_group", distinct=True),
        safety_count=Count(
            "evidence_links__feedback",
            filter=Q(evidence_links__feedback__patient_safety=True),
            distinct=True,
        ),
    )


def roadmap_item_list(*, product=None, shared_only=False) -> QuerySet[RoadmapItem]:
    queryset = RoadmapItem.objects.select_related("product", "owner")
    if product is not None:
        queryset = queryset.filter(product=product)
    if shared_only:
        queryset = queryset.filter(visibility__in=[Visibility.ICS, Visibility.PUBLIC])
    return _with_evidence(queryset)


def roadmap_board(queryset) -> "OrderedDict[str, list[RoadmapItem]]":
    columns = OrderedDict((value, []) for value in Horizon.values)
    for item in queryset.order_by("-rice_score", "title"):
        columns[item.horizon].append(item)
    return columns


def roadmap_timeline(queryset) -> list[tuple[str, list[RoadmapItem]]]:
    by_quarter: dict[str, list[RoadmapItem]] = {}
    for item in queryset.order_by("target_quarter", "-rice_score"):
        by_quarter.setdefault(item.target_quarter or "No target quarter", []).append(item)
    dated = sorted((q, v) for q, v in by_quarter.items() if q != "No target quarter")
    undated = [(q, v) for q, v in by_quarter.items() if q == "No target quarter"]
    return dated + undated


def roadmap_item_get(item_id: int, shared_only=False) -> RoadmapItem:
    return roadmap_item_list(shared_only=shared_only).select_related("organisation").get(pk=item_id)


def roadmap_evidence_list(item: RoadmapItem) -> QuerySet[Feedback]:
    """The feedback the item cites."""
    return (
        Feedback.objects.filter(evidence_links__item=item)
        .select_related("product")
        .annotate(vote_count=vote_count())
        .order_by("-created_at")
    )


def roadmap_evidence_candidates(item: RoadmapItem) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(product_id=item.product_id)
        .exclude(status=FeedbackStatus.DUPLICATE)
        .exclude(evidence_links__item=item)
        .order_by("-created_at")
    )


def roadmap_item_list_for_feedback(feedback: Feedback) -> QuerySet[RoadmapItem]:
    return RoadmapItem.objects.filter(product_id=feedback.product_id).order_by("title")


def roadmap_item_list_shared_by_capability() -> list[tuple[str, list[RoadmapItem]]]:
    """Items the trusts in scope shared with their ICS, grouped by capability (who builds what)."""
    queryset = _with_evidence(
        RoadmapItem.objects.filter(
            visibility__in=[Visibility.ICS, Visibility.PUBLIC]
        ).select_related("product", "organisation")
    ).order_by("product__capability", "-rice_score")
    labels = dict(Capability.choices)
    grouped: dict[str, list[RoadmapItem]] = {}
    for item in queryset:
        grouped.setdefault(labels.get(item.product.capability, item.product.capability), []).append(
            item
        )
    return list(grouped.items())


def roadmap_item_get_public(token: str) -> RoadmapItem | None:
    """The public-link page: looked up by its secret token, only while visibility is public."""
    with scopes_disabled():  # one row, named by its secret token (accounts.rls: the database too)
        return (
            RoadmapItem.unscoped.select_related("product", "organisation")
            .filter(public_token=token, visibility=Visibility.PUBLIC)
            .first()
        )
