"""Walk every URL pattern of the project, so harness tests cover URLs nobody listed by hand."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Pattern:
    route: str  # human-readable, e.g. "o/<str:ods_code>/products/<int:product_id>/"
    name: str | None
    kwargs: tuple[str, ...]
    callback: object

    def build(self, values: dict[str, str]) -> str:
        """Fill each kwarg; a kwarg missing from ``values`` raises KeyError (fail loudly)."""
        return "/" + _fill(self.route, values)


def _fill(route: str, values: dict[str, str]) -> str:
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), route)
    return route.replace("^", "").replace("$", "")


def walk(patterns=None, prefix="", namespace=None):
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = _pattern_text(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, prefix + route, ns)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield Pattern(
                route=prefix + route,
                name=name,
                kwargs=_kwargs(prefix + route),
                callback=entry.callback,
            )


def _kwargs(route: str) -> tuple[str, ...]:
    return tuple(re.findall(r"<(?:\w+:)?(\w+)>", route) + re.findall(r"\(\?P<(\w+)>", route))


def _pattern_text(pattern) -> str:
    return str(pattern)
