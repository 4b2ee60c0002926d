from django import forms

from core.forms import NHSForm, NHSModelForm

from .guards import find_patient_identifier
from .models import Category, FeedbackLink, SafetyOutcome, StaffGroup, Status

TEXT_MAX = 2000


def refuse_patient_identifiers(value: str, where: str) -> str:
    """Raise the NHS-style error asking the person to remove a patient identifier from ``where``
    ("your feedback", "the ward or site"); return ``value`` when it holds none."""
    kind = find_patient_identifier(value)
    if kind:
        raise forms.ValidationError(
            f"Remove the {kind} from {where}. Do not include anything that could identify a patient"
        )
    return value


class FeedbackForm(NHSForm):
    """The one-page feedback form, used from a QR code (anonymous) and inside the app."""

    product = forms.ModelChoiceField(
        label="Which product is your feedback about?",
        queryset=None,
        empty_label="Select a product",
        error_messages={
            "required": "Select the product your feedback is about",
            "invalid_choice": "Select a product from the list",
        },
    )
    staff_group = forms.ChoiceField(
        label="What is your staff group?",
        choices=StaffGroup.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select your staff group",
            "invalid_choice": "Select your staff group",
        },
    )
    rating = forms.TypedChoiceField(
        label="How easy is it to use?",
        help_text="1 is very hard, 5 is very easy.",
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how easy the product is to use, from 1 to 5",
            "invalid_choice": "Select how easy the product is to use, from 1 to 5",
        },
    )
    category = forms.ChoiceField(
        label="What is your feedback about?",
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what your feedback is about",
            "invalid_choice": "Select what your feedback is about",
        },
    )
    text = forms.CharField(
        label="Tell us more",
        help_text="Do not include patient names, NHS numbers or anything that could identify a patient.",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Enter your feedback",
            "max_length": f"Feedback must be {TEXT_MAX} characters or fewer",
        },
    )
    patient_safety = forms.TypedChoiceField(
        label="Could this affect patient safety?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select yes if this could affect patient safety",
            "invalid_choice": "Select yes if this could affect patient safety",
        },
    )
    site = forms.CharField(
        label="Ward or site (optional)",
        required=False,
        max_length=100,
        error_messages={"max_length": "Ward or site must be 100 characters or fewer"},
    )
    contact_email = forms.EmailField(
        label="Email address (optional)",
        help_text="Only if you want to hear what happens with your feedback.",
        required=False,
        max_length=254,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@nhs.net"
        },
    )
    contact_consent = forms.BooleanField(
        label="I agree to be contacted by email about this feedback", required=False
    )
    # Honeypot: people never see or fill it; simple bots do.
    website = forms.CharField(label="Leave this field empty", required=False)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        if len(products) == 1:
            self.fields["product"].initial = products[0].pk
            self.fields["product"].empty_label = None

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Enter your feedback")
        return refuse_patient_identifiers(text, "your feedback")

    def clean_site(self):
        return refuse_patient_identifiers(self.cleaned_data["site"].strip(), "the ward or site")

    def clean(self):
        data = super().clean()
        email, consent = data.get("contact_email"), data.get("contact_consent")
        if email and not consent:
            self.add_error(
                "contact_consent",
                "Tick the box to agree to be contacted, or remove your email address",
            )
        if consent and not email and "contact_email" not in self.errors:
            self.add_error("contact_email", "Enter your email address, or untick the box")
        if data.get("category") == Category.PATIENT_SAFETY:
            data["patient_safety"] = True
        return data


class TriageForm(NHSForm):
    status = forms.ChoiceField(
        label="Status",
        choices=[c for c in Status.choices if c[0] != Status.DUPLICATE],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select a status",
            "invalid_choice": "Select a status from the list",
        },
    )
    response = forms.CharField(
        label="Response to the people who gave this feedback",
        help_text="Sent by email to those who agreed to be contacted when the status is planned, done or declined.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Response must be 2000 characters or fewer"},
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("status") in {Status.PLANNED, Status.DONE, Status.DECLINED}
            and not (data.get("response") or "").strip()
        ):
            self.add_error(
                "response", "Enter a response: the people who gave this feedback will receive it"
            )
        return data


class MergeForm(NHSForm):
    target = forms.ModelChoiceField(
        label="Which feedback is this a duplicate of?",
        queryset=None,
        empty_label="Select feedback",
        error_messages={
            "required": "Select the feedback this duplicates",
            "invalid_choice": "Select feedback from the list",
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = candidates
        self.fields["target"].label_from_instance = lambda f: f"#{f.pk}: {f.text[:80]}"


class SafetyCloseForm(NHSForm):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=SafetyOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the outcome",
            "invalid_choice": "Select an outcome from the list",
        },
    )
    reference = forms.CharField(
        label="Reference",
        help_text="The hazard log or incident reference, like HAZ-042 or INC-2026-0193.",
        max_length=100,
        error_messages={
            "required": "Enter the hazard log or incident reference",
            "max_length": "Reference must be 100 characters or fewer",
        },
    )

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        if not reference:
            raise forms.ValidationError("Enter the hazard log or incident reference")
        return reference


class FeedbackLinkForm(NHSModelForm):
    # Declared, not generated: a generated field would query the tenant model with no scope.
    product = forms.ModelChoiceField(
        label="Product (optional)",
        required=False,
        queryset=None,
        error_messages={"invalid_choice": "Select a product from the list"},
    )

    class Meta:
        model = FeedbackLink
        fields = ["name", "site"]
        labels = {"name": "Name of this link", "site": "Ward or site (optional)"}
        help_texts = {"name": "For example: Ward 7 EPR feedback poster."}
        error_messages = {
            "name": {
                "required": "Enter a name for this link",
                "max_length": "Name must be 120 characters or fewer",
            },
            "site": {"max_length": "Ward or site must be 100 characters or fewer"},
        }

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].empty_label = "Any product (people choose)"


class FeedbackFilterForm(NHSForm):
    product = forms.ModelChoiceField(
        label="Product",
        required=False,
        queryset=None,
        empty_label="Any",
        error_messages={"invalid_choice": "Select a product from the list"},
    )
    category = forms.ChoiceField(
        label="Category",
        required=False,
        choices=[("", "Any"), *Category.choices],
        error_messages={"invalid_choice": "Select a category from the list"},
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any"), *Status.choices],
        error_messages={"invalid_choice": "Select a status from the list"},
    )
    staff_group = forms.ChoiceField(
        label="Staff group",
        required=False,
        choices=[("", "Any"), *StaffGroup.choices],
        error_messages={"invalid_choice": "Select a staff group from the list"},
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a real date for ‘from’, like 2026-03-31"},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a real date for ‘to’, like 2026-03-31"},
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "The ‘to’ date must be the same as or after the ‘from’ date")
        return data

    def filters(self) -> dict | None:
        """The chosen filters; ``{}`` for none; None when one is invalid (the form has the errors),
        so that a filter that does not make sense never means "everything"."""
        if not self.is_bound:
            return {}
        if not self.is_valid():
            return None
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}
