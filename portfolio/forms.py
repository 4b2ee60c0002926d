from django import forms

from accounts.models import User

from .models import Product


class ProductForm(forms.ModelForm):
    """Only the current trust's members can be chosen as owner (no foreign-id injection)."""

    class Meta:
        model = Product
        fields = ["name", "capability", "supplier", "lifecycle_stage", "owner", "vision"]
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
        }
        help_texts = {"vision": "What this product is for and who it serves."}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["owner"].queryset = User.objects.filter(
            memberships__organisation=organisation
        ).order_by("full_name", "email")
        self.fields["owner"].label_from_instance = lambda user: (
            f"{user.get_full_name()} ({user.email})"
        )
        self.fields["supplier"].empty_label = "Not known"
        self.fields["owner"].empty_label = "Nobody yet"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Product.objects.filter(name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("This trust already has a product with this name")
        return name
