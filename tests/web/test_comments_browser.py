"""Comments in a real Chromium: one with a link (and markup, an event handler, a direction
override) is held, an admin shows it through the API, and it reads as plain text in both
languages; one without is shown at once, drawn by the page's script as text too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from web.server import LiveServer
from web.test_browser import Watch, _context, browser, server

__all__ = ["browser", "server"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> see spam.example'


def test_a_held_comment_is_approved_and_shown_as_text(server: LiveServer, browser: Browser) -> None:
    token, _ = server.runtime.tokens.create("admin", "moderator")
    admin = {"Authorization": f"Bearer {token}"}
    context = _context(browser, "en-GB", width=1280)
    watch = Watch(context, server.base)
    page = watch.page(context)
    page.goto(server.base + "/services/signal")
    form = page.locator("#comment-form")
    expect(form).to_be_visible()
    page.get_by_label("What do you see?").fill(HOSTILE + "\u202e")
    page.get_by_label("Problem (optional)").select_option("messages")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comment-state")).to_have_text(
        "Thank you: your comment waits for a moderator before it is shown."
    )
    expect(page.locator(".comment")).to_have_count(0)

    queue = server.http.get("/api/v1/admin/comments", headers=admin).json()
    held = [c for c in queue["comments"] if c["service"] == "signal"]
    assert [c["reason"] for c in held] == ["link"]
    assert held[0]["text"] == HOSTILE  # the override is gone, the rest kept as typed
    assert held[0]["country"] == "GB"  # from the browser's locale
    approved = server.http.post(f"/api/v1/admin/comments/{held[0]['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text

    page.reload()
    shown = page.locator(".comment .comment-text")
    expect(shown).to_have_count(1)
    expect(shown).to_have_text(HOSTILE)
    expect(page.locator(".comment .comment-place")).to_have_text("United Kingdom")
    assert page.evaluate("window.pwned") is None
    assert page.locator("#comment-list img, #comment-list script").count() == 0

    # a plain one is shown at once, drawn by the script, newest first
    server.clock.advance(timedelta(seconds=40))
    page.get_by_label("What do you see?").fill("<b>بلا رسائل</b> منذ الصباح")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comment-state")).to_have_text("Thank you: your comment is shown.")
    expect(shown).to_have_count(2)
    expect(shown.first).to_have_text("<b>بلا رسائل</b> منذ الصباح")
    assert page.locator("#comment-list b").count() == 0
    watch.check()
    context.close()

    context = _context(browser, "ar-EG", width=1280)
    watch = Watch(context, server.base)
    page = watch.page(context)
    page.goto(server.base + "/services/signal")
    expect(page.get_by_role("heading", name="التعليقات")).to_be_visible()
    expect(page.locator(".comment .comment-text")).to_have_count(2)
    expect(page.locator(".comment .comment-place").last).to_have_text("المملكة المتّحدة")
    expect(page.locator(".comment .comment-problem").last).to_have_text("الرسائل")
    watch.check()
    context.close()
