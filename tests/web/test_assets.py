import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rasd.web.assets import BUILT, IMMUTABLE, Assets, built
from rasd.web.encodings import accepted as _accepted
from web.server import LiveServer, live_server

pytestmark = pytest.mark.skipif(
    not (BUILT / "manifest.json").is_file(), reason="the front-end is not built (make web)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("assets")) as live:
        yield live


def _raw(server: LiveServer, url: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent, not decoded."""
    with server.http.stream("GET", url, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def _linked(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/vendor/[^"]+)"', html)


def test_pages_name_the_hashed_assets_and_those_are_kept_a_year(server: LiveServer) -> None:
    home = server.http.get("/")
    linked = _linked(home.text)
    assert sorted(linked) == sorted(built().url(n) for n in ("site.css", "app/main.js"))
    for url in linked:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url
        response, body = _raw(server, url, **{"accept-encoding": "identity"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == IMMUTABLE.decode()
        assert response.headers["vary"] == "Accept-Encoding"
        assert "content-encoding" not in response.headers
        assert body == (BUILT / url.removeprefix("/static/vendor/")).read_bytes()
    assert server.http.get("/", headers={"accept-language": "ar"}).text.count(linked[0]) == 1


def test_the_encoding_is_the_best_one_the_browser_accepts(server: LiveServer) -> None:
    url = built().url("app/service.js")
    plain = (BUILT / url.removeprefix("/static/vendor/")).read_bytes()
    response, body = _raw(server, url, **{"accept-encoding": "gzip, deflate, br"})
    assert response.headers["content-encoding"] == "br"
    assert body == (BUILT / (url.removeprefix("/static/vendor/") + ".br")).read_bytes()
    assert int(response.headers["content-length"]) == len(body) < len(plain)
    response, body = _raw(server, url, **{"accept-encoding": "br;q=0, gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    plain_tag = _raw(server, url, **{"accept-encoding": "identity"})[0].headers["etag"]
    assert response.headers["etag"] != plain_tag  # one per encoding


def test_a_known_tag_gets_an_empty_304_and_head_no_body(server: LiveServer) -> None:
    url = built().url("site.css")
    first, _ = _raw(server, url, **{"accept-encoding": "gzip"})
    again, body = _raw(
        server, url, **{"accept-encoding": "gzip", "if-none-match": first.headers["etag"]}
    )
    assert (again.status_code, body) == (304, b"")
    assert again.headers["cache-control"] == IMMUTABLE.decode()
    head = server.http.head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0


def test_every_module_a_page_loads_names_hashed_modules_that_are_served(
    server: LiveServer,
) -> None:
    todo = [built().url("app/main.js")]
    seen: set[str] = set()
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = server.http.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE.decode()
        if "/app/" not in url:
            continue  # echarts and the map name nothing of ours
        for spec in re.findall(r'"((?:\.\.?/|/static/vendor/)[\w./-]+)"', response.text):
            assert re.search(r"\.[0-9a-f]{12}\.m?js(on)?$", spec), f"{url} names {spec}"
            todo.append(str(httpx.URL(server.base + url).join(spec).path))
    names = {u.rsplit("/", 1)[1].split(".")[0] for u in seen}
    assert {"main", "home", "service", "event", "charts", "echarts", "world"} <= names


def test_the_plain_names_are_still_served_briefly(server: LiveServer) -> None:
    response = server.http.get("/static/vendor/site.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers["cache-control"]


def test_accept_encoding_is_read_with_its_weights() -> None:
    def accepted(value: str) -> set[str]:
        return _accepted([(b"accept-encoding", value.encode())])

    assert accepted("gzip, deflate, br") == {"gzip", "deflate", "br"}
    assert accepted("br;q=0, gzip;q=0.5") == {"gzip"}
    assert accepted("*;q=0.1, gzip;q=0") == {"*", "br"}
    assert accepted("identity") == {"identity"}
    assert _accepted([]) == set()


def test_a_tree_built_without_a_manifest_keeps_the_plain_names(tmp_path: Path) -> None:
    assets = Assets(tmp_path)
    assert assets.url("site.css") == "/static/vendor/site.css"
    assert "/static/vendor/site.css" not in assets
