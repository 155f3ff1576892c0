"""Arabic without gaps: every page, in a real Chromium, in Arabic, holds no word in Latin
letters but the few listed here (brands written so even in Arabic, codes, units), while
reports come from Türkiye and Washington, whose names were shown in Latin letters before."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from tests_support import crowd_address

from rasd.clock import minute_of
from web.server import TOKEN, LiveServer
from web.test_browser import Watch, _context, browser, server

__all__ = ["browser", "server"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# written in Latin letters on Arabic pages too: brand names that are marks rather than words
# (the search box gives WhatsApp as an example of a name typed in Latin letters), and the
# standards a technical reader looks for by their letters
ALLOWED = frozenset(
    {"WhatsApp", "Bluesky", "Mastodon", "Apprise", "apprise", "UTC", "DNS", "TLS", "HTTPS", "JSON"}
)
# the text a reader sees, hidden parts included, leaving out what is marked as another
# language on purpose (the switch to English) and what is not text (scripts, styles)
_TEXT = """() => {
  const parts = [];
  const shown = NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT;
  const walker = document.createTreeWalker(document.body, shown);
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    if (el.closest("script, style, noscript, template")) continue;
    const marked = el.closest("[lang]");
    if (marked && !marked.lang.startsWith("ar")) continue;
    if (node.nodeType === Node.TEXT_NODE) parts.push(node.data);
    else for (const a of ["aria-label", "title", "placeholder", "alt"]) {
      if (node.hasAttribute(a)) parts.push(node.getAttribute(a));
    }
  }
  return parts.join(" ");
}"""
_LATIN = r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"  # letters, not × or ÷
_LATIN_WORD = re.compile(rf"[{_LATIN}][{_LATIN}'’.-]*")
PLACES = [("TR", "Istanbul"), ("TR", None), ("US", "Washington"), ("US", "New York"), ("EG", None)]


def _outage(server: LiveServer, services: list[str], minutes: int) -> None:
    """Many people on several services from the places above, minute by minute."""
    for minute in range(minutes):
        at = server.clock.now() + timedelta(seconds=1)
        items = []
        for service in services:
            for i in range(250):
                country, city = PLACES[i % len(PLACES)]
                item = {
                    "service": service,
                    "problem": "messages" if service != "facebook" else "feed",
                    "reporter": f"ar-{service}-{minute}-{i}",
                    "country": country,
                    "ts": at.isoformat(),
                    "ip": crowd_address(minute * 250 + i),
                }
                if city:
                    item["city"] = city
                items.append(item)
        response = server.http.post(
            "/api/v1/reports/batch", json=items, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status_code == 202, response.text
        server.clock.advance(timedelta(minutes=1))
        server.engine.tick(minute_of(at))


def _latin_words(text: str) -> list[str]:
    # addresses, and URL schemes in the examples of alert addresses (tgram://, mailto:)
    text = re.sub(r"[a-z][a-z0-9+.-]*://\S*|mailto:\S+|\S+@\S+", " ", text)
    return [w for w in _LATIN_WORD.findall(text) if w.strip(".-'’") not in ALLOWED]


def test_every_page_in_arabic_has_no_latin_words(server: LiveServer, browser: Browser) -> None:
    _outage(server, ["whatsapp", "facebook", "instagram"], minutes=6)
    events = server.http.get("/api/v1/events").json()["events"]
    assert events, "the outage made no event"
    pages = [
        "/",
        "/services/whatsapp",
        "/services/whatsapp/history",
        f"/events/{events[0]['id']}",
        "/history",
        "/?q=" + "واتس",
    ]
    context = _context(browser, "ar-EG", width=1280)
    watch = Watch(context, server.base)
    page = watch.page(context)
    found: dict[str, list[str]] = {}
    for path in pages:
        page.goto(server.base + path)
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        page.wait_for_timeout(300)  # the scripts localise times and numbers
        words = _latin_words(page.evaluate(_TEXT))
        if words:
            found[path] = sorted(set(words))
    assert not found, repr(found)
    watch.check()
    context.close()


def test_places_once_in_latin_letters_are_in_arabic(server: LiveServer, browser: Browser) -> None:
    _outage(server, ["signal"], minutes=2)
    context = _context(browser, "ar-EG", width=1280)
    page = context.new_page()
    page.goto(server.base + "/services/signal")
    places = page.locator("#places")
    expect(places).to_contain_text("تركيا")
    expect(places).to_contain_text("واشنطن")
    expect(places).not_to_contain_text("Türkiye")
    expect(places).not_to_contain_text("Washington")
    context.close()
