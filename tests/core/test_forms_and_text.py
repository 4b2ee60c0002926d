"""The rules every form gets from NHSFormMixin, and the text helpers behind them."""

from datetime import date

import pytest
from django import forms

from core.forms import NHSForm
from core.text import has_control_characters, one_line


class ExampleForm(NHSForm):
    name = forms.CharField(label="Product name", max_length=20)
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)
    seats = forms.IntegerField(label="Seats", required=False)
    start = forms.DateField(label="Start date", required=False)
    colour = forms.ChoiceField(label="Colour", choices=[("r", "Red")], required=False)


@pytest.mark.parametrize(
    ("text", "multiline", "refused"),
    [
        ("Meridian EPR", False, False),
        ("Line\nbreak", False, True),
        ("Line\nbreak", True, False),
        ("Tab\there", True, False),
        ("Bell\x07", True, True),
        ("NUL\x00", False, True),
        ("Trojan\u202esource", True, True),
        ("Next\u2028line", False, True),
        ("\u200fעברית", False, False),  # a right-to-left mark is legitimate
        ("Café ☕", False, False),
    ],
)
def test_control_characters(text, multiline, refused):
    assert has_control_characters(text, multiline=multiline) is refused


def test_one_line_collapses_breaks_and_cuts():
    assert one_line("Bad\r\nBcc: x@example.org") == "Bad Bcc: x@example.org"
    assert one_line("a" * 300, limit=10) == "a" * 9 + "…"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Enter product name"),
        ({"name": "x" * 21}, "name", "Product name must be 20 characters or fewer"),
        ({"name": "a\r\nb"}, "name", "Product name must be on one line"),
        ({"name": "a\x00b"}, "name", "Product name must be on one line"),
        ({"name": "ok", "notes": "a\x00b"}, "notes", "Notes must not contain hidden control"),
        ({"name": "ok", "notes": "x" * 20_001}, "notes", "Notes must be 20000 characters or fewer"),
        ({"name": "ok", "seats": "2147483648"}, "seats", "Seats must be 2147483647 or less"),
        ({"name": "ok", "seats": "1.5"}, "seats", "Seats must be a whole number"),
        ({"name": "ok", "start": "0001-01-01"}, "start", "Start date must be between 1 January"),
        ({"name": "ok", "start": "9999-12-31"}, "start", "Start date must be between 1 January"),
        ({"name": "ok", "start": "31/02/2026"}, "start", "Start date must be a real date"),
        ({"name": "ok", "colour": "zzz"}, "colour", "Select colour from the list"),
    ],
)
def test_every_default_message_is_nhs_style(data, field, message):
    form = ExampleForm(data)
    assert not form.is_valid()
    assert len(form.errors[field]) == 1, form.errors[field]
    assert form.errors[field][0].startswith(message), form.errors[field]


def test_a_message_the_form_declares_is_kept():
    class Declared(NHSForm):
        name = forms.CharField(error_messages={"required": "Enter the product name"})

    assert Declared({}).errors["name"] == ["Enter the product name"]


def test_valid_values_pass():
    form = ExampleForm({"name": "Meridian", "notes": "two\nlines", "start": "2026-03-31"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["start"] == date(2026, 3, 31)
