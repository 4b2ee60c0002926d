"""Webhooks: a trust's own systems told about events as they happen, per Standard Webhooks 1.0.

- The apps above ``accounts`` call ``services.webhook_emit`` inside the transaction of the change
  they report. It writes one :class:`~accounts.models.WebhookDelivery` per enabled endpoint that
  subscribes to the event and sends its task after the commit (``core.queue``: the outbox), so
  a committed change is reported even when Redis is down at that moment.
- ``delivery`` sends one delivery: it claims the row with a conditional update (two workers never
  both send), signs the body (``signing``), POSTs it without following redirects, and records the
  answer. A failure is retried on ``settings.WEBHOOK_RETRY_SCHEDULE`` by the beat sweep; an
  endpoint that keeps failing is turned off and the trust's admins are e-mailed.
- ``addresses`` keeps deliveries off private networks (server-side request forgery).
- Payloads hold ids, links and fields that identify nobody; free text only for an endpoint whose
  trust opted in (``WebhookEndpoint.include_free_text``), and never a submitter's name or address.
"""
