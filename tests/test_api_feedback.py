"""The feedback and roadmap API: the pages' rules, safety concerns only for roles that handle
them, triage and merge through the pages' services, roadmap CRUD, evidence and release."""

import pytest

from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from feedback.models import Feedback, Status, StatusChange
from roadmaps.models import ItemStatus, RoadmapEvidence, RoadmapItem, Visibility
from tests.apiclient import PROBLEM, api, make_token
from tests.factories import (
    FeedbackFactory,
    MembershipFactory,
    ProductFactory,
    RoadmapItemFactory,
)


@pytest.fixture
def trust(db):
    return MembershipFactory(role=Role.ORG_ADMIN).organisation


@pytest.fixture
def world(trust):
    product = ProductFactory(organisation=trust, name="Meridian EPR")
    other = ProductFactory(organisation=trust, name="MedChart EPMA")
    return {
        "product": product,
        "other": other,
        "plain": FeedbackFactory(product=product, text="Too many clicks to discharge"),
        "safety": FeedbackFactory(
            product=product, text="Wrong dose shown SAFETY-MARKER", patient_safety=True
        ),
        "consenting": FeedbackFactory(
            product=product,
            contact_email="nurse@example.nhs.uk",
            contact_consent=True,
            contact_confirmed_at="2026-01-01T00:00Z",
        ),
        "elsewhere": FeedbackFactory(product=other),
    }


def client_for(trust, role, read_only=False):
    return api(make_token(trust, role, read_only=read_only)[1])


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


# --- feedback -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_safety"),
    [
        (Role.ORG_ADMIN, True),
        (Role.CLINICAL_SAFETY_OFFICER, True),
        (Role.PRODUCT_MANAGER, False),
        (Role.CONTRIBUTOR, False),
    ],
)
def test_safety_concerns_exist_only_for_roles_that_handle_them(trust, world, role, sees_safety):
    client = client_for(trust, role)
    listed = client.get("/api/v1/feedback/")
    assert (world["safety"].pk in ids(listed)) is sees_safety
    assert ("SAFETY-MARKER" in listed.content.decode()) is sees_safety
    read = client.get(f"/api/v1/feedback/{world['safety'].pk}/")
    assert read.status_code == (200 if sees_safety else 404)
    filtered = client.get("/api/v1/feedback/?patient_safety=true")
    assert ids(filtered) == ({world["safety"].pk} if sees_safety else set())
    if sees_safety:
        assert read.json()["safety"] == {
            "acknowledged_at": None,
            "outcome": "",
            "reference": "",
            "closed_at": None,
        }


def test_a_viewer_token_cannot_read_feedback(trust, world):
    assert client_for(trust, Role.VIEWER).get("/api/v1/feedback/").status_code == 403


def test_the_list_filters_and_rejects_values_that_are_not_choices(trust, world):
    client = client_for(trust, Role.PRODUCT_MANAGER)
    assert ids(client.get(f"/api/v1/feedback/?product={world['other'].pk}")) == {
        world["elsewhere"].pk
    }
    assert ids(client.get("/api/v1/feedback/?q=clicks%20to%20discharge")) == {world["plain"].pk}
    for query in ("status=nonsense", "category=x", "created_from=31-02-2026", "product=abc"):
        response = client.get(f"/api/v1/feedback/?{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"] == PROBLEM


def test_contact_addresses_are_shown_only_to_roles_that_triage(trust, world):
    url = f"/api/v1/feedback/{world['consenting'].pk}/"
    triage = client_for(trust, Role.PRODUCT_MANAGER).get(url).json()
    assert triage["contact_email"] == "nurse@example.nhs.uk"
    contributor = client_for(trust, Role.CONTRIBUTOR).get(url)
    assert contributor.json()["contact_email"] is None
    assert "nurse@example.nhs.uk" not in contributor.content.decode()


def test_triage_uses_the_pages_rules_and_keeps_the_history(trust, world):
    client = client_for(trust, Role.PRODUCT_MANAGER)
    url = f"/api/v1/feedback/{world['plain'].pk}/triage/"
    refused = client.post(url, {"status": "planned"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "field": "response",
            "message": "Enter a response: the people who gave this feedback will receive it",
        }
    ]
    assert client.post(url, {"status": "duplicate"}, content_type="application/json").json()[
        "errors"
    ] == [{"field": "status", "message": "Select a status from the list"}]
    done = client.post(
        url,
        {"status": "planned", "response": "In the May release"},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["response"]) == ("planned", "In the May release")
    with scope(organisation=trust):
        change = StatusChange.objects.get(feedback=world["plain"])
        assert (change.from_status, change.to_status) == (Status.NEW, Status.PLANNED)
    contributor = client_for(trust, Role.CONTRIBUTOR)
    assert (
        contributor.post(url, {"status": "new"}, content_type="application/json").status_code == 403
    )


def test_merge_moves_the_duplicate_and_refuses_targets_it_may_not_use(trust, world):
    client = client_for(trust, Role.PRODUCT_MANAGER)
    url = f"/api/v1/feedback/{world['consenting'].pk}/merge/"
    for target, why in (
        (world["elsewhere"].pk, "another product"),
        (world["safety"].pk, "a safety concern this role may not see"),
        (world["consenting"].pk, "itself"),
        ("abc", "not an id"),
    ):
        response = client.post(url, {"target": target}, content_type="application/json")
        assert response.status_code == 400, why
        assert response.json()["errors"][0]["field"] == "target"
    merged = client.post(url, {"target": world["plain"].pk}, content_type="application/json")
    assert merged.status_code == 200, merged.content
    assert (merged.json()["status"], merged.json()["duplicate_of"]) == (
        "duplicate",
        world["plain"].pk,
    )


def test_bodies_that_are_not_objects_are_400s(trust, world):
    client = client_for(trust, Role.PRODUCT_MANAGER)
    for body in ("[]", '"planned"', "null", "{bad"):
        response = client.post(
            f"/api/v1/feedback/{world['plain'].pk}/triage/", body, content_type="application/json"
        )
        assert response.status_code == 400, body
    with scopes_disabled():
        assert Feedback.unscoped.get(pk=world["plain"].pk).status == Status.NEW


# --- roadmap items --------------------------------------------------------------------------------


def item_body(of, **changes):
    body = {
        "product": of.pk,
        "title": "One-click discharge",
        "description": "Fewer clicks to discharge a patient",
        "status": "planned",
        "horizon": "next",
        "target_quarter": "2027-Q1",
        "reach": 400,
        "impact": "2",
        "confidence": 80,
        "effort": "1.5",
        "visibility": "internal",
    }
    return {**body, **changes}


def test_roadmap_items_are_created_scored_changed_and_deleted(trust, world):
    client = client_for(trust, Role.PRODUCT_MANAGER)
    created = client.post(
        "/api/v1/roadmap-items/", item_body(world["product"]), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["rice_score"] == "426.67"  # 400 x 2 x 80 % / 1.5
    patched = client.patch(item["url"], {"horizon": "now"}, content_type="application/json")
    assert patched.status_code == 200, patched.content
    assert (patched.json()["horizon"], patched.json()["impact"]) == ("now", "2.00")
    assert patched.json()["rice_score"] == item["rice_score"]
    assert client.delete(item["url"]).status_code == 204
    assert client.get(item["url"]).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_quarter": "2027-Q5"}, "target_quarter"),
        ({"title": ""}, "title"),
        ({"confidence": 101}, "confidence"),
        ({"impact": "7"}, "impact"),
        ({"effort": "0"}, "effort"),
        ({"product": 999_999}, "product"),
        ({"owner": 999_999}, "owner"),
        ({"status": "shipped"}, "status"),
    ],
)
def test_roadmap_items_are_checked_like_the_page(trust, world, changes, field):
    client = client_for(trust, Role.PRODUCT_MANAGER)
    response = client.post(
        "/api/v1/roadmap-items/",
        item_body(world["product"], **changes),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert field in {error["field"] for error in response.json()["errors"]}
    with scopes_disabled():
        assert not RoadmapItem.unscoped.filter(organisation=trust).exists()


def test_release_closes_the_loop_on_the_cited_feedback(trust, world):
    client = client_for(trust, Role.PRODUCT_MANAGER)
    item = RoadmapItemFactory(product=world["product"], title="Faster discharge")
    evidence = f"/api/v1/roadmap-items/{item.pk}/evidence/"
    cited = client.post(evidence, {"feedback": world["plain"].pk}, content_type="application/json")
    assert cited.status_code == 201, cited.content
    refused = client.post(
        evidence, {"feedback": world["elsewhere"].pk}, content_type="application/json"
    )
    assert refused.status_code == 400  # another product's feedback
    listed = client.get(evidence).json()["results"]
    assert [row["feedback"] for row in listed] == [world["plain"].pk]
    released = client.post(f"/api/v1/roadmap-items/{item.pk}/release/")
    assert released.status_code == 200 and released.json()["status"] == ItemStatus.RELEASED
    with scopes_disabled():
        feedback = Feedback.unscoped.get(pk=world["plain"].pk)
    assert feedback.status == Status.DONE
    assert feedback.response.startswith("Released: Faster discharge.")
    assert client.delete(f"{evidence}{world['plain'].pk}/").status_code == 204
    assert client.delete(f"{evidence}{world['plain'].pk}/").status_code == 404
    with scopes_disabled():
        assert not RoadmapEvidence.unscoped.filter(item_id=item.pk).exists()


def test_roles_that_do_not_manage_roadmaps_see_only_shared_items(trust, world):
    internal = RoadmapItemFactory(product=world["product"], visibility=Visibility.INTERNAL)
    shared = RoadmapItemFactory(product=world["product"], visibility=Visibility.ICS)
    contributor = client_for(trust, Role.CONTRIBUTOR)
    assert ids(contributor.get("/api/v1/roadmap-items/")) == {shared.pk}
    assert contributor.get(f"/api/v1/roadmap-items/{internal.pk}/").status_code == 404
    assert contributor.delete(f"/api/v1/roadmap-items/{shared.pk}/").status_code == 403
    assert contributor.get(f"/api/v1/roadmap-items/{shared.pk}/evidence/").status_code == 403
    manager = client_for(trust, Role.PRODUCT_MANAGER)
    assert ids(manager.get("/api/v1/roadmap-items/")) == {internal.pk, shared.pk}
    assert ids(manager.get("/api/v1/roadmap-items/?visibility=ics")) == {shared.pk}
    assert manager.get("/api/v1/roadmap-items/?horizon=soon").status_code == 400
    read_only = client_for(trust, Role.PRODUCT_MANAGER, read_only=True)
    assert read_only.delete(f"/api/v1/roadmap-items/{shared.pk}/").status_code == 403
