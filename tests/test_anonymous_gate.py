"""Anonymous gate: every URL not on the reviewed allow-list sends an anonymous user to sign in."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from .urlwalk import walk

# Sample values for every URL kwarg in the project; an unknown kwarg fails the walk (KeyError).
SAMPLE_KWARGS = {
    "ods_code": "R0001",
    "product_id": "1",
    "membership_id": "1",
    "invitation_id": "1",
    "contract_id": "1",
    "import_id": "1",
    "feedback_id": "1",
    "link_id": "1",
    "item_id": "1",
    "token": "not-a-real-token",
    "key": "not-a-real-key",
    "uidb36": "1",
    "object_id": "1",
    "app_label": "accounts",
    "content_type_id": "1",
    "id": "1",
    "url": "anything/",
    "provider_id": "nhsmail",
    "token_id": "1",
    "endpoint_id": "1",
    "ics_token_id": "1",
}
EXPECTED_PUBLIC = {
    "accounts:health",
    "core:accessibility",
    "core:privacy",
    "core:cookies",
    "core:contact",
    "core:status",
    "accounts:invitation_accept",
    "feedback:public_form",
    "feedback:public_thanks",
    "feedback:contact_confirm",
    "roadmaps:item_public",
    "account_login",
    "account_logout",
    "account_signup",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "mfa_authenticate",
    "openid_connect_login",
    "openid_connect_callback",
    "accounts:sso_jwks",
    "socialaccount_login_cancelled",
    "socialaccount_login_error",
    "socialaccount_signup",
}


def check_gate(patterns):
    """Return (checked, failures) for anonymous GET and POST on every pattern."""
    client = Client(raise_request_exception=False)  # a crash counts as a failure, not an error
    login_url = reverse(settings.LOGIN_URL)
    failures = []
    checked = 0
    for pattern in patterns:
        url = pattern.build(SAMPLE_KWARGS)
        public = pattern.name in settings.ANONYMOUS_ALLOWED_URL_NAMES
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            checked += 1
            if response.status_code >= 500:
                failures.append((method.upper(), url, response.status_code))
                continue
            goes_to_login = response.status_code == 302 and response["Location"].startswith(
                login_url
            )
            if (pattern.name or "").startswith("api:") and pattern.name != "api:docs":
                # The API refuses with 401 (403 for CSRF; 405 for a method none of its views
                # handles, which the schema publishes anyway) as problem details, never a page.
                if response.status_code not in (401, 403, 405) or not response[
                    "Content-Type"
                ].startswith("application/problem+json"):
                    failures.append((method.upper(), url, response.status_code))
                continue
            if not public and not goes_to_login:
                failures.append((method.upper(), url, response.status_code))
    return checked, failures


def test_allow_list_is_the_reviewed_one():
    # Changing the public pages is a reviewed decision: update both lists together.
    assert set(settings.ANONYMOUS_ALLOWED_URL_NAMES) == EXPECTED_PUBLIC


@pytest.mark.django_db
def test_every_url_not_on_the_allow_list_redirects_anonymous_users_to_sign_in():
    patterns = list(walk())
    assert len(patterns) > 40
    checked, failures = check_gate(patterns)
    print(f"gate: patterns={len(patterns)} requests={checked} failures={len(failures)}")
    assert failures == []


@pytest.mark.django_db
def test_public_pages_open_without_sign_in(client):
    assert client.get(reverse("account_login")).status_code == 200
    assert client.get(reverse("account_reset_password")).status_code == 200
    assert client.get(reverse("accounts:health")).json() == {"status": "ok"}
