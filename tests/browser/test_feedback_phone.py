"""A clinician on a phone, from a ward QR code: one page, one POST, no account, no axe violations."""

import pytest

from accounts.scoping import scopes_disabled
from feedback.models import Feedback
from portfolio.models import Product
from tests.factories import FeedbackLinkFactory

from .harness import PHONE, PageWatcher, check_current_page

pytestmark = pytest.mark.browser


def test_phone_feedback_takes_one_page_and_one_post(demo_world, new_context, live_server):
    with scopes_disabled():
        product = Product.objects.filter(organisation__ods_code="RZ1").order_by("pk").first()
        link = FeedbackLinkFactory(
            organisation=product.organisation, product=product, site="Ward 7"
        )
    context = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    watcher = PageWatcher(page, live_server.url)
    posts = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )

    response = page.goto(f"{live_server.url}/f/{link.token}/")
    assert response.status == 200
    problems = check_current_page(page, "phone-feedback-form", watcher)
    page.get_by_label("Nurse or midwife").check()
    page.get_by_label("2", exact=True).check()
    page.get_by_label("Usability").check()
    page.get_by_label("Tell us more").fill("The discharge screen needs nine taps to send a letter.")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(f"**/f/{link.token}/thanks/")
    assert page.get_by_role("heading", name="Feedback sent").is_visible()
    problems += check_current_page(page, "phone-feedback-thanks", watcher)

    assert len(posts) == 1, posts
    with scopes_disabled():
        feedback = Feedback.objects.get(link=link)
    assert feedback.product == product
    assert feedback.staff_group == "nurse_midwife"
    assert feedback.site == "Ward 7"
    assert not problems, "\n\n".join(problems)
