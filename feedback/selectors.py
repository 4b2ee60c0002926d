"""Read queries for feedback; all run inside the caller's tenant scope."""

import re

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Organisation
from accounts.scoping import scopes_disabled

from .models import Feedback, FeedbackLink, FeedbackVote, Status


def vote_count() -> Coalesce:
    """The "me too" votes of each feedback row, counted for the rows a query returns: a
    correlated count, so a page of 50 counts 50 rows' votes rather than grouping the whole
    table before its LIMIT (a join and GROUP BY does the latter)."""
    votes = (
        FeedbackVote.objects.filter(feedback=OuterRef("pk"))
        .order_by()
        .values("feedback")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(votes, output_field=IntegerField()), 0)


def feedback_list(filters: dict | None = None, user=None) -> QuerySet[Feedback]:
    filters = filters or {}
    queryset = Feedback.objects.select_related("product").annotate(vote_count=vote_count())
    if user is not None:
        queryset = queryset.annotate(
            voted=Exists(FeedbackVote.objects.filter(feedback=OuterRef("pk"), user=user))
        )
    for name in ("product", "category", "status", "staff_group"):
        if filters.get(name):
            queryset = queryset.filter(**{name: filters[name]})
    if filters.get("date_from"):
        queryset = queryset.filter(created_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(created_at__date__lte=filters["date_to"])
    return queryset.order_by("-created_at", "-pk")


def feedback_get(feedback_id: int) -> Feedback:
    return (
        Feedback.objects.select_related(
            "organisation", "product", "duplicate_of", "safety_closed_by", "link"
        )
        .annotate(vote_count=vote_count())
        .get(pk=feedback_id)
    )


def feedback_has_vote(feedback: Feedback, user) -> bool:
    return FeedbackVote.objects.filter(feedback=feedback, user=user).exists()


_WORD = re.compile(r"[a-z0-9]{4,}")


def feedback_list_similar(feedback: Feedback, limit: int = 5) -> list[Feedback]:
    """Likely duplicates on the same product: trigram similarity on PostgreSQL, word overlap elsewhere."""
    candidates = (
        Feedback.objects.filter(product_id=feedback.product_id)
        .exclude(pk=feedback.pk)
        .exclude(status=Status.DUPLICATE)
    )
    if connection.vendor == "postgresql":
        return list(
            candidates.annotate(similarity=TrigramSimilarity("text", feedback.text))
            .filter(similarity__gte=0.2)
            .order_by("-similarity", "-pk")[:limit]
        )
    words = set(_WORD.findall(feedback.text.lower()))
    if not words:
        return []
    scored = []
    for other in candidates.order_by("-pk")[:500]:
        other_words = set(_WORD.findall(other.text.lower()))
        if other_words:
            score = len(words & other_words) / len(words | other_words)
            if score >= 0.2:
                other.similarity = score
                scored.append(other)
    scored.sort(key=lambda f: (-f.similarity, -f.pk))
    return scored[:limit]


def feedback_list_merge_candidates(feedback: Feedback) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(product_id=feedback.product_id)
        .exclude(pk=feedback.pk)
        .exclude(status=Status.DUPLICATE)
        .order_by("-created_at")
    )


def safety_concern_list(include_closed: bool = False) -> QuerySet[Feedback]:
    queryset = Feedback.objects.filter(patient_safety=True).select_related(
        "product", "product__clinical_safety_officer"
    )
    if not include_closed:
        queryset = queryset.filter(safety_closed_at__isnull=True)
    return queryset.order_by("safety_closed_at", "created_at")


def feedback_link_list() -> QuerySet[FeedbackLink]:
    return FeedbackLink.objects.select_related("product").annotate(feedback_count=Count("feedback"))


def feedback_link_get(link_id: int) -> FeedbackLink:
    return FeedbackLink.objects.select_related("organisation", "product").get(pk=link_id)


def feedback_link_get_by_token(token: str) -> FeedbackLink | None:
    """The only unscoped feedback lookup: the secret token in the QR code names the trust."""
    with scopes_disabled():  # one row, named by its secret token (accounts.rls: the database too)
        return (
            FeedbackLink.unscoped.select_related("organisation", "product")
            .filter(token=token)
            .first()
        )


def organisation_get_for_contact_confirmation(organisation_id: int) -> Organisation | None:
    """The trust a signed confirmation link names (the signature is checked before this)."""
    return Organisation.objects.filter(pk=organisation_id).first()


def feedback_get_for_contact_confirmation(feedback_id: int) -> Feedback | None:
    """In the trust's scope: the feedback a confirmation link was sent about."""
    return (
        Feedback.objects.select_related("organisation", "product")
        .exclude(contact_email="")
        .filter(pk=feedback_id)
        .first()
    )


def feedback_export_rows(filters: dict):
    header = [
        "id",
        "created",
        "product",
        "staff group",
        "rating",
        "category",
        "status",
        "patient safety",
        "ward or site",
        "votes",
        "feedback",
        "response",
    ]
    rows = (
        [
            f.pk,
            f.created_at.strftime("%Y-%m-%d %H:%M"),
            f.product.name,
            f.get_staff_group_display(),
            f.rating,
            f.get_category_display(),
            f.get_status_display(),
            "yes" if f.patient_safety else "no",
            f.site,
            f.vote_count,
            f.text,
            f.response,
        ]
        for f in feedback_list(filters).iterator(chunk_size=2000)
    )
    return header, rows
