"""The site in a real Chromium: both languages, search, the report button, live incidents,
asking for alerts."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from notify.receiver import receiver, signed_by
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect, sync_playwright
from probe.local_http import free_loopback_address, serving_in_a_thread
from probe.local_web import Certificates

from rasd.clock import minute_of
from rasd.notify.notifier import Notifier, notifier_of
from web.server import TOKEN, LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("web")) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """Every request the page makes, anything not to 127.0.0.1 refused; CSP complaints too."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.base = base
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.console: list[str] = []
        context.route("**/*", self._route)
        context.on("request", self._seen)

    def _route(self, route: object, request: Request) -> None:
        if request.url.startswith(self.base + "/"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.outside.append(request.url)
            route.abort()  # type: ignore[attr-defined]

    def _seen(self, request: Request) -> None:
        self.requests.append(request.url)

    def page(self, context: BrowserContext) -> Page:
        page = context.new_page()
        page.on("console", lambda m: self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))
        return page

    def check(self) -> None:
        assert self.requests, "the page made no request at all"
        assert not self.outside, f"requests left 127.0.0.1: {self.outside}"
        assert all(u.startswith(self.base) for u in self.requests)
        bad = [m for m in self.console if "Content Security Policy" in m or "page error" in m]
        assert not bad, bad


def _context(browser: Browser, locale: str, width: int = 390) -> BrowserContext:
    return browser.new_context(
        locale=locale, viewport={"width": width, "height": 860}, timezone_id="Asia/Dubai"
    )


def test_home_in_both_languages(server: LiveServer, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for locale, lang, direction, words in (
        ("en-US", "en", "ltr", "Status now"),
        ("ar-EG", "ar", "rtl", "الحالة الآن"),
    ):
        context = _context(browser, locale)
        watch = Watch(context, server.base)
        page = watch.page(context)
        page.goto(server.base + "/")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", direction)
        expect(page.get_by_role("link", name=words).first).to_be_visible()
        expect(page.locator("#live-state")).to_be_visible()
        # times are in the visitor's zone (Dubai, UTC+4), with UTC on hover
        footer_time = page.locator("footer time")
        expect(footer_time).to_have_attribute("title", re.compile(r"15:00 UTC$"))
        assert re.search("07:00|٠٧:٠٠", footer_time.inner_text())
        page.screenshot(path=str(ARTIFACTS / f"home-{lang}.png"), full_page=False)
        watch.check()
        context.close()


def test_search_finds_a_service_by_a_name_in_any_script(
    server: LiveServer, browser: Browser
) -> None:
    context = _context(browser, "en-US")
    watch = Watch(context, server.base)
    page = watch.page(context)
    page.goto(server.base + "/")
    expect(page.locator("#live-state")).to_be_visible()
    page.get_by_label("Find a service").fill("واتس")
    link = page.locator("#search-results a", has_text="WhatsApp")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"/services/whatsapp$"))
    watch.check()
    context.close()


def test_report_button_counts_the_report_live(server: LiveServer, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = _context(browser, "ar-EG", width=1280)
    watch = Watch(context, server.base)
    page = watch.page(context)
    page.goto(server.base + "/services/telegram")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    total = page.locator("#total-24h")
    before = total.inner_text()
    button = page.get_by_role("button", name="عندي مشكلة في تيليجرام")
    expect(button).to_be_enabled()
    button.click()
    page.get_by_label("الرسائل").check()
    # the country defaults from the browser's locale (ar-EG)
    expect(page.get_by_label("دولتك")).to_have_value("EG")
    page.get_by_role("button", name="أرسل البلاغ").click()
    expect(page.locator("#report-thanks")).to_be_visible()
    expect(total).not_to_have_text(before, timeout=10_000)
    assert _arabic_number(total.inner_text()) == _arabic_number(before) + 1
    page.wait_for_timeout(500)  # let the chart and the map draw
    page.screenshot(path=str(ARTIFACTS / "service-ar.png"), full_page=True)
    watch.check()
    context.close()


def _arabic_number(text: str) -> int:
    digits = text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))
    return int(re.sub(r"\D", "", digits))


def test_an_incident_appears_without_reload(server: LiveServer, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = _context(browser, "en-US", width=1280)
    watch = Watch(context, server.base)
    home = watch.page(context)
    home.goto(server.base + "/")
    service = watch.page(context)
    service.goto(server.base + "/services/signal")
    expect(service.locator("#status")).to_contain_text("No problems at Signal")
    expect(home.locator("#live-state")).to_contain_text("Live")
    card = home.locator('#groups .group-2 .card[data-service="signal"]')
    expect(card).to_have_count(0)
    kinds = server.burst("signal", per_minute=300, minutes=5, tag="live")
    assert "opened" in kinds
    expect(card).to_have_count(1, timeout=15_000)
    expect(service.locator("#status")).to_contain_text("Users report problems with Signal")
    home.screenshot(path=str(ARTIFACTS / "home-en-incident.png"), full_page=False)
    service.screenshot(path=str(ARTIFACTS / "service-en.png"), full_page=True)
    watch.check()
    context.close()


def _send(notifier: Notifier) -> int:
    """What is due, sent in a loop of its own: playwright's runs in this thread."""

    async def send() -> int:
        try:
            return await notifier.deliver_due()
        finally:
            await notifier.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, send()).result()


def test_a_visitor_asks_for_alerts_and_gets_them_once_confirmed(
    server: LiveServer, browser: Browser
) -> None:
    notifier = notifier_of(server.runtime)
    notifier.public_url = server.base  # the links in messages lead to this test's server
    context = _context(browser, "en-US", width=1280)
    watch = Watch(context, server.base)
    page = watch.page(context)
    with receiver() as hook:
        page.goto(server.base + "/services/viber")
        form = page.locator("#alerts")
        form.get_by_label("My webhook").check()
        form.get_by_label("Address").fill(hook.url + "/viber")
        form.get_by_label("From which level").select_option("problems_detected")
        form.get_by_role("button", name="Send me a confirmation").click()
        expect(page).to_have_url(re.compile(r"/services/viber/alerts\?lang=en$"))
        expect(page.locator("#alerts-answer")).to_contain_text("One message went to this address")
        assert _send(notifier) == 1
        (asking,) = hook.received
        message = json.loads(asking.body)
        assert message["subscription"]["min_level"] == "problems_detected"
        # the owner of the endpoint follows the link: a page asks, and its button confirms
        page.goto(message["links"]["confirm"])
        expect(page.locator("main")).to_contain_text("Viber")
        assert notifier.subscriptions.page(states=["pending"])[1] == 1  # looking changed nothing
        page.get_by_role("button", name="Confirm and start the alerts").click()
        expect(page.locator("#confirm-answer")).to_contain_text("Confirmed")
        assert "opened" in server.burst("viber", per_minute=300, minutes=5, tag="alerts")
        assert _send(notifier) == 1
        kinds = [json.loads(r.body)["type"] for r in hook.received]
    assert kinds == ["subscription.confirm", "incident.opened"]
    assert signed_by(message["subscription"]["secret"], hook.received[1])
    watch.check()
    context.close()


_DRAWN = """
async () => {
  const url = performance.getEntriesByType("resource").map((e) => e.name)
    .find((name) => name.includes("echarts"));
  const lib = await import(url);
  const chart = lib.getInstanceByDom(document.getElementById("chart"));
  const option = chart.getOption();
  const line = option.series[option.series.length - 1];
  return { times: option.xAxis[0].data, values: line.data };
}
"""


def _drawn(page: Page) -> list[int | None]:
    values: list[int | None] = page.evaluate(_DRAWN)["values"]
    return values


def test_the_day_chart_never_falls_for_minutes_not_yet_counted(
    server: LiveServer, browser: Browser
) -> None:
    """Mid-replay the store and detection run a little behind the clock: the minutes not yet
    counted must not be drawn as a fall to zero, and they fill in once counted."""
    step = 5
    # line the clock up with a bucket so that whole buckets hold steady reports
    server.clock.advance(timedelta(minutes=(-minute_of(server.clock.now())) % step))
    server.burst("viber", per_minute=40, minutes=3 * step, tag="steady")
    # a minute stored but not yet ticked, and the clock two minutes on: counting is behind
    at = server.clock.now()
    items = [
        {
            "service": "viber",
            "problem": "messages",
            "reporter": f"behind-{i}",
            "country": "EG",
            "ts": (at + timedelta(seconds=1)).isoformat(),
            "ip": f"198.19.{i}.1",
        }
        for i in range(40)
    ]
    response = server.http.post(
        "/api/v1/reports/batch", json=items, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 202
    server.clock.advance(timedelta(minutes=2))
    # the API says how far its counts are complete
    series = server.http.get(
        "/api/v1/services/viber/series",
        params={"since": (at - timedelta(minutes=3 * step)).isoformat(), "step": "5m"},
    ).json()
    assert series["complete_until"] == at.isoformat()
    assert [p["complete"] for p in series["points"]][-2:] == [True, False]

    context = _context(browser, "en-US", width=1280)
    watch = Watch(context, server.base)
    page = watch.page(context)
    page.goto(server.base + "/services/viber")
    expect(page.locator("#live-state")).to_contain_text("Live")
    page.locator("#chart canvas").first.wait_for()
    drawn = _drawn(page)
    shown = [v for v in drawn if v is not None]
    assert shown[-3:] == [40 * step] * 3, drawn  # the steady buckets, drawn whole
    assert drawn[-1] is None  # the bucket still being counted is not drawn at all
    first = next(i for i, v in enumerate(drawn) if v)
    assert all(v is None or v >= 40 * step for v in drawn[first:]), drawn  # no fall

    # counting catches up: the minutes are ticked, the live stream says so, the chart fills in
    for minute in range(minute_of(at), minute_of(server.clock.now())):
        server.engine.tick(minute)
    server.burst("viber", per_minute=40, minutes=step - 2, tag="after")
    for _ in range(150):
        last = [v for v in _drawn(page) if v is not None][-1]
        if last == 40 * (step - 1):
            break
        page.wait_for_timeout(100)
    # the bucket of the minute that was behind (40), two quiet minutes, three more of 40
    assert last == 40 * (step - 1), _drawn(page)[-4:]
    watch.check()
    context.close()


def test_check_it_now_from_the_home_and_service_pages(tmp_path: Path, browser: Browser) -> None:
    """A real HTTPS server on loopback, reachable only through the test setting; a hostile
    address refused in Arabic; nothing the answer holds is read as markup."""
    host = free_loopback_address()
    certs = Certificates()
    try:
        with (
            live_server(
                tmp_path,
                offline=False,
                check_now_allow_networks=[f"{host}/32"],
                prober_ca_file=certs.ca_file,
            ) as server,
            serving_in_a_thread(host, 443, certs.valid_context(host)) as web,
        ):
            context = _context(browser, "en-US", width=1280)
            watch = Watch(context, server.base)
            page = watch.page(context)
            page.goto(server.base + "/")
            box = page.get_by_label("A service or a web address")
            # no spaces: a web address has none (the API refuses one), and HTML needs none either
            box.fill(f"https://{host}/<img/src=x/onerror=alert(1)>")
            page.get_by_role("button", name="Check", exact=True).click()
            result = page.locator("#check-result")
            expect(result).to_contain_text("Working from here")
            expect(result).to_contain_text("Web: status 200")
            expect(result).to_contain_text("Certificate valid for")
            assert page.locator("#check-result img").count() == 0
            assert web.hits == 1
            watch.check()
            context.close()

            context = _context(browser, "ar-EG", width=1280)
            watch = Watch(context, server.base)
            page = watch.page(context)
            page.goto(server.base + "/services/whatsapp")
            box = page.locator("#check-target")
            expect(box).to_have_value("واتساب")  # the name in the page's language
            box.fill("http://169.254.169.254/latest/meta-data/")
            page.get_by_role("button", name="افحص", exact=True).click()
            refused = "تُفحص الخدمات والعناوين العامة فقط"
            expect(page.locator("#check-result")).to_contain_text(refused)
            assert web.hits == 1
            watch.check()
            context.close()
    finally:
        certs.close()
