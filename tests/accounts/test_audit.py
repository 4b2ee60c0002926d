"""Every change to who may see a trust's data is in its audit log, and only its own."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import AuditAction, AuditEntry
from accounts.permissions import Role
from accounts.scoping import ScopeError, scope
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def entries(trust):
    with scope(organisation=trust):
        return list(
            AuditEntry.objects.values_list("action", "actor_email", "target_email", "detail")
        )


def test_invitations_are_audited(org_admin_client, org_admin, trust, client):
    org_admin_client.post(
        reverse("accounts:invitation_create", args=[trust.ods_code]),
        {"email": "New@Example.org", "role": Role.VIEWER},
    )
    assert entries(trust) == [
        (AuditAction.INVITATION_CREATE, org_admin.user.email, "new@example.org", "As Viewer")
    ]
    withdrawn = InvitationFactory(organisation=trust, email="gone@example.org")
    org_admin_client.post(
        reverse("accounts:invitation_revoke", args=[trust.ods_code, withdrawn.pk])
    )
    assert entries(trust)[0] == (
        AuditAction.INVITATION_REVOKE,
        org_admin.user.email,
        "gone@example.org",
        "",
    )
    joiner = UserFactory()
    accepted = InvitationFactory(organisation=trust, email=joiner.email, role=Role.CONTRIBUTOR)
    client.force_login(joiner)
    client.post(reverse("accounts:invitation_accept", args=[accepted.token]))
    assert entries(trust)[0] == (
        AuditAction.INVITATION_ACCEPT,
        joiner.email,
        joiner.email,
        "As Contributor (clinician)",
    )


def test_a_role_change_is_audited_with_before_and_after(org_admin_client, org_admin, trust):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    org_admin_client.post(
        reverse("accounts:member_role", args=[trust.ods_code, member.pk]),
        {"role": Role.PRODUCT_MANAGER},
    )
    assert entries(trust) == [
        (
            AuditAction.ROLE_CHANGE,
            org_admin.user.email,
            member.user.email,
            "From Viewer to Product manager",
        )
    ]


def test_saving_the_same_role_records_nothing(org_admin_client, trust):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    org_admin_client.post(
        reverse("accounts:member_role", args=[trust.ods_code, member.pk]), {"role": Role.VIEWER}
    )
    assert entries(trust) == []


def test_a_security_change_is_audited(org_admin_client, org_admin, trust):
    url = reverse("accounts:organisation_security", args=[trust.ods_code])
    org_admin_client.post(url, {"require_mfa": "on"})
    org_admin_client.post(url, {"require_mfa": "on"})  # no change, no entry
    assert entries(trust) == [
        (
            AuditAction.SECURITY_CHANGE,
            org_admin.user.email,
            "",
            "Two-factor authentication required for every member",
        )
    ]


def test_a_refused_change_is_not_audited(trust, org_admin):
    with scope(organisation=trust), pytest.raises(Exception, match="last organisation admin"):
        services.membership_remove(membership=org_admin, actor=UserFactory())
    assert entries(trust) == []


def test_the_log_reads_right_after_the_people_are_gone(trust, org_admin):
    member = MembershipFactory(organisation=trust, role=Role.VIEWER)
    email = member.user.email
    with scope(organisation=trust):
        services.membership_remove(membership=member, actor=org_admin.user)
    member.user.delete()
    assert entries(trust)[0][2] == email


def test_the_audit_page_lists_only_this_trusts_entries(
    org_admin_client, org_admin, trust, other_trust
):
    with scope(organisation=trust):
        services.audit_entry_create(
            organisation=trust,
            actor=org_admin.user,
            action=AuditAction.ROLE_CHANGE,
            target_email="ours@example.org",
        )
    with scope(organisation=other_trust):
        services.audit_entry_create(
            organisation=other_trust,
            actor=None,
            action=AuditAction.ROLE_CHANGE,
            target_email="theirs@example.org",
        )
    page = org_admin_client.get(reverse("accounts:audit_list", args=[trust.ods_code]))
    assert page.status_code == 200
    assert "ours@example.org" in page.content.decode()
    assert "theirs@example.org" not in page.content.decode()
    members = org_admin_client.get(reverse("accounts:member_list", args=[trust.ods_code]))
    assert "ours@example.org" in members.content.decode()
    assert reverse("accounts:audit_list", args=[trust.ods_code]) in members.content.decode()


def test_an_audit_entry_for_another_trust_cannot_be_written_inside_a_scope(trust, other_trust):
    with scope(organisation=trust), pytest.raises(ScopeError):
        services.audit_entry_create(
            organisation=other_trust, actor=None, action=AuditAction.ROLE_CHANGE
        )


def test_only_org_admins_see_the_audit_log(pm_client, trust):
    assert pm_client.get(reverse("accounts:audit_list", args=[trust.ods_code])).status_code == 403


def test_audit_page_query_count_is_constant(
    org_admin_client, org_admin, trust, django_assert_max_num_queries
):
    url = reverse("accounts:audit_list", args=[trust.ods_code])

    def add(n):
        with scope(organisation=trust):
            for i in range(n):
                services.audit_entry_create(
                    organisation=trust,
                    actor=org_admin.user,
                    action=AuditAction.ROLE_CHANGE,
                    target_email=f"p{i}@example.org",
                )

    add(3)
    with django_assert_max_num_queries(8) as small:
        org_admin_client.get(url)
    add(40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        org_admin_client.get(url)
