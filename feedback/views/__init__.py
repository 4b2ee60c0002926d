"""Feedback pages, one module per journey: ``public`` (the QR-code form, no sign-in), ``triage``
(the feedback list and detail: read, vote, triage, merge, export), ``safety`` (the clinical safety
officer's queue) and ``links`` (QR-code links)."""
