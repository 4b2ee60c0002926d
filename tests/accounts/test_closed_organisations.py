"""A closed trust or ICS is kept for history but no longer offered; its members are told so."""

from datetime import date, timedelta

import pytest
from django.contrib.admin.sites import site
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.utils import timezone

from accounts import selectors
from accounts.models import Organisation
from accounts.ods import load_trusts
from tests.factories import IcsFactory, MembershipFactory, OrganisationFactory, UserFactory

from .test_ods_import import lines, row

pytestmark = pytest.mark.django_db


def close(organisation, on=date(2026, 3, 31), successor=None):
    organisation.closed_on = on
    organisation.successor = successor
    organisation.save()
    return organisation


def test_a_closed_trust_is_not_offered(two_trust_user, trust, other_trust):
    close(other_trust)
    assert [m.organisation for m in selectors.membership_list(two_trust_user)] == [trust]
    assert [m.organisation for m in selectors.membership_list_closed(two_trust_user)] == [
        other_trust
    ]


def test_a_trust_closing_later_is_still_offered(pm, trust):
    close(trust, on=timezone.localdate() + timedelta(days=30))
    assert [m.organisation for m in selectors.membership_list(pm.user)] == [trust]


def test_a_closed_trusts_pages_say_it_closed_and_who_took_over(pm, trust, client_for):
    successor = OrganisationFactory(name="Guy's and St Thomas' NHS Foundation Trust")
    close(trust, successor=successor)
    for url in (trust.get_absolute_url(), f"/o/{trust.ods_code}/products/"):
        response = client_for(pm.user).get(url)
        assert response.status_code == 410
        body = response.content.decode()
        assert f"{trust.name} closed on 31 March 2026" in body
        assert "Its records are kept for history" in body
        assert "Guy&#x27;s and St Thomas&#x27; NHS Foundation Trust" in body


def test_a_closed_trust_is_still_a_404_to_non_members(trust, client_for):
    close(trust)
    assert client_for(UserFactory()).get(trust.get_absolute_url()).status_code == 404


def test_the_chooser_lists_closed_trusts_with_a_note(two_trust_user, other_trust, client_for):
    close(other_trust)
    body = client_for(two_trust_user).get("/organisations/").content.decode()
    assert "closed on 31 March 2026; its records are kept for history" in body


def test_a_member_of_only_a_closed_trust_is_told_it_closed(pm, trust, client_for):
    close(trust)
    response = client_for(pm.user).get("/", follow=True)
    assert "Your organisation has closed" in response.content.decode()


def test_the_ics_lead_still_sees_a_closed_trust_for_history(ics_lead, trust, client_for):
    close(trust)
    body = client_for(ics_lead.user).get(trust.ics.get_absolute_url()).content.decode()
    assert f"{trust.name} (closed on 31 March 2026; kept for history)" in body


def test_a_closed_ics_shows_the_closed_page(ics_lead, trust, client_for):
    trust.ics.closed_on = date(2026, 3, 31)
    trust.ics.save()
    response = client_for(ics_lead.user).get(trust.ics.get_absolute_url())
    assert response.status_code == 410
    assert f"{trust.ics.name} closed on 31 March 2026" in response.content.decode()
    assert not list(selectors.ics_membership_list(ics_lead.user))


# --- The admin's override of a trust's ICS ------------------------------------------------------


def admin_change(trust, **changes):
    """Save ``trust`` through the admin's change form, as a superuser would."""
    request = RequestFactory().post("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    model_admin = site._registry[Organisation]
    form_class = model_admin.get_form(request, trust, change=True)
    data = {
        name: value
        for name, value in model_to_dict(trust, fields=form_class.base_fields).items()
        if value is not None
    }
    form = form_class({**data, **changes}, instance=trust)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    return Organisation.objects.get(pk=trust.pk)


def test_changing_a_trusts_ics_in_the_admin_marks_it_set_by_hand(trust):
    other = IcsFactory()
    changed = admin_change(trust, ics=other.pk)
    assert changed.ics == other
    assert changed.ics_overridden


def test_other_admin_edits_leave_the_ics_to_ods(trust):
    assert not admin_change(trust, name="Renamed NHS Trust").ics_overridden


def test_the_override_shows_in_the_admin_list():
    assert "ics_overridden" in site._registry[Organisation].list_display


def test_a_reimport_keeps_the_ics_set_in_the_admin():
    ods_ics = IcsFactory(ods_code="QT1")
    ambulance = OrganisationFactory(ods_code="RX9", ics=ods_ics)
    chosen = IcsFactory(ods_code="QNC")
    admin_change(ambulance, ics=chosen.pk)
    etr = lines(row("RX9", "EAST MIDLANDS AMBULANCE SERVICE NHS TRUST", "Y60", "QT1", "19990701"))
    result = load_trusts(etr)
    assert result.moved == 0
    assert Organisation.objects.get(pk=ambulance.pk).ics == chosen


def test_membership_factory_trusts_are_open():
    assert not MembershipFactory().organisation.is_closed
