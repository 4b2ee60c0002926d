"""What every API endpoint shares: errors as RFC 9457 problem details, cursor pagination.

An error is ``application/problem+json``: ``type``, ``title``, ``status``, ``detail`` and, for bad
input, ``errors``: one entry per field (``field``, ``message``), the same messages the pages show.
"""

import copy
import functools
import operator
from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms.models import model_to_dict
from django.http import Http404
from django.urls import get_script_prefix, reverse
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import ISO_8601, exceptions, serializers, status
from rest_framework.fields import Field, SkipField, is_simple_callable
from rest_framework.pagination import CursorPagination
from rest_framework.relations import PKOnlyObject
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

# The largest value of a PositiveIntegerField on PostgreSQL: the schema's bound for counts and
# seats, so that it does not depend on the database the schema was made on.
MAX_INT = 2_147_483_647
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPES = {
    400: "invalid-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
    503: "unavailable",
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."


class Unavailable(exceptions.APIException):
    """The server cannot take the request now (storage full, database down); try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service cannot take this request now. Try again in a minute."
    retry_after = 60


class ProblemJSONRenderer(JSONRenderer):
    media_type = PROBLEM_CONTENT_TYPE


def _field_errors(detail, prefix="") -> list[dict]:
    if isinstance(detail, dict):
        errors = []
        for field, value in detail.items():
            name = f"{prefix}.{field}" if prefix else str(field)
            if field == "non_field_errors" or field == "__all__":
                name = prefix
            errors += _field_errors(value, name)
        return errors
    if isinstance(detail, list):
        errors = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                errors += _field_errors(value, f"{prefix}[{index}]")
            else:
                errors.append({"field": prefix or None, "message": str(value)})
        return errors
    return [{"field": prefix or None, "message": str(detail)}]


def problem(status_code: int, title: str, detail: str = "", errors=None, headers=None) -> Response:
    body = {
        "type": f"https://nhs-product-portfolio.example/problems/{PROBLEM_TYPES.get(status_code, 'error')}",
        "title": title,
        "status": status_code,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_exception_handler(exc, context):
    """DRF's handler, with Django's 404/403 and validation errors, answered as problem details."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404 | ObjectDoesNotExist):  # a selector's .get() in another scope
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling, logged
    detail = exc.detail if isinstance(exc, exceptions.APIException) else None
    if isinstance(exc, exceptions.ValidationError):
        result = problem(
            status.HTTP_400_BAD_REQUEST,
            "Your request has problems",
            "Correct the fields listed in errors.",
            errors=_field_errors(detail),
        )
    else:
        title = str(detail) if isinstance(detail, str) else "The request could not be completed"
        result = problem(response.status_code, title)
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            result[header] = response[header]
    if getattr(exc, "retry_after", None):
        result["Retry-After"] = str(exc.retry_after)
    return result


def form_data(request, instance=None, fields=()) -> dict:
    """A JSON object request body as a form's data, over the object's current values (so a
    PATCH changes only what it names). The pages' forms then check it: one set of rules."""
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
    data = {}
    if instance is not None:
        data = {k: v for k, v in model_to_dict(instance, fields=fields).items() if v is not None}
    nested = {}
    for key, value in request.data.items():
        if isinstance(value, dict | list):
            nested[key] = ["Send a single value, not a list or an object."]
        elif value is None:
            data[key] = ""
        elif isinstance(value, bool):
            data[key] = "true" if value else "false"
        else:
            data[key] = str(value)  # as a form post has it: the form parses and checks it
    if nested:
        raise exceptions.ValidationError(nested)
    return data


def valid(form) -> dict:
    """The form's cleaned data, or a 400 with each field's messages (the pages' own)."""
    if not form.is_valid():
        raise exceptions.ValidationError(
            {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        )
    return form.cleaned_data


class Cursor(CursorPagination):
    """Stable pages however rows are added: the cursor is the last row's position, not an offset."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-pk"


# A serializer mixin: DRF's own output, several times faster for lists.
#
# DRF's ``Serializer.to_representation`` resolves every field's source, catches its errors and
# checks for None, row by row; for a page of 50 products that is most of the request. This
# works out once per serializer instance (for a list, once per request) how to read each field
# and reads it with ``operator.attrgetter``. A value is then written as DRF writes it: a str,
# int or bool of a plain text, number, choice or boolean field as it is (what the field's
# ``to_representation`` returns for it), an aware datetime in the current time zone in ISO
# 8601 (``DateTimeField``'s own steps, with the zone looked up once), and anything else by the
# field's own ``to_representation``. Fields that resolve their value in their own way
# (related fields, ``many=True``), and a field whose source cannot be read on a row (``a.b``
# where ``a`` is None), are read DRF's way, with its default, ``allow_null`` or skip. Anything
# else unexpected sends the row through DRF's own method, so the output is DRF's in every case
# (tests/core/test_fast_representation.py compares them).
#
# (A comment, not a docstring: the schema would show it as every serializer's description.)
class FastRepresentation:
    def get_fields(self):
        """The fields, built once per class from its declaration and model and then copied:
        ModelSerializer otherwise reads the model's fields again for every serializer made."""
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype
        return copy.deepcopy(prototype)

    def to_representation(self, instance):
        mapping = isinstance(instance, Mapping)  # DRF reads a dict's keys, an object's attributes
        plans = self.__dict__.setdefault("_fast_plans", {})
        plan = plans.get(mapping)
        if plan is None:
            plan = plans[mapping] = _fast_plan(self, mapping)
        out = {}
        try:
            for name, get, convert, plain, field in plan:
                if get is not None:
                    try:
                        value = get(instance)
                    except Exception:  # noqa: BLE001 - DRF's own lookup below decides
                        value = _UNREAD
                    if value is not _UNREAD:
                        if type(value) is plain or value is None:
                            out[name] = value
                            continue
                        if callable(value) and is_simple_callable(value):
                            value = value()
                        out[name] = None if value is None else convert(value)
                        continue
                elif convert is not None:  # source="*": the whole object
                    out[name] = convert(instance)
                    continue
                # DRF's way: its lookup, with the field's default, allow_null or SkipField.
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                out[name] = None if check is None else field.to_representation(attribute)
        except Exception:  # noqa: BLE001 - DRF's own method decides, and raises, as it would
            return super().to_representation(instance)
        return out


_UNREAD = object()  # a getter failed: DRF's own lookup takes that field

# Field classes whose to_representation returns a value of this exact type unchanged.
_PLAIN = {
    serializers.CharField: str,
    serializers.EmailField: str,
    serializers.ChoiceField: str,
    serializers.IntegerField: int,
    serializers.BooleanField: bool,
}


def _fast_plan(serializer, mapping: bool) -> list[tuple]:
    """(name, getter, converter, plain type, field) per readable field. No getter and no
    converter: the field is read DRF's way; a getter that fails: that field is, on that row."""
    plan = []
    for field in serializer._readable_fields:
        name = field.field_name
        if type(field).get_attribute is not Field.get_attribute or (
            mapping and len(field.source_attrs) > 1
        ):
            plan.append((name, None, None, None, field))
        elif field.source == "*":
            plan.append((name, None, field.to_representation, None, field))
        else:
            get = (operator.itemgetter if mapping else operator.attrgetter)(field.source)
            plan.append((name, get, _converter(field), _plain_type(field), field))
    return plan


def _plain_type(field) -> type | None:
    """The type whose values ``field.to_representation`` returns unchanged, if there is one."""
    plain = _PLAIN.get(type(field))
    if plain is str and type(field) is serializers.ChoiceField:
        # A choice is written as its key: unchanged only if every key is itself a string.
        keys = field.choice_strings_to_values.values()
        return str if all(type(key) is str for key in keys) else None
    return plain


def _converter(field):
    if type(field) is serializers.DateTimeField and _iso_in_current_zone(field):
        zone = field.default_timezone()
        if zone is not None:

            def datetime_iso(value, zone=zone, slow=field.to_representation):
                if type(value) is not datetime or value.tzinfo is None:
                    return slow(value)
                text = value.astimezone(zone).isoformat()
                return text[:-6] + "Z" if text.endswith("+00:00") else text

            return datetime_iso
    return field.to_representation


def _iso_in_current_zone(field) -> bool:
    output = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return isinstance(output, str) and output.lower() == ISO_8601 and not hasattr(field, "timezone")


def detail_url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a route whose one argument is an id, worked out once per
    route (a list names a URL on every row, and ``reverse`` is a tenth of a list request)."""
    head, tail = _url_around_id(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"


_ID_MARK = 987654321


@functools.lru_cache(maxsize=128)
def _url_around_id(name: str, script_prefix: str) -> tuple[str, str]:
    head, tail = reverse(name, args=[_ID_MARK]).split(str(_ID_MARK))
    return head, tail


class Filters(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the filter set's parameters (a
    plain list: building and validating the filter form is a tenth of its time). A filter set
    whose empty form still filters says so in ``unfiltered(queryset)``, used in that case too."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            unfiltered = getattr(filterset_class, "unfiltered", None)
            return unfiltered(queryset) if unfiltered else queryset
        return super().filter_queryset(request, queryset, view)
