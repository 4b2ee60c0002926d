import pytest
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from feedback import tasks
from feedback.guards import contains_nhs_number, is_valid_nhs_number
from feedback.models import Feedback, FeedbackLink, FeedbackVote, Status, StatusChange
from tests.factories import (
    FeedbackFactory,
    FeedbackLinkFactory,
    MembershipFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

VALID_NHS_NUMBER = "943 476 5919"  # passes the modulus 11 check


@pytest.fixture
def product(trust, cso):
    return ProductFactory(organisation=trust, name="Meridian EPR", clinical_safety_officer=cso.user)


@pytest.fixture
def link(trust, product):
    return FeedbackLinkFactory(organisation=trust, product=product, site="Ward 7")


def form_data(product, **overrides):
    return {
        "product": product.pk,
        "staff_group": "nurse_midwife",
        "rating": "2",
        "category": "usability",
        "text": "Discharge letters take nine clicks to send.",
        "patient_safety": "no",
        "site": "",
        "contact_email": "",
        **overrides,
    }


def saved():
    with scopes_disabled():
        return list(Feedback.objects.all())


# --- NHS number guard ----------------------------------------------------------------------


@pytest.mark.parametrize("number", ["9434765919", "4010232137", "943 476 5919", "943-476-5919"])
def test_valid_nhs_numbers_are_found(number):
    assert contains_nhs_number(f"Patient {number} could not be found")


@pytest.mark.parametrize(
    "text",
    [
        "Call 0123456788 for help",
        "Bleep 4321 then 9434765918",
        "Order 94347659190 shipped",
        "No numbers here",
    ],
)
def test_numbers_failing_the_check_are_not_nhs_numbers(text):
    assert not contains_nhs_number(text)


def test_check_digit_of_ten_is_never_valid():
    assert not is_valid_nhs_number("0000000060")  # weights give a check digit of 10


# --- Public form from a QR code ---------------------------------------------------------


def test_the_public_form_opens_without_an_account(client, link):
    response = client.get(reverse("feedback:public_form", args=[link.token]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Give feedback on Meridian EPR" in page
    assert "You can enter up to 2000 characters" in page


def test_submitting_from_a_link_saves_one_item_for_that_trust(client, link, product):
    response = client.post(reverse("feedback:public_form", args=[link.token]), form_data(product))
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:public_thanks", args=[link.token])
    [feedback] = saved()
    assert feedback.organisation_id == link.organisation_id
    assert feedback.link == link
    assert feedback.site == "Ward 7"  # taken from the link when not given
    assert feedback.submitted_by is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"text": ""}, "text", "Enter your feedback"),
        ({"text": "   "}, "text", "Enter your feedback"),
        ({"text": "x" * 2001}, "text", "Feedback must be 2000 characters or fewer"),
        ({"rating": "7"}, "rating", "Select how easy the product is to use, from 1 to 5"),
        ({"rating": ""}, "rating", "Select how easy the product is to use, from 1 to 5"),
        ({"staff_group": "surgeon-general"}, "staff_group", "Select your staff group"),
        ({"category": ""}, "category", "Select what your feedback is about"),
        (
            {"patient_safety": ""},
            "patient_safety",
            "Select yes if this could affect patient safety",
        ),
        (
            {"text": f"Patient {VALID_NHS_NUMBER} got the wrong dose"},
            "text",
            "Remove the NHS number from your feedback",
        ),
        (
            {"contact_email": "me@nhs.net"},
            "contact_consent",
            "Tick the box to agree to be contacted",
        ),
        ({"contact_consent": "on"}, "contact_email", "Enter your email address, or untick the box"),
        (
            {"contact_email": "not-an-email", "contact_consent": "on"},
            "contact_email",
            "Enter an email address in the correct format",
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(
    client, link, product, overrides, field, message
):
    response = client.post(
        reverse("feedback:public_form", args=[link.token]), form_data(product, **overrides)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'href="#id_{field}"' in page
    assert message in page
    assert saved() == []


def test_a_product_the_link_does_not_name_is_refused(client, link, trust):
    other = ProductFactory(organisation=trust, name="MedChart EPMA")
    response = client.post(reverse("feedback:public_form", args=[link.token]), form_data(other))
    assert response.status_code == 400
    assert "Select a product from the list" in response.content.decode()
    assert saved() == []


def test_a_forged_product_from_another_trust_is_refused(client, trust):
    open_link = FeedbackLinkFactory(organisation=trust)  # names no product: people choose
    ProductFactory(organisation=trust)
    foreign = ProductFactory()  # another trust's product
    response = client.post(
        reverse("feedback:public_form", args=[open_link.token]), form_data(foreign)
    )
    assert response.status_code == 400
    assert "Select a product from the list" in response.content.decode()
    assert saved() == []


def test_a_disabled_link_says_so_and_saves_nothing(client, link, product):
    link.is_enabled = False
    link.save()
    response = client.post(reverse("feedback:public_form", args=[link.token]), form_data(product))
    assert response.status_code == 410
    assert "no longer in use" in response.content.decode()
    assert saved() == []


def test_an_unknown_token_is_not_found(client):
    assert client.get(reverse("feedback:public_form", args=["no-such-token"])).status_code == 404


def test_the_honeypot_quietly_drops_bots(client, link, product):
    response = client.post(
        reverse("feedback:public_form", args=[link.token]),
        form_data(product, website="http://spam"),
    )
    assert response.status_code == 302
    assert saved() == []


def test_rate_limit_stops_a_flood_with_a_message(client, link, product):
    url = reverse("feedback:public_form", args=[link.token])
    for _ in range(10):
        assert client.post(url, form_data(product)).status_code == 302
    response = client.post(url, form_data(product))
    assert response.status_code == 400
    assert "Wait 10 minutes and try again" in response.content.decode()
    assert len(saved()) == 10


def test_rate_limit_fails_open_when_the_cache_is_down(client, link, product, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "add", down)
    assert (
        client.post(
            reverse("feedback:public_form", args=[link.token]), form_data(product)
        ).status_code
        == 302
    )
    assert len(saved()) == 1


# --- Safety routing ------------------------------------------------------------------------


def test_a_safety_concern_is_saved_then_emailed_to_the_products_safety_officer(
    client, link, product, cso, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("feedback:public_form", args=[link.token]),
            form_data(product, patient_safety="yes"),
        )
    assert response.status_code == 302
    [feedback] = saved()
    assert feedback.patient_safety
    assert feedback.safety_notified_at is not None
    assert [m.to for m in mail.outbox] == [[cso.user.email]]
    assert "Patient safety concern: Meridian EPR" in mail.outbox[0].subject
    thanks = client.get(response["Location"]).content.decode()
    assert "sent to the clinical safety officer" in thanks


def test_the_patient_safety_category_always_flags_a_concern(client, link, product):
    client.post(
        reverse("feedback:public_form", args=[link.token]),
        form_data(product, category="patient_safety"),
    )
    assert saved()[0].patient_safety


def test_a_concern_survives_a_broker_outage_and_the_sweep_sends_it_later(
    client, link, product, cso, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.safety_concern_notify_task, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("feedback:public_form", args=[link.token]),
                form_data(product, patient_safety="yes"),
            )
    assert response.status_code == 302
    [feedback] = saved()
    assert feedback.safety_notified_at is None
    assert mail.outbox == []
    assert tasks.notifications_sweep_task(older_than_seconds=0)["done"] == 1
    assert [m.to for m in mail.outbox] == [[cso.user.email]]
    assert tasks.notifications_sweep_task(older_than_seconds=0)["done"] == 0  # sent once, not twice


def test_a_safety_concern_cannot_close_without_outcome_and_reference(cso_client, product):
    feedback = FeedbackFactory(product=product, patient_safety=True)
    url = reverse(
        "feedback:safety_concern_detail", args=[product.organisation.ods_code, feedback.pk]
    )
    response = cso_client.post(url, {"action": "close", "outcome": "", "reference": " "})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select the outcome" in page
    assert "Enter the hazard log or incident reference" in page
    feedback.refresh_from_db()
    assert feedback.safety_closed_at is None


def test_the_officer_closes_a_concern_with_an_outcome(cso_client, product, cso):
    feedback = FeedbackFactory(product=product, patient_safety=True)
    queue = reverse("feedback:safety_concern_list", args=[product.organisation.ods_code])
    assert feedback.text in cso_client.get(queue).content.decode()
    url = reverse(
        "feedback:safety_concern_detail", args=[product.organisation.ods_code, feedback.pk]
    )
    cso_client.post(url, {"action": "acknowledge"})
    response = cso_client.post(
        url, {"action": "close", "outcome": "new_hazard", "reference": "HAZ-042"}
    )
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.safety_outcome == "new_hazard"
    assert feedback.safety_reference == "HAZ-042"
    assert feedback.safety_closed_by == cso.user
    assert feedback.safety_acknowledged_at is not None
    assert feedback.text not in cso_client.get(queue).content.decode()


def test_the_database_refuses_a_closure_without_a_reference(product):
    feedback = FeedbackFactory(product=product, patient_safety=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.unscoped.filter(pk=feedback.pk).update(
            safety_closed_at=timezone.now(), safety_outcome="new_hazard"
        )


def test_product_managers_do_not_see_the_safety_queue(pm_client, trust):
    url = reverse("feedback:safety_concern_list", args=[trust.ods_code])
    assert pm_client.get(url).status_code == 403


# --- Triage, votes, merge, export -------------------------------------------------------


def triage_url(feedback):
    return reverse("feedback:feedback_triage", args=[feedback.organisation.ods_code, feedback.pk])


def test_planned_with_a_response_emails_consenting_confirmed_submitters_only(
    pm_client, product, django_capture_on_commit_callbacks
):
    consenting = FeedbackFactory(
        product=product,
        contact_email="nurse@nhs.net",
        contact_consent=True,
        contact_confirmed_at=timezone.now(),
    )
    FeedbackFactory(product=product, contact_email="", contact_consent=False)
    FeedbackFactory(product=product, contact_email="unconfirmed@nhs.net", contact_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = pm_client.post(
            triage_url(consenting), {"status": "planned", "response": "In the March release."}
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["nurse@nhs.net"]]
    assert "In the March release." in mail.outbox[0].body
    with scopes_disabled():
        change = StatusChange.objects.get()
    assert change.notified_at is not None


def test_closing_the_loop_needs_a_response(pm_client, product):
    feedback = FeedbackFactory(product=product)
    response = pm_client.post(triage_url(feedback), {"status": "done", "response": ""})
    assert response.status_code == 400
    assert "Enter a response" in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.status == Status.NEW


def test_under_review_sends_no_email(pm_client, product, django_capture_on_commit_callbacks):
    feedback = FeedbackFactory(product=product, contact_email="a@nhs.net", contact_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        pm_client.post(triage_url(feedback), {"status": "under_review", "response": ""})
    assert mail.outbox == []


def test_contributors_vote_but_cannot_triage(contributor_client, contributor, product):
    feedback = FeedbackFactory(product=product)
    vote_url = reverse("feedback:feedback_vote", args=[product.organisation.ods_code, feedback.pk])
    contributor_client.post(vote_url)
    assert FeedbackVote.unscoped.filter(feedback=feedback, user=contributor.user).exists()
    contributor_client.post(vote_url)  # a second press takes the vote back
    assert not FeedbackVote.unscoped.filter(feedback=feedback).exists()
    response = contributor_client.post(triage_url(feedback), {"status": "done", "response": "x"})
    assert response.status_code == 403


def test_merging_duplicates_keeps_every_vote(pm_client, product, pm):
    people = [UserFactory() for _ in range(4)]
    duplicate = FeedbackFactory(product=product, submitted_by=people[3])
    target = FeedbackFactory(product=product)
    for user in people[:2]:
        FeedbackVote.unscoped.create(
            organisation=product.organisation, feedback=duplicate, user=user
        )
    for user in people[1:3]:
        FeedbackVote.unscoped.create(organisation=product.organisation, feedback=target, user=user)
    url = reverse("feedback:feedback_merge", args=[product.organisation.ods_code, duplicate.pk])
    assert pm_client.post(url, {"target": target.pk}).status_code == 302
    voters = set(FeedbackVote.unscoped.filter(feedback=target).values_list("user", flat=True))
    assert voters == {u.pk for u in people}  # union of both, plus the duplicate's author
    duplicate.refresh_from_db()
    assert duplicate.status == Status.DUPLICATE
    assert duplicate.duplicate_of == target


def test_merging_into_another_trusts_feedback_is_refused(pm_client, product):
    duplicate = FeedbackFactory(product=product)
    foreign = FeedbackFactory()
    url = reverse("feedback:feedback_merge", args=[product.organisation.ods_code, duplicate.pk])
    response = pm_client.post(url, {"target": foreign.pk})
    assert response.status_code == 400
    assert "Select feedback from the list" in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status == Status.NEW


def test_similar_feedback_is_suggested(pm_client, product):
    first = FeedbackFactory(
        product=product, text="Discharge letter printing fails on ward printers"
    )
    FeedbackFactory(product=product, text="Printing discharge letters fails on the ward printers")
    FeedbackFactory(product=product, text="Love the new medicines chart")
    page = pm_client.get(
        reverse("feedback:feedback_detail", args=[product.organisation.ods_code, first.pk])
    ).content.decode()
    similar = page.split("Similar feedback", 1)[1].split("Merge as a duplicate", 1)[0]
    assert "Printing discharge letters" in similar
    assert "medicines chart" not in similar


def test_csv_export_neutralises_spreadsheet_formulas(pm_client, product):
    FeedbackFactory(product=product, text='=HYPERLINK("http://evil.example","click")')
    FeedbackFactory(product=product, text="@SUM(1+1)")
    FeedbackFactory(product=product, text="-2+3")
    response = pm_client.get(
        reverse("feedback:feedback_export", args=[product.organisation.ods_code])
    )
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in body and "'@SUM" in body and "'-2+3" in body
    assert ",=HYPERLINK" not in body


def test_csv_export_respects_filters_and_the_tenant(pm_client, product):
    FeedbackFactory(product=product, text="Ours and praise", category="praise")
    FeedbackFactory(product=product, text="Ours and a fault", category="fault")
    FeedbackFactory(text="Theirs")
    url = (
        reverse("feedback:feedback_export", args=[product.organisation.ods_code])
        + "?category=praise"
    )
    body = pm_client.get(url).content.decode()
    assert "Ours and praise" in body
    assert "Ours and a fault" not in body and "Theirs" not in body


def test_feedback_list_query_count_is_constant(pm_client, product, django_assert_max_num_queries):
    url = reverse("feedback:feedback_list", args=[product.organisation.ods_code])
    FeedbackFactory(product=product)
    with django_assert_max_num_queries(12) as small:
        pm_client.get(url)
    for _ in range(30):
        feedback = FeedbackFactory(product=ProductFactory(organisation=product.organisation))
        FeedbackVote.unscoped.create(
            organisation=product.organisation, feedback=feedback, user=UserFactory()
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        pm_client.get(url)


def test_safety_queue_query_count_is_constant(cso_client, product, django_assert_max_num_queries):
    url = reverse("feedback:safety_concern_list", args=[product.organisation.ods_code])
    FeedbackFactory(product=product, patient_safety=True)
    with django_assert_max_num_queries(12) as small:
        cso_client.get(url)
    for _ in range(30):
        FeedbackFactory(
            product=ProductFactory(organisation=product.organisation), patient_safety=True
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        cso_client.get(url)


# --- In-app form and links ------------------------------------------------------------------


def test_a_signed_in_contributor_uses_the_same_form(client, product):
    clinician = MembershipFactory(organisation=product.organisation, role=Role.CONTRIBUTOR).user
    client.force_login(clinician)
    url = reverse("feedback:feedback_create", args=[product.organisation.ods_code])
    assert client.post(url, form_data(product)).status_code == 302
    assert saved()[0].submitted_by == clinician


def test_a_link_page_has_a_scannable_qr_code(pm_client, product):
    url = reverse("feedback:link_list", args=[product.organisation.ods_code])
    response = pm_client.post(
        url, {"name": "Ward 7 poster", "product": product.pk, "site": "Ward 7"}
    )
    assert response.status_code == 302
    page = pm_client.get(response["Location"]).content.decode()
    assert "<svg" in page
    with scope(organisation=product.organisation):
        token = FeedbackLink.objects.get().token
    assert reverse("feedback:public_form", args=[token]) in page


def test_a_link_cannot_name_another_trusts_product(pm_client, product):
    url = reverse("feedback:link_list", args=[product.organisation.ods_code])
    response = pm_client.post(url, {"name": "Sneaky", "product": ProductFactory().pk})
    assert response.status_code == 400
    assert "Select a product from the list" in response.content.decode()


def test_disabling_a_link_closes_its_form(pm_client, client, link, product):
    toggle = reverse("feedback:link_toggle", args=[product.organisation.ods_code, link.pk])
    pm_client.post(toggle, {"action": "disable"})
    pm_client.logout()
    assert client.get(reverse("feedback:public_form", args=[link.token])).status_code == 410
