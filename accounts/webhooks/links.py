"""Links to the service's own pages, in payloads and e-mails about webhooks."""

from django.conf import settings


def webhook_link(path: str) -> str:
    """``path`` made absolute when the service knows its address (WEBHOOK_LINK_BASE_URL)."""
    return settings.WEBHOOK_LINK_BASE_URL + path
