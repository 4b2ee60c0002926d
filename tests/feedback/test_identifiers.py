"""The patient-identifier guard: NHS numbers however they are typed, dates of birth next to a
name or a "born"/"DOB" label, and hospital numbers; and ordinary text that must still pass."""

import pytest
from django.urls import reverse

from accounts.scoping import scopes_disabled
from feedback.guards import contains_nhs_number, find_patient_identifier, normalise
from feedback.models import Feedback
from tests.factories import FeedbackLinkFactory, ProductFactory

pytestmark = pytest.mark.django_db

NHS = "9434765919"  # passes the modulus 11 check
NOT_NHS = "9434765918"  # one digit off: fails it


# --- NHS numbers, however they are typed -------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "943.476.5919",
        "943/476/5919",
        "943  476  5919",  # double spaces
        "943 - 476 - 5919",
        "9434 765 919",  # 4-3-3
        "94 34 76 59 19",  # pairs
        "943\u00a0476\u00a05919",  # non-breaking spaces
        "943\u202f476\u202f5919",  # narrow no-break spaces
        "943\u2009476\u20095919",  # thin spaces
        "943\u200b476\u200b5919",  # zero-width spaces
        "94\u200d34\u2060765\ufeff919",  # zero-width joiner, word joiner, BOM
        "943\u2013476\u20145919",  # en and em dashes
        "943\u2011476\u22125919",  # non-breaking hyphen, minus sign
        "943\u00ad476\u00ad5919",  # soft hyphens
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # full-width digits
        "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",  # Arabic-Indic digits
        "943\t476\t5919",
        "NHS no:9434765919.",
        "943 476-5919",  # mixed separators
        "94-34-7659-19",  # not a date: no month 34
    ],
)
def test_an_nhs_number_is_found_however_it_is_typed(typed):
    assert contains_nhs_number(f"Patient {typed} had the wrong drug chart")


@pytest.mark.parametrize(
    "text",
    [
        f"Patient {NOT_NHS[:3]}.{NOT_NHS[3:6]}.{NOT_NHS[6:]} had a problem",
        "Call 01632 960983 for the help desk",  # an 11-digit phone number
        "Mobile 07700 900 123 for the on-call",
        "Order 94347659190 shipped",  # 11 digits in a row
        "Version 10.2.3 was released on 12/03/2026",
        "Bleep 4321 then 2345",
    ],
)
def test_other_numbers_are_not_nhs_numbers(text):
    assert not contains_nhs_number(text)


@pytest.mark.parametrize(
    "template",
    [
        "On {d:02d}/03/2026 {h:02d}:30 the system crashed",
        "Since 2026-03-{d:02d} {h:02d}:15 printing fails",
        "{d:02d}.03.26 {h:02d}00 hours the system went down",
    ],
)
def test_a_date_followed_by_a_time_or_a_number_is_never_an_nhs_number(template):
    flagged = [
        text
        for d in range(1, 32)
        for h in range(24)
        if find_patient_identifier(text := template.format(d=d, h=h))
    ]
    assert flagged == []


def test_an_nhs_number_next_to_a_date_is_still_found():
    assert contains_nhs_number("Seen 12/03/2026 9434765919 on the wrong ward")
    assert contains_nhs_number("On 12/03/2026 943 476 5919 was on the wrong ward")


def test_normalising_folds_width_strips_invisible_characters_and_unifies_separators():
    assert normalise("\uff11\u200b2\u00a0\u00a03\u20134") == "12 3-4"


# --- Dates of birth and hospital numbers ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The patient, DOB 12/03/1956, was given the wrong dose", "date of birth"),
        ("d.o.b. 12-03-56 on the wristband did not match", "date of birth"),
        ("Date of birth: 1956-03-12 shown on the wrong record", "date of birth"),
        ("She was born 12.3.56 and the screen showed 1965", "date of birth"),
        ("born on 12 March 1956, wrong ward", "date of birth"),
        ("Mrs Smith 12/03/1956 was listed twice", "date of birth"),
        ("Mr John Smith (12.3.56) appeared on another patient's list", "date of birth"),
        ("patient Jones, 3rd April 1948, missing from the board", "date of birth"),
        ("Ms O'Neil, born 01/02/1990, twice", "date of birth"),
        ("MRN 1234567 brought up the wrong patient", "hospital number"),
        ("Hospital number: K123456 was on the label", "hospital number"),
        ("hospital no. 00123456 did not match", "hospital number"),
        ("The label said RJ1 123456 instead", "hospital number"),
        ("Scanning K123456 opened the wrong record", "hospital number"),
        ("Unit number 987654 printed on the wrong letter", "hospital number"),
    ],
)
def test_other_patient_identifiers_are_found(text, kind):
    assert find_patient_identifier(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Since 12/03/2026 the system logs me out every ten minutes",
        "The update on 12.3.26 broke printing on Ward 7",
        "From 1 March 2026 the discharge screen is slow",
        "The hospital number field is hard to find on the admission screen",
        "The MRN search does not accept spaces",
        "Mr Motivator mode is annoying",
        "Dr Patel asked for a shortcut to the drug chart",
        "Ticket INC0012345 is still open",
        "Incident INC-2026-0193 was logged",
        "Bed 12 on Ward 7, room 3",
        "It takes 12 clicks and 3 screens to send one letter",
        "Patient Safety was mentioned on 12/03/2026 at the huddle",
        "Windows 11 update 2026/03 broke the scanner",
    ],
)
def test_ordinary_feedback_passes(text):
    assert find_patient_identifier(text) is None


# --- The forms ---------------------------------------------------------------------------------


@pytest.fixture
def link(trust):
    product = ProductFactory(organisation=trust, name="Meridian EPR")
    return FeedbackLinkFactory(organisation=trust, product=product)


def post(client, link, **overrides):
    data = {
        "product": link.product_id,
        "staff_group": "doctor",
        "rating": "3",
        "category": "fault",
        "text": "The wristband scanner opened the wrong record.",
        "patient_safety": "no",
        "site": "",
        "contact_email": "",
        **overrides,
    }
    return client.post(reverse("feedback:public_form", args=[link.token]), data)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "text",
            "Patient 943\u00a0476\u00a05919 was on the wrong ward",
            "Remove the NHS number from your feedback. Do not include anything that could identify a patient",
        ),
        (
            "text",
            "Mrs Smith DOB 12/03/1956 was on the wrong ward",
            "Remove the date of birth from your feedback. Do not include anything that could identify a patient",
        ),
        (
            "text",
            "MRN 1234567 opened the wrong record",
            "Remove the hospital number from your feedback. Do not include anything that could identify a patient",
        ),
        (
            "site",
            "Ward 7 bed 943.476.5919",
            "Remove the NHS number from the ward or site. Do not include anything that could identify a patient",
        ),
        (
            "site",
            "Ward 7, K123456",
            "Remove the hospital number from the ward or site. Do not include anything that could identify a patient",
        ),
    ],
)
def test_the_public_form_asks_the_person_to_remove_the_identifier(
    client, link, field, value, message
):
    response = post(client, link, **{field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'href="#id_{field}"' in page
    assert message in page
    with scopes_disabled():
        assert not Feedback.objects.exists()


def test_the_signed_in_form_uses_the_same_guard(contributor_client, trust):
    product = ProductFactory(organisation=trust)
    response = contributor_client.post(
        reverse("feedback:feedback_create", args=[trust.ods_code]),
        {
            "product": product.pk,
            "staff_group": "doctor",
            "rating": "3",
            "category": "fault",
            "text": "Patient \uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19 again",
            "patient_safety": "no",
        },
    )
    assert response.status_code == 400
    assert "Remove the NHS number from your feedback" in response.content.decode()


def test_ordinary_dates_and_numbers_are_accepted(client, link):
    response = post(
        client,
        link,
        text="Since 12/03/2026 the system logs me out after 10 minutes; ticket INC0012345.",
        site="Ward 7B",
    )
    assert response.status_code == 302
