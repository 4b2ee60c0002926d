"""The browser harness: sign in, open a page, run axe-core, take a screenshot, record the outcome.

Kept free of pytest fixtures so the self-test can prove the very same code finds violations.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

from demo.world import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = ROOT / "tests" / "vendor" / "axe.min.js"
# Pages keep their real Content Security Policy (script-src 'self' + nonce), which refuses an
# inline <script>, so on the live server axe-core is served from this same-origin path by the
# context's route handler instead of being inlined.
AXE_ROUTE = "/__browser-tests__/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LOGIN_PATH = "/accounts/login/"
PHONE = {"width": 390, "height": 844}

_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html})),
  }));
}"""
# nhsuk-frontend.min.css sets the Frutiger stack on <body>; without the stylesheet it is the
# browser default. Catches a page that renders unstyled (static files or CSP broken).
_NHS_STYLED = "() => getComputedStyle(document.body).fontFamily.includes('Frutiger')"


def guard_network(context, base_url: str) -> None:
    """Only the live server is reachable: tests never touch the internet (NHS fonts fall back)."""

    def handle(route):
        url = route.request.url
        if url == base_url + AXE_ROUTE:
            route.fulfill(path=AXE_JS, content_type="text/javascript")
        elif url.startswith(base_url) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", handle)


def log_in(page, email: str, password: str | None = None) -> None:
    """Sign in through the real allauth form, as a person would."""
    if password is None:
        password = DEMO_PASSWORD
    page.goto(LOGIN_PATH)
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert urlsplit(page.url).path != LOGIN_PATH, f"sign-in as {email} failed: still on {page.url}"
    assert email in page.inner_text("header"), f"{email} is not shown as signed in on {page.url}"


def reauthenticate(page, password: str | None = None) -> None:
    """Confirm the password again, as allauth asks before the MFA set-up pages."""
    if password is None:
        password = DEMO_PASSWORD
    page.goto("/accounts/reauthenticate/")
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/accounts/reauthenticate/" not in page.url, f"reauthentication failed: {page.url}"


def run_axe(page) -> list[dict]:
    """Violations of WCAG 2.2 AA (as axe-core tags them) on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        parts = urlsplit(page.url)
        if parts.scheme in ("http", "https"):
            page.add_script_tag(url=f"{parts.scheme}://{parts.netloc}{AXE_ROUTE}")
        else:  # about:blank / set_content: no CSP, inline it
            page.add_script_tag(path=str(AXE_JS))
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        raise AssertionError(f"axe-core could not be injected into {page.url}")
    return page.evaluate(_RUN_AXE, AXE_TAGS)


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{url}: {len(violations)} accessibility violation(s)"]
    for violation in violations:
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            lines.append(f"      {node['target']}  {node['html'][:200]}")
    return "\n".join(lines)


def screenshot_path(role: str, url: str) -> Path:
    parts = urlsplit(url)
    name = (parts.path.strip("/") or "root") + (f"?{parts.query}" if parts.query else "")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:150]
    return SCREENSHOTS / re.sub(r"[^A-Za-z0-9._-]+", "_", role) / f"{name}.png"


@dataclass
class Visit:
    role: str
    url: str
    outcome: str  # checked | refused | skipped | redirect | sign-in | error
    detail: str = ""
    final_url: str = ""
    status: int | None = None
    problems: list[str] = field(default_factory=list)  # anything that fails the test

    def line(self) -> str:
        target = f" -> {self.final_url}" if self.final_url and self.final_url != self.url else ""
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.outcome:8}{status:4} {self.url}{target}  {self.detail}".rstrip()


class PageWatcher:
    """Collects console errors (CSP violations, JS errors) and failed same-origin requests."""

    def __init__(self, page, base_url: str):
        self.base_url = base_url
        self.errors: list[str] = []
        self.document_status: int | None = None  # of the last main-frame document
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"JavaScript error: {error}"))
        page.on("response", self._response)

    def _console(self, message):
        # "Failed to load resource" repeats a status: _response judges sub-resources, and the
        # page's own status (400 on a form with errors, 403, 404) is judged by the test.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console error: {message.text}")

    def _response(self, response):
        if response.request.resource_type == "document" and response.frame.parent_frame is None:
            self.document_status = response.status
        kind = response.request.resource_type
        if kind != "document" and response.url.startswith(self.base_url) and response.status >= 400:
            self.errors.append(f"{response.status} for {kind} {response.url}")

    def take(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors


def check_current_page(
    page, role: str, watcher: PageWatcher | None = None, screenshot: bool = True
) -> list[str]:
    """Run every check on the page as it is now; return the problems found."""
    problems = []
    violations = run_axe(page)
    if violations:
        problems.append(format_violations(page.url, violations))
    if not page.evaluate(_NHS_STYLED):
        problems.append(f"{page.url}: NHS.UK stylesheet not applied (page renders unstyled)")
    if screenshot:
        path = screenshot_path(role, page.url)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
    if watcher is not None:
        problems.extend(f"{page.url}: {error}" for error in watcher.take())
    return problems


def _goto(page, url: str):
    """``page.goto``, retried when another navigation interrupts it.

    Chromium now and then restarts a navigation (seen in CI on a 403 page: "interrupted by another
    navigation to" the same URL). Resetting to about:blank before retrying removes whatever the
    previous document was still doing.
    """
    attempts = 5
    for attempt in range(attempts):
        try:
            return page.goto(url)
        except PlaywrightError as error:
            if "interrupted by another navigation" not in str(error) or attempt == attempts - 1:
                raise
            page.wait_for_timeout(250 * (attempt + 1))
            with contextlib.suppress(
                PlaywrightError
            ):  # Chromium's error page may still be arriving
                page.goto("about:blank")
    raise AssertionError("unreachable")


def visit(page, watcher: PageWatcher, role: str, url: str, checked: set[str]) -> Visit:
    """Open ``url``; check it unless it is refused, not HTML, or a page already checked."""
    watcher.take()
    watcher.document_status = None
    try:
        response = _goto(page, url)
    except PlaywrightError as error:
        page.wait_for_load_state()  # let Chromium's own error page settle before the next goto
        watcher.take()
        if "Download is starting" in str(error):
            return Visit(role, url, "skipped", "file download, not a page")
        # An error status with an empty body (Django's 405) shows Chromium's error page instead.
        status = watcher.document_status
        if "ERR_HTTP_RESPONSE_CODE_FAILURE" in str(error) and status and status >= 400:
            response = None
        else:
            return Visit(role, url, "error", problems=[f"{url}: navigation failed: {error}"])
    else:
        status = response.status
    final = page.url.removeprefix(watcher.base_url) if response else url
    result = Visit(role, url, "checked", final_url=final, status=status)
    content_type = response.headers.get("content-type", "") if response else ""
    if status >= 500:
        result.outcome = "error"
        result.problems.append(f"{url}: server error {status}")
    elif status == 405:
        result.outcome, result.detail = "skipped", "POST-only (GET answers 405)"
    elif status in (403, 404):
        result.outcome, result.detail = "refused", "not visible to this role"
    elif response is None or "html" not in content_type:
        result.outcome, result.detail = "skipped", f"not HTML ({content_type.split(';')[0]})"
    elif final in checked:
        result.outcome, result.detail = "redirect", "to a page already checked"
    elif role == "anonymous" and urlsplit(final).path == LOGIN_PATH and url != LOGIN_PATH:
        result.outcome, result.detail = "sign-in", "redirected to sign in"
    else:
        checked.add(final)
        result.problems.extend(check_current_page(page, role, watcher))
        return result
    watcher.take()  # only checked pages are judged on their sub-resources and console
    return result


class Report:
    def __init__(self):
        self.lines: list[str] = []

    def add(self, role: str, visits: list[Visit], skipped: list[tuple[str, str]]) -> list[str]:
        start = len(self.lines)
        counts: dict[str, int] = {}
        for item in visits:
            counts[item.outcome] = counts.get(item.outcome, 0) + 1
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
        self.lines.append(
            f"{role}: {len(visits)} URLs visited ({summary}); "
            f"{len(skipped)} URL patterns not visited"
        )
        for item in visits:
            if item.outcome != "checked":
                self.lines.append(f"    {item.line()}")
        reasons: dict[str, list[str]] = {}
        for route, reason in skipped:
            reasons.setdefault(reason, []).append(f"/{route}")
        for reason, routes in reasons.items():
            shown = routes if len(routes) <= 3 else [f"{len(routes)} patterns"]
            self.lines.append(f"    not visited  {', '.join(shown)}: {reason}")
        return self.lines[start:]
