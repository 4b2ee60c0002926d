from django import forms
from django.core.exceptions import ValidationError


def bound_data(request):
    """What a form is bound to: the POST data on a POST (even an empty one), nothing on a GET."""
    return request.POST if request.method == "POST" else None


def add_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form, per field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
