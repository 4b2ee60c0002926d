"""Find every form a page renders, and what a browser would post back from it."""

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

from django import forms
from django.core import validators
from django.db import models
from django.test import Client

from .urlwalk import walk


@dataclass
class FormField:
    name: str
    kind: str  # text, textarea, email, number, date, select, radio, checkbox, hidden, file, ...
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class PageForm:
    action: str
    method: str
    fields: dict[str, FormField] = field(default_factory=dict)

    def baseline(self) -> dict[str, str]:
        """What a person would post without changing anything (a sensible value where empty)."""
        data = {}
        for f in self.fields.values():
            if f.kind == "file":
                continue
            if f.kind == "checkbox":
                if f.value:
                    data[f.name] = f.value
                continue
            value = f.value or next((o for o in f.options if o), "")
            if not value:
                value = {
                    "email": "someone@example.nhs.uk",
                    "number": "1",
                    "date": "2025-06-01",
                }.get(f.kind, "Ordinary words")
            data[f.name] = value
        return data


class _FormParser(HTMLParser):
    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = PageForm(
                action=a.get("action") or self.page_url, method=(a.get("method") or "get").lower()
            )
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset"}:
                return
            existing = self._form.fields.get(name)
            if kind in {"radio", "checkbox"}:
                entry = existing or FormField(name, kind)
                entry.options.append(a.get("value", "on"))
                if "checked" in a:
                    entry.value = a.get("value", "on")
                self._form.fields[name] = entry
            else:
                self._form.fields[name] = FormField(name, kind, a.get("value", ""))
        elif tag == "select":
            self._select = FormField(name, "select")
            self._form.fields[name] = self._select
        elif tag == "textarea":
            self._textarea = FormField(name, "textarea")
            self._form.fields[name] = self._textarea

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def unknown_decl(self, data):  # pragma: no cover - malformed HTML is not our concern here
        pass


class _OptionParser(_FormParser):
    def handle_starttag(self, tag, attrs):
        if tag == "option" and self._select is not None:
            a = dict(attrs)
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.value = value
            return
        super().handle_starttag(tag, attrs)


def page_forms(html: str, page_url: str) -> list[PageForm]:
    parser = _OptionParser(page_url)
    parser.feed(html)
    return parser.forms


def collect_forms(world, attackers_by_label):
    """Every form any of these people is shown on any page, keyed so each is walked once."""
    own = {**world.ids(world.trust_a), "ods_code": world.trust_a.ods_code}
    ics = {"ods_code": world.ics_a.ods_code}
    found = {}
    for label, user in attackers_by_label.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        for pattern in walk():
            if pattern.route.startswith("admin/"):
                continue
            values = ics if pattern.route.startswith("ics/") else own
            try:
                url = pattern.build(values)
            except KeyError:
                continue
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in page_forms(response.content.decode(), url):
                # The same form shown to several people is walked once, as the first of them.
                key = (form.method, form.action.split("?")[0], tuple(sorted(form.fields)))
                found.setdefault(key, (label, user, form))
    return found


# --- Django's own wording, which no page may show ---------------------------------------------


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _default_messages() -> set[str]:
    messages = set()
    for cls in [forms.Field, *_subclasses(forms.Field), models.Field, *_subclasses(models.Field)]:
        for message in getattr(cls, "default_error_messages", {}).values():
            messages.add(str(message))
    for validator in (
        validators.MaxValueValidator(0),
        validators.MinValueValidator(0),
        validators.MaxLengthValidator(0),
        validators.MinLengthValidator(0),
        validators.StepValueValidator(1),
        validators.ProhibitNullCharactersValidator(),
        validators.EmailValidator(),
        validators.URLValidator(),
    ):
        messages.add(str(validator.message))
    messages.update(str(m) for m in validators.DecimalValidator.messages.values())
    messages.add("%(model_name)s with this %(field_label)s already exists.")
    messages.add("Constraint “%(name)s” is violated.")
    return messages


def _as_pattern(message: str) -> re.Pattern:
    parts = re.split(r"%\(\w+\)[a-z]|%[a-z]", message)
    return re.compile(".{0,200}?".join(re.escape(part) for part in parts))


DJANGO_DEFAULTS = [_as_pattern(m) for m in sorted(_default_messages()) if len(m) > 8]


def django_default_messages_in(html: str) -> list[str]:
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    text = re.sub(r"\s+", " ", text)
    return [p.pattern for p in DJANGO_DEFAULTS if p.search(text)]
