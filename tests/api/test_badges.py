from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import T0
from fastapi.testclient import TestClient
from notify.samples import incident, store_incident

from rasd.api.badges import text_width
from rasd.runtime import Runtime

SVG = "{http://www.w3.org/2000/svg}"


def _badge(client: TestClient, path: str) -> tuple[list[str], list[str]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    texts = [t.text or "" for t in root.iter(SVG + "text")]
    fills = [r.get("fill") or "" for r in root.iter(SVG + "rect")]
    return texts, fills


def test_a_badge_shows_the_status_now(client: TestClient, runtime: Runtime) -> None:
    assert _badge(client, "/badges/facebook.svg") == (
        ["Facebook", "no problems"],
        ["#555", "#2e7d32"],
    )
    store_incident(runtime.store, incident("facebook", T0, level=1))
    assert _badge(client, "/badges/facebook.svg")[0][1] == "possible problems"
    store_incident(runtime.store, incident("facebook", T0, level=2))
    texts, fills = _badge(client, "/badges/facebook.svg")
    assert texts[1] == "problems detected" and fills[1] == "#c62828"
    store_incident(runtime.store, incident("facebook", T0, state="resolved"))
    assert _badge(client, "/badges/facebook.svg")[0][1] == "no problems"


def test_badges_in_arabic_and_for_unknown_services(client: TestClient, runtime: Runtime) -> None:
    texts, _ = _badge(client, "/badges/whatsapp.svg?lang=ar")
    assert texts == [runtime.catalog.get("whatsapp").display_name("ar"), "لا مشكلات"]
    assert texts[0] != "WhatsApp"
    assert client.get("/badges/nope.svg").status_code == 404
    assert client.get("/badges/facebook.svg?lang=xx").status_code == 422


def test_text_width_grows_with_text() -> None:
    assert text_width("") == 0
    assert text_width("Instagram") > text_width("X") > 0
    assert text_width("problems detected") > text_width("ok")
