"""What every API endpoint shares: errors as RFC 9457 problem details, cursor pagination.

An error is ``application/problem+json``: ``type``, ``title``, ``status``, ``detail`` and, for bad
input, ``errors``: one entry per field (``field``, ``message``), the same messages the pages show.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms.models import model_to_dict
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

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
