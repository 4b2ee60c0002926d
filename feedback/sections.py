"""Sections that apps above feedback add to the feedback detail page.

feedback may not import those apps (DESIGN.md "Layers"), so they register a provider here from
their ``AppConfig.ready()``. A provider is called with the request and the feedback and returns
None (nothing for this user) or a :class:`Section`; the page includes each section's template,
in registration order, with its context under the name ``section``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    template: str
    context: dict = field(default_factory=dict)


_providers: list[Callable] = []


def register_detail_section(provider: Callable) -> Callable:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def detail_sections(request, feedback) -> list[Section]:
    return [
        section for provider in _providers if (section := provider(request, feedback)) is not None
    ]
