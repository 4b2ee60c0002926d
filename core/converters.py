"""Path converters: a URL whose parameters cannot be valid is a 404 before any view or query runs.

Django's ``str`` and ``int`` accept a NUL byte (which PostgreSQL refuses in a query, a 500) and
numbers wider than any database column. Every parameter in this app uses one of these instead.
"""

from django.urls import register_converter

LARGEST_ID = 2**63 - 1  # PostgreSQL bigint


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > LARGEST_ID:
            raise ValueError(value)  # Django answers "no match": 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class OdsCodeConverter:
    """An ODS code: letters and digits only (``RJ1``, ``G6V2S``, ``QWE``)."""

    regex = "[A-Za-z0-9]{2,10}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class TokenConverter:
    """A secret link token as made by ``secrets.token_urlsafe``."""

    regex = "[A-Za-z0-9_-]{8,128}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
    register_converter(OdsCodeConverter, "ods")
    register_converter(TokenConverter, "token")
