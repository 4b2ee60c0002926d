from decimal import Decimal

from django import forms

from accounts.models import User
from core.forms import NHSForm, NHSModelForm

from .models import Horizon, ItemStatus, RoadmapItem, Visibility
from .rice import IMPACT_CHOICES, RiceError, rice_score


class RoadmapItemForm(NHSModelForm):
    product = forms.ModelChoiceField(
        label="Product",
        queryset=None,
        empty_label="Select a product",
        error_messages={
            "required": "Select the product",
            "invalid_choice": "Select a product from the list",
        },
    )
    owner = forms.ModelChoiceField(
        label="Owner",
        required=False,
        queryset=User.objects.none(),
        empty_label="Nobody yet",
        error_messages={"invalid_choice": "Select an owner who is a member of this trust"},
    )
    impact = forms.TypedChoiceField(
        label="Impact",
        choices=[(str(value), label) for value, label in IMPACT_CHOICES],
        coerce=Decimal,
        initial="1",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select an impact",
            "invalid_choice": "Select an impact from the list",
        },
    )

    class Meta:
        model = RoadmapItem
        fields = [
            "title",
            "description",
            "status",
            "horizon",
            "target_quarter",
            "expected_outcome",
            "reach",
            "confidence",
            "effort",
            "visibility",
        ]
        widgets = {
            "status": forms.RadioSelect,
            "horizon": forms.RadioSelect,
            "visibility": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 4}),
            "expected_outcome": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "reach": "Reach (people per quarter)",
            "confidence": "Confidence (%)",
            "effort": "Effort (person-months)",
            "target_quarter": "Target quarter (optional)",
        }
        help_texts = {
            "target_quarter": "For example, 2026-Q3.",
            "visibility": "Internal items are seen only in this trust.",
        }
        error_messages = {
            "title": {
                "required": "Enter a title",
                "max_length": "Title must be 200 characters or fewer",
            },
            "status": {
                "required": "Select a status",
                "invalid_choice": "Select a status from the list",
            },
            "horizon": {
                "required": "Select Now, Next or Later",
                "invalid_choice": "Select Now, Next or Later",
            },
            "target_quarter": {
                "invalid": "Enter a quarter like 2026-Q3",
                "max_length": "Enter a quarter like 2026-Q3",
            },
            "reach": {
                "required": "Enter the reach",
                "invalid": "Reach must be a whole number, like 400",
                "min_value": "Reach must be 0 or more people",
            },
            "confidence": {
                "required": "Enter the confidence",
                "invalid": "Confidence must be a whole number",
                "min_value": "Confidence must be between 0 and 100 per cent",
                "max_value": "Confidence must be between 0 and 100 per cent",
            },
            "effort": {
                "required": "Enter the effort",
                "invalid": "Effort must be a number of person-months, like 1.5",
                "max_digits": "Effort must be less than 10,000 person-months",
                "max_decimal_places": "Effort can have at most 2 decimal places",
            },
            "visibility": {
                "required": "Select who can see this item",
                "invalid_choice": "Select who can see this item",
            },
        }

    def __init__(self, *args, products, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["owner"].queryset = members
        self.fields["owner"].label_from_instance = lambda u: f"{u.get_full_name()} ({u.email})"
        if self.instance.pk:
            self.fields["product"].initial = self.instance.product_id
            self.fields["owner"].initial = self.instance.owner_id
            self.initial["impact"] = str(self.instance.impact.normalize())

    def clean(self):
        data = super().clean()
        needed = ("reach", "impact", "confidence", "effort")
        if all(data.get(name) is not None for name in needed) and not any(
            name in self.errors for name in needed
        ):
            try:
                data["rice_score"] = rice_score(
                    data["reach"], data["impact"], data["confidence"], data["effort"]
                )
            except RiceError as error:
                self.add_error(error.field, error.message)
        return data


class MoveForm(NHSForm):
    horizon = forms.ChoiceField(
        choices=Horizon.choices,
        error_messages={
            "required": "Select Now, Next or Later",
            "invalid_choice": "Select Now, Next or Later",
        },
    )


class StatusForm(NHSForm):
    status = forms.ChoiceField(
        label="Status",
        choices=ItemStatus.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select a status",
            "invalid_choice": "Select a status from the list",
        },
    )


class EvidenceForm(NHSForm):
    feedback = forms.ModelChoiceField(
        label="Feedback to cite as evidence",
        queryset=None,
        empty_label="Select feedback",
        error_messages={
            "required": "Select feedback to link",
            "invalid_choice": "Select feedback from the list",
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["feedback"].queryset = candidates
        self.fields["feedback"].label_from_instance = lambda f: f"#{f.pk}: {f.text[:70]}"


class LinkToItemForm(NHSForm):
    item = forms.ModelChoiceField(
        label="Roadmap item",
        queryset=None,
        empty_label="Select a roadmap item",
        error_messages={
            "required": "Select a roadmap item",
            "invalid_choice": "Select a roadmap item from the list",
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = candidates


class BoardFilterForm(NHSForm):
    product = forms.ModelChoiceField(
        label="Product",
        required=False,
        queryset=None,
        empty_label="All products",
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products


VISIBLE_TO_CONTRIBUTORS = [Visibility.ICS, Visibility.PUBLIC]
