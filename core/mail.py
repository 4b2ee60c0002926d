"""Sending e-mail: every subject passes through ``one_line`` so no stored value can break a header."""

from django.core.mail import send_mail

from .text import one_line


def mail_send(*, subject: str, body: str, to: list[str]) -> None:
    """Send a plain-text e-mail from the service's default address.

    Django refuses a subject holding a line break (``BadHeaderError``); a product or trust name
    must never be able to stop a notification, so the subject is made one line here.
    """
    send_mail(
        subject=one_line(subject, limit=250), message=body, from_email=None, recipient_list=to
    )
