from datetime import date

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name

from .dates import EARLIEST_DATE, LATEST_DATE, long_date
from .text import has_control_characters


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


# --- Every form a user sees -------------------------------------------------------------------

# 2**31 - 1: the largest value an integer column holds.
LARGEST_INTEGER = 2_147_483_647
# Free text longer than this is almost certainly not typed by a person.
LONGEST_TEXT = 20_000


def date_range_validator(label: str, earliest: date, latest: date):
    def validate(value):
        if value is not None and not earliest <= value <= latest:
            raise ValidationError(
                f"{label} must be between {long_date(earliest)} and {long_date(latest)}",
                code="date_out_of_range",
            )

    return validate


def _control_character_validator(label: str, multiline: bool):
    message = (
        f"{label} must not contain hidden control characters"
        if multiline
        else f"{label} must be on one line, without line breaks or hidden control characters"
    )

    def validate(value):
        if value and has_control_characters(str(value), multiline=multiline):
            raise ValidationError(message, code="control_characters")

    return validate


def _nhs_messages(field: forms.Field, label: str) -> dict[str, str]:
    """NHS-style wording for every error code Django can raise for this kind of field."""
    lower = label[0].lower() + label[1:] if label else "this"
    pick = isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.FileField)
    from_list = f"Select {lower} from the list"  # noqa: S608 - a message, not SQL
    messages = {
        "required": f"Select {lower}" if pick else f"Enter {lower}",
        "invalid_choice": from_list,
        "invalid_pk_value": from_list,
        "invalid_list": from_list,
        "max_length": f"{label} must be %(limit_value)d characters or fewer",
        "min_length": f"{label} must be %(limit_value)d characters or more",
        "min_value": f"{label} must be %(limit_value)s or more",
        "max_value": f"{label} must be %(limit_value)s or less",
        "step_size": f"{label} must be a multiple of %(limit_value)s",
        "max_digits": f"{label} must have %(max)s digits or fewer",
        "max_decimal_places": f"{label} can have at most %(max)s decimal places",
        "max_whole_digits": f"{label} must have %(max)s digits or fewer before the decimal point",
        "null_characters_not_allowed": f"{label} must not contain hidden control characters",
        "empty": f"The selected {lower} is empty",
        "missing": f"Select {lower}",
        "contradiction": f"Either select a new {lower} or remove the current one, not both",
        "unique": f"{label} is already in use",
    }
    if isinstance(field, forms.IntegerField):
        messages["invalid"] = f"{label} must be a whole number"
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        messages["invalid"] = f"{label} must be a number"
    elif isinstance(field, forms.DateField):
        messages["invalid"] = f"{label} must be a real date, like 31/03/2026"
    elif isinstance(field, forms.EmailField):
        messages["invalid"] = f"Enter {lower} in the correct format, like name@example.nhs.uk"
    elif isinstance(field, forms.URLField):
        messages["invalid"] = f"Enter {lower} as a web address, like https://www.nhs.uk"
    elif isinstance(field, forms.FileField):
        messages["invalid"] = f"The selected {lower} could not be read"
    else:
        messages["invalid"] = f"Enter a valid {lower}"
    return messages


def harden_field(name: str, field: forms.Field, date_range: tuple[date, date] | None = None):
    """Bring one field up to the rules of every form (see ``NHSFormMixin``)."""
    label = str(field.label or pretty_name(name))
    defaults = _nhs_messages(field, label)
    own = {
        code: message
        for code, message in field.error_messages.items()
        if message != _django_default(field, code)
    }
    field.error_messages = {**defaults, **own}
    # Django's own NUL check speaks Django; ours says the same thing in NHS style.
    field.validators = [
        v for v in field.validators if not isinstance(v, validators.ProhibitNullCharactersValidator)
    ]
    if isinstance(field, forms.CharField):
        multiline = isinstance(field.widget, forms.Textarea)
        field.validators.append(_control_character_validator(label, multiline))
        if field.max_length is None:
            field.max_length = LONGEST_TEXT
            field.validators.append(validators.MaxLengthValidator(LONGEST_TEXT))
            field.widget.attrs.setdefault("maxlength", str(LONGEST_TEXT))
    if isinstance(field, forms.IntegerField):
        if field.max_value is None:
            field.max_value = LARGEST_INTEGER
            field.validators.append(validators.MaxValueValidator(LARGEST_INTEGER))
        if field.min_value is None:
            field.min_value = -LARGEST_INTEGER
            field.validators.append(validators.MinValueValidator(-LARGEST_INTEGER))
    if isinstance(field, forms.DateField):
        earliest, latest = date_range or (EARLIEST_DATE, LATEST_DATE)
        field.validators.append(date_range_validator(label, earliest, latest))


def _django_default(field: forms.Field, code: str):
    """The message Django's own classes give ``code`` for this kind of field (None if none)."""
    for cls in type(field).__mro__:
        message = getattr(cls, "default_error_messages", {}).get(code)
        if message is not None:
            return message
    return None


class NHSFormMixin:
    """Mixed into every form: the rules no form should have to remember.

    - one-line text refuses line breaks and control characters; multi-line text refuses control
      characters other than line breaks and tabs, and has a length limit;
    - whole numbers fit an integer column; dates fall inside ``date_ranges[field]`` or
      ``EARLIEST_DATE``–``LATEST_DATE``;
    - every message Django would word by default is worded the NHS way, from the field's label.
    """

    date_ranges: dict[str, tuple[date, date]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            harden_field(name, field, self.date_ranges.get(name))

    def add_error(self, field, error):
        """Errors Django raises outside the validators (a field's ``to_python``, a library's own
        ``clean``) carry a code but Django's wording: word them like the field's other messages.
        Errors our code raises without a code keep their text."""
        if field in self.fields and isinstance(error, ValidationError):
            messages = self.fields[field].error_messages
            for item in error.error_list:
                if item.code and item.code in messages:
                    item.message = messages[item.code]
        super().add_error(field, error)


class NHSForm(NHSFormMixin, forms.Form):
    pass


class NHSModelForm(NHSFormMixin, forms.ModelForm):
    pass
