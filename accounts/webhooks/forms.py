from django import forms

from core.forms import NHSForm

from ..models import WebhookEvent


class WebhookEndpointForm(NHSForm):
    url = forms.URLField(
        label="URL",
        help_text=(
            "Where to send the events, like https://servicedesk.example.nhs.uk/hooks/portfolio. "
            "It must start with https://"
        ),
        max_length=500,
        assume_scheme="https",
        error_messages={
            "required": "Enter the URL to send events to",
            "invalid": "Enter a URL, like https://servicedesk.example.nhs.uk/hooks/portfolio",
        },
    )
    description = forms.CharField(
        label="Description (optional)",
        help_text="What receives the events, so you can tell endpoints apart, like Service desk",
        max_length=100,
        required=False,
    )
    event_types = forms.MultipleChoiceField(
        label="Which events should be sent?",
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select at least one event",
            "invalid_choice": "Select events from the list",
        },
    )
    include_free_text = forms.BooleanField(
        label="Include what people wrote",
        help_text=(
            "The text of feedback and safety concerns and the responses to them. Only choose "
            "this if the receiving system is approved to hold clinical free text. Names and "
            "e-mail addresses are never sent."
        ),
        required=False,
    )
