from django import forms

from accounts.permissions import Role
from accounts.selectors import member_user_list
from core.forms import NHSForm, NHSModelForm

from .models import Capability, Contract, LifecycleStage, Product, Supplier, TimeDecision
from .usage_import import MAX_UPLOAD_BYTES

DATE_ERRORS = {"invalid": "Enter a real date, like 31/03/2026"}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _label_user(user):
    return f"{user.get_full_name()} ({user.email})"


class ProductForm(NHSModelForm):
    """Owner and safety officer choices come only from the current trust's members."""

    class Meta:
        model = Product
        fields = [
            "name",
            "capability",
            "supplier",
            "lifecycle_stage",
            "owner",
            "clinical_safety_officer",
            "vision",
            "go_live_date",
            "licensed_seats",
            "time_decision",
            "time_rationale",
        ]
        widgets = {"go_live_date": DateInput()}
        labels = {
            "licensed_seats": "Licensed seats",
            "clinical_safety_officer": "Clinical safety officer",
            "time_decision": "TIME decision",
        }
        error_messages = {
            "name": {
                "required": "Enter the product name",
                "max_length": "Product name must be 200 characters or fewer",
            },
            "capability": {
                "required": "Select a capability",
                "invalid_choice": "Select a capability from the list",
            },
            "supplier": {"invalid_choice": "Select a supplier from the list"},
            "lifecycle_stage": {
                "required": "Select a lifecycle stage",
                "invalid_choice": "Select a lifecycle stage from the list",
            },
            "owner": {"invalid_choice": "Select a product owner who is a member of this trust"},
            "clinical_safety_officer": {
                "invalid_choice": "Select a clinical safety officer of this trust"
            },
            "go_live_date": DATE_ERRORS,
            "licensed_seats": {
                "invalid": "Licensed seats must be a whole number, like 1200",
                "min_value": "Licensed seats must be 0 or more",
            },
            "time_decision": {"invalid_choice": "Select a TIME decision from the list"},
        }
        help_texts = {
            "vision": "What this product is for and who it serves.",
            "time_decision": "Tolerate, invest, migrate or eliminate.",
            "time_rationale": "Why this decision: cost, use, satisfaction, risk.",
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["owner"].queryset = member_user_list(organisation)
        self.fields["clinical_safety_officer"].queryset = member_user_list(
            organisation, [Role.CLINICAL_SAFETY_OFFICER]
        )
        for name in ("owner", "clinical_safety_officer"):
            self.fields[name].label_from_instance = _label_user
            self.fields[name].empty_label = "Nobody yet"
        self.fields["supplier"].empty_label = "Not known"
        self.fields["time_decision"].choices = [("", "Not decided"), *TimeDecision.choices]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Product.objects.filter(name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("This trust already has a product with this name")
        return name

    def clean(self):
        data = super().clean()
        if data.get("time_decision") and not (data.get("time_rationale") or "").strip():
            self.add_error("time_rationale", "Enter the reason for the TIME decision")
        return data


class ProductFilterForm(NHSForm):
    """GET filters for the product list; bad values are ignored field by field."""

    q = forms.CharField(label="Name contains", required=False, max_length=100)
    capability = forms.ChoiceField(
        label="Capability", required=False, choices=[("", "Any"), *Capability.choices]
    )
    lifecycle_stage = forms.ChoiceField(
        label="Lifecycle stage", required=False, choices=[("", "Any"), *LifecycleStage.choices]
    )
    supplier = forms.ModelChoiceField(
        label="Supplier", required=False, queryset=Supplier.objects.all(), empty_label="Any"
    )
    archived = forms.BooleanField(label="Include archived products", required=False)

    def filters(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


class ContractForm(NHSModelForm):
    class Meta:
        model = Contract
        fields = [
            "supplier",
            "reference",
            "start_date",
            "end_date",
            "annual_cost",
            "licence_model",
            "seats",
            "notice_period_days",
            "renewal_status",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        labels = {
            "annual_cost": "Annual cost (£)",
            "notice_period_days": "Notice period (days)",
            "reference": "Contract reference",
        }
        error_messages = {
            "supplier": {
                "required": "Select the supplier",
                "invalid_choice": "Select a supplier from the list",
            },
            "start_date": {"required": "Enter the start date", **DATE_ERRORS},
            "end_date": {"required": "Enter the end date", **DATE_ERRORS},
            "annual_cost": {
                "required": "Enter the annual cost in pounds",
                "invalid": "Annual cost must be an amount in pounds, like 125000.00",
                "min_value": "Annual cost must be £0 or more",
                "max_digits": "Annual cost must be less than £10,000,000,000",
                "max_decimal_places": "Annual cost can have at most 2 decimal places (pence)",
            },
            "licence_model": {
                "required": "Select the licence model",
                "invalid_choice": "Select a licence model from the list",
            },
            "seats": {
                "invalid": "Seats must be a whole number, like 1200",
                "min_value": "Seats must be 0 or more",
            },
            "notice_period_days": {
                "required": "Enter the notice period in days",
                "invalid": "Notice period must be a whole number of days, like 90",
                "min_value": "Notice period must be 0 days or more",
            },
            "renewal_status": {"invalid_choice": "Select a renewal status from the list"},
        }
        help_texts = {"reference": "Optional. The supplier's or procurement reference."}

    def clean_notice_period_days(self):
        days = self.cleaned_data["notice_period_days"]
        if days is not None and days > 3650:
            raise forms.ValidationError("Notice period must be 3650 days (10 years) or fewer")
        return days

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "End date must be the same as or after the start date")
        return data


class UsageUploadForm(NHSForm):
    TOO_LARGE = f"The selected file must be smaller than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
    NOT_SAVED = (
        "The file could not be saved because of a problem on our side. Nothing was imported. "
        "Try again later"
    )

    file = forms.FileField(
        label="Upload a CSV file",
        help_text="Columns: date, product, active_users, and optionally site, department.",
        error_messages={"required": "Select a CSV file", "empty": "The selected file is empty"},
    )

    @classmethod
    def refused(cls, message: str) -> "UsageUploadForm":
        """A form showing ``message`` against the file, for an upload refused unread."""
        form = cls(data={}, files={})
        form.errors["file"] = form.error_class([message], renderer=form.renderer)
        return form

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("The selected file must be a CSV")
        if upload.size == 0:
            raise forms.ValidationError("The selected file is empty")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(self.TOO_LARGE)
        return upload
