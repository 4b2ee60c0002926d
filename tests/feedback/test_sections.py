"""The registry through which apps above feedback add sections to its detail page."""

from feedback import sections
from feedback.sections import Section, detail_sections, register_detail_section


def test_providers_run_in_order_and_none_means_nothing_to_show(monkeypatch):
    monkeypatch.setattr(sections, "_providers", [])
    register_detail_section(lambda request, feedback: Section("a.html", {"n": feedback}))
    register_detail_section(lambda request, feedback: None)
    register_detail_section(lambda request, feedback: Section("b.html"))
    assert detail_sections(None, 7) == [Section("a.html", {"n": 7}), Section("b.html", {})]


def test_registering_twice_adds_one_section(monkeypatch):
    monkeypatch.setattr(sections, "_providers", [])

    def provider(request, feedback):
        return Section("a.html")

    register_detail_section(provider)
    register_detail_section(provider)
    assert detail_sections(None, 1) == [Section("a.html")]
