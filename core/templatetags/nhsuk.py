"""Render Django form fields with NHS.UK frontend markup (error message, hint, fieldsets)."""

from django import forms, template
from django.template.loader import render_to_string

register = template.Library()


def _kind(widget) -> str:
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    return "input"


_INPUT_CLASS = {
    "input": "nhsuk-input",
    "select": "nhsuk-select",
    "textarea": "nhsuk-textarea",
    "file": "nhsuk-file-upload",
}


@register.simple_tag
def nhs_field(bound_field, width_class="", legend_size="m"):
    """``{% nhs_field form.email %}`` renders label, hint, error message and control."""
    kind = _kind(bound_field.field.widget)
    described_by = []
    if bound_field.help_text:
        described_by.append(f"{bound_field.auto_id}-hint")
    if bound_field.errors:
        described_by.append(f"{bound_field.auto_id}-error")
    attrs = {}
    if kind in _INPUT_CLASS:
        css = [_INPUT_CLASS[kind]]
        if width_class:
            css.append(width_class)
        if bound_field.errors:
            css.append(f"{_INPUT_CLASS[kind]}--error")
        attrs["class"] = " ".join(css)
    if described_by and kind not in {"radios", "checkboxes"}:
        attrs["aria-describedby"] = " ".join(described_by)
    if kind == "checkbox":
        attrs["class"] = "nhsuk-checkboxes__input"
    options = []
    if kind in {"radios", "checkboxes"}:
        for index, choice in enumerate(bound_field.subwidgets):
            options.append(
                {
                    "id": f"{bound_field.auto_id}"
                    if index == 0
                    else f"{bound_field.auto_id}-{index}",
                    "value": choice.data["value"],
                    "label": choice.choice_label,
                    "checked": choice.data["selected"],
                }
            )
    widget_html = "" if kind in {"radios", "checkboxes"} else bound_field.as_widget(attrs=attrs)
    return render_to_string(
        "includes/field.html",
        {
            "field": bound_field,
            "kind": kind,
            "widget_html": widget_html,
            "options": options,
            "described_by": " ".join(described_by),
            "legend_size": legend_size,
        },
    )


@register.inclusion_tag("includes/error_summary.html")
def nhs_error_summary(*forms_):
    """One error summary for one or more forms, linking each message to its field."""
    items = []
    for form in forms_:
        if form is None or not form.errors:
            continue
        for error in form.non_field_errors():
            items.append({"href": None, "message": error})
        for bound_field in form:
            for error in bound_field.errors:
                items.append({"href": f"#{bound_field.auto_id}", "message": error})
    return {"items": items}
