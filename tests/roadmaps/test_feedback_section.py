"""Roadmaps add a "Roadmap" section to the feedback page (feedback never imports roadmaps)."""

import pytest
from django.urls import reverse

from roadmaps.models import RoadmapEvidence
from tests.factories import FeedbackFactory, ProductFactory, RoadmapItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def feedback(trust):
    return FeedbackFactory(product=ProductFactory(organisation=trust))


def detail_url(feedback):
    return reverse("feedback:feedback_detail", args=[feedback.organisation.ods_code, feedback.pk])


def test_a_product_manager_sees_the_items_citing_it_and_a_form_to_cite_it(pm_client, feedback):
    citing = RoadmapItemFactory(product=feedback.product, title="One-click letters")
    RoadmapEvidence.unscoped.create(
        organisation=feedback.organisation, item=citing, feedback=feedback
    )
    RoadmapItemFactory(product=feedback.product, title="Another plan")
    page = pm_client.get(detail_url(feedback)).content.decode()
    section = page.split('<h2 class="nhsuk-heading-m">Roadmap</h2>', 1)[1].split("History", 1)[0]
    assert "Cited as evidence for" in section and "One-click letters" in section
    assert (
        reverse(
            "roadmaps:evidence_add_from_feedback",
            args=[feedback.organisation.ods_code, feedback.pk],
        )
        in section
    )
    assert '<option value="' in section and "Another plan" in section


def test_people_who_cannot_manage_roadmaps_do_not_see_it(client_for, contributor, cso, feedback):
    for membership in (contributor, cso):
        page = client_for(membership.user).get(detail_url(feedback)).content.decode()
        assert "Link to roadmap item" not in page


def test_a_triage_error_keeps_the_section(pm_client, feedback):
    url = reverse("feedback:feedback_triage", args=[feedback.organisation.ods_code, feedback.pk])
    response = pm_client.post(url, {"status": "done", "response": ""})
    assert response.status_code == 400
    assert "Link to roadmap item" in response.content.decode()
