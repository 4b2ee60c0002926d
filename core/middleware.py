"""Requests no page can answer meaningfully are refused before any view or query runs."""

from django.http import HttpResponseBadRequest, HttpResponseNotFound

from .text import has_control_characters


class RejectControlCharactersMiddleware:
    """A control character in the path is a 404, in the query string a 400.

    Our own URLs already refuse them through path converters (core.converters); this covers the
    pages of libraries (sign-in, admin) too, and query parameters a view reads directly.
    PostgreSQL rejects NUL in any text it is sent, which would otherwise be a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_control_characters(request.path):
            return HttpResponseNotFound("Page not found")
        for key, values in request.GET.lists():
            if any("\x00" in text for text in (key, *values)):
                return HttpResponseBadRequest(
                    "The address contains a character that is not allowed"
                )
        return self.get_response(request)
