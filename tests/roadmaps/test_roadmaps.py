from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from feedback.models import FeedbackVote, Status, StatusChange
from roadmaps.models import RoadmapEvidence, RoadmapItem, Visibility
from roadmaps.rice import RiceError, rice_score
from roadmaps.services import release_response, roadmap_item_update
from tests.factories import (
    FeedbackFactory,
    IcsMembershipFactory,
    MembershipFactory,
    OrganisationFactory,
    ProductFactory,
    RoadmapItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- RICE: one place, edge cases -----------------------------------------------------------


def test_rice_score_is_reach_times_impact_times_confidence_over_effort():
    assert rice_score(400, Decimal("2"), 80, Decimal("4")) == Decimal("160.00")  # 400*2*0.8/4


def test_rice_score_rounds_to_pence_like_precision():
    assert rice_score(1, Decimal("0.25"), 33, Decimal("3")) == Decimal("0.03")  # 0.0275


def test_zero_reach_or_confidence_scores_zero():
    assert rice_score(0, Decimal("3"), 100, Decimal("1")) == Decimal("0.00")
    assert rice_score(500, Decimal("3"), 0, Decimal("1")) == Decimal("0.00")


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (
            (10, Decimal("1"), 50, Decimal("0")),
            "effort",
            "Effort must be more than 0 person-months",
        ),
        (
            (10, Decimal("1"), 50, Decimal("-1")),
            "effort",
            "Effort must be more than 0 person-months",
        ),
        ((-1, Decimal("1"), 50, Decimal("1")), "reach", "Reach must be 0 or more people"),
        ((10, Decimal("7"), 50, Decimal("1")), "impact", "Select an impact from the list"),
        (
            (10, Decimal("1"), 101, Decimal("1")),
            "confidence",
            "Confidence must be between 0 and 100 per cent",
        ),
    ],
)
def test_rice_rejects_impossible_values_with_a_message(args, field, message):
    with pytest.raises(RiceError) as error:
        rice_score(*args)
    assert (error.value.field, error.value.message) == (field, message)


# --- Forms and pages -------------------------------------------------------------------


def item_data(product, **overrides):
    return {
        "product": product.pk,
        "title": "Faster discharge letters",
        "description": "",
        "status": "planned",
        "horizon": "next",
        "target_quarter": "2027-Q1",
        "expected_outcome": "",
        "reach": "400",
        "impact": "2",
        "confidence": "80",
        "effort": "4",
        "visibility": "internal",
        **overrides,
    }


def test_creating_an_item_stores_its_rice_score(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation)
    response = pm_client.post(
        reverse("roadmaps:item_create", args=[pm.organisation.ods_code]), item_data(product)
    )
    assert response.status_code == 302
    with scopes_disabled():
        item = RoadmapItem.objects.get()
    assert item.rice_score == Decimal("160.00")
    assert item.organisation == pm.organisation


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"effort": "0"}, "Effort must be more than 0 person-months"),
        ({"title": ""}, "Enter a title"),
        ({"target_quarter": "next spring"}, "Enter a quarter like 2026-Q3"),
        ({"confidence": "150"}, "Confidence must be between 0 and 100 per cent"),
        ({"impact": "9"}, "Select an impact from the list"),
        ({"horizon": "someday"}, "Select Now, Next or Later"),
    ],
)
def test_bad_item_input_shows_an_error_and_saves_nothing(pm_client, pm, overrides, message):
    product = ProductFactory(organisation=pm.organisation)
    url = reverse("roadmaps:item_create", args=[pm.organisation.ods_code])
    response = pm_client.post(url, item_data(product, **overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    with scopes_disabled():
        assert not RoadmapItem.objects.exists()


def test_another_trusts_product_cannot_be_chosen(pm_client, pm):
    response = pm_client.post(
        reverse("roadmaps:item_create", args=[pm.organisation.ods_code]),
        item_data(ProductFactory()),
    )
    assert response.status_code == 400
    assert "Select a product from the list" in response.content.decode()


def test_moving_an_item_is_a_plain_post(pm_client, pm):
    item = RoadmapItemFactory(product=ProductFactory(organisation=pm.organisation), horizon="later")
    url = reverse("roadmaps:item_move", args=[pm.organisation.ods_code, item.pk])
    assert pm_client.post(url, {"horizon": "now"}).status_code == 302
    item.refresh_from_db()
    assert item.horizon == "now"


def test_contributors_see_only_shared_items_and_cannot_edit(client, pm):
    product = ProductFactory(organisation=pm.organisation)
    RoadmapItemFactory(product=product, title="Internal plan", visibility=Visibility.INTERNAL)
    RoadmapItemFactory(product=product, title="Shared plan", visibility=Visibility.ICS)
    clinician = MembershipFactory(organisation=pm.organisation, role=Role.CONTRIBUTOR).user
    client.force_login(clinician)
    page = client.get(reverse("roadmaps:board", args=[pm.organisation.ods_code])).content.decode()
    assert "Shared plan" in page and "Internal plan" not in page
    assert (
        client.get(reverse("roadmaps:item_create", args=[pm.organisation.ods_code])).status_code
        == 403
    )


# --- Evidence and release --------------------------------------------------------------------


def test_evidence_counts_feedback_votes_staff_groups_and_safety(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation)
    item = RoadmapItemFactory(product=product)
    first = FeedbackFactory(product=product, staff_group="doctor", patient_safety=True)
    second = FeedbackFactory(product=product, staff_group="nurse_midwife")
    for feedback in (first, second):
        RoadmapEvidence.unscoped.create(organisation=pm.organisation, item=item, feedback=feedback)
    for _ in range(3):
        FeedbackVote.unscoped.create(
            organisation=pm.organisation, feedback=first, user=UserFactory()
        )
    page = pm_client.get(reverse("roadmaps:priorities", args=[pm.organisation.ods_code]))
    [row] = page.context["items"]
    assert (row.feedback_count, row.vote_count, row.staff_group_count, row.safety_count) == (
        2,
        3,
        2,
        1,
    )


def test_feedback_is_linked_from_the_feedback_side(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation)
    item = RoadmapItemFactory(product=product)
    feedback = FeedbackFactory(product=product)
    url = reverse(
        "roadmaps:evidence_add_from_feedback", args=[pm.organisation.ods_code, feedback.pk]
    )
    assert pm_client.post(url, {"item": item.pk}).status_code == 302
    assert RoadmapEvidence.unscoped.filter(item=item, feedback=feedback).exists()


def test_releasing_closes_the_loop_through_feedback_triage(
    pm_client, pm, django_capture_on_commit_callbacks
):
    product = ProductFactory(organisation=pm.organisation)
    item = RoadmapItemFactory(product=product, title="One-click discharge letters")
    feedback = FeedbackFactory(
        product=product,
        contact_email="nurse@nhs.net",
        contact_consent=True,
        contact_confirmed_at=timezone.now(),
    )
    RoadmapEvidence.unscoped.create(organisation=pm.organisation, item=item, feedback=feedback)
    url = reverse("roadmaps:item_status", args=[pm.organisation.ods_code, item.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert pm_client.post(url, {"status": "released"}).status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == Status.DONE
    assert StatusChange.unscoped.get(feedback=feedback).to_status == Status.DONE
    assert [m.to for m in mail.outbox] == [["nurse@nhs.net"]]
    assert "Released: One-click discharge letters." in mail.outbox[0].body


def test_releasing_keeps_the_response_the_product_manager_wrote(
    pm_client, pm, django_capture_on_commit_callbacks
):
    """The written response stays, with the release after it (issue 15: it was overwritten)."""
    product = ProductFactory(organisation=pm.organisation)
    item = RoadmapItemFactory(
        product=product, title="One-click discharge letters", expected_outcome="Two clicks fewer."
    )
    written = "Thank you: we are working on this with the supplier."
    feedback = FeedbackFactory(
        product=product,
        status=Status.PLANNED,
        response=written,
        contact_email="nurse@nhs.net",
        contact_consent=True,
        contact_confirmed_at=timezone.now(),
    )
    untouched = FeedbackFactory(product=product)
    for cited in (feedback, untouched):
        RoadmapEvidence.unscoped.create(organisation=pm.organisation, item=item, feedback=cited)
    url = reverse("roadmaps:item_status", args=[pm.organisation.ods_code, item.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert pm_client.post(url, {"status": "released"}).status_code == 302
    feedback.refresh_from_db()
    untouched.refresh_from_db()
    note = "Released: One-click discharge letters. Two clicks fewer."
    assert feedback.response == f"{written}\n\n{note}"
    assert untouched.response == note
    assert written in mail.outbox[0].body and note in mail.outbox[0].body


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("", "Released: X."),
        ("   ", "Released: X."),
        ("We heard you.", "We heard you.\n\nReleased: X."),
        ("We heard you.\n\nReleased: X.", "We heard you.\n\nReleased: X."),
    ],
)
def test_the_release_note_is_added_once(written, expected):
    assert release_response(written, "Released: X.") == expected


# --- ICS view and the public link ------------------------------------------------------------


def test_ics_lead_sees_only_shared_items_of_trusts_in_their_ics(client):
    lead = IcsMembershipFactory()
    inside = OrganisationFactory(ics=lead.ics)
    outside = OrganisationFactory()
    RoadmapItemFactory(
        product=ProductFactory(organisation=inside), title="Shared inside", visibility="ics"
    )
    RoadmapItemFactory(
        product=ProductFactory(organisation=inside), title="Internal inside", visibility="internal"
    )
    RoadmapItemFactory(
        product=ProductFactory(organisation=outside), title="Shared outside", visibility="ics"
    )
    client.force_login(lead.user)
    page = client.get(reverse("roadmaps:ics_shared", args=[lead.ics.ods_code])).content.decode()
    assert "Shared inside" in page
    assert "Internal inside" not in page and "Shared outside" not in page


def test_public_link_works_only_while_the_item_is_public(client):
    item = RoadmapItemFactory(visibility=Visibility.PUBLIC, title="Published plan")
    url = reverse("roadmaps:item_public", args=[item.public_token])
    assert "Published plan" in client.get(url).content.decode()
    RoadmapItem.unscoped.filter(pk=item.pk).update(visibility=Visibility.ICS)
    assert client.get(url).status_code == 404


def test_republishing_an_item_issues_a_new_link_and_the_old_one_stays_dead(pm, pm_client):
    item = RoadmapItemFactory(
        product=ProductFactory(organisation=pm.organisation),
        visibility=Visibility.PUBLIC,
        title="Published plan",
    )
    old_url = reverse("roadmaps:item_public", args=[item.public_token])
    with scope(organisation=pm.organisation):
        roadmap_item_update(item=item, data={"visibility": Visibility.INTERNAL}, user=pm.user)
        roadmap_item_update(item=item, data={"visibility": Visibility.PUBLIC}, user=pm.user)
        item.refresh_from_db()
    new_url = reverse("roadmaps:item_public", args=[item.public_token])
    assert new_url != old_url
    assert pm_client.get(old_url).status_code == 404
    assert "Published plan" in pm_client.get(new_url).content.decode()


def test_editing_a_public_item_keeps_its_link(pm):
    item = RoadmapItemFactory(
        product=ProductFactory(organisation=pm.organisation), visibility=Visibility.PUBLIC
    )
    token = item.public_token
    with scope(organisation=pm.organisation):
        roadmap_item_update(item=item, data={"title": "Renamed"}, user=pm.user)
        item.refresh_from_db()
    assert item.public_token == token


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["roadmaps:board", "roadmaps:timeline", "roadmaps:priorities"])
def test_board_and_list_query_counts_are_constant(
    pm_client, pm, name, django_assert_max_num_queries
):
    product = ProductFactory(organisation=pm.organisation)
    url = reverse(name, args=[pm.organisation.ods_code])
    RoadmapItemFactory(product=product)
    with django_assert_max_num_queries(12) as small:
        pm_client.get(url)
    for index in range(30):
        item = RoadmapItemFactory(
            product=ProductFactory(organisation=pm.organisation),
            horizon=["now", "next", "later"][index % 3],
        )
        RoadmapEvidence.unscoped.create(
            organisation=pm.organisation, item=item, feedback=FeedbackFactory(product=item.product)
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert pm_client.get(url).status_code == 200
