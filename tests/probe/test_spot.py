"""Check it now against real HTTP(S) servers on loopback, and every way in that must stay shut.

Hostile inputs tried here: private, loopback, link-local, shared, unspecified and IPv4-mapped
addresses written literally; names that resolve to them, alone or beside a public-looking one;
a name that answers an allowed address first and a private one after (rebinding); redirects to
127.0.0.1 and to the cloud metadata address; a redirect loop; other ports, other schemes, a
user name in the address; a server that never answers, one that sends headers without end, one
whose body never ends; a certificate nobody trusts; a name that does not exist; offline.
"""

from __future__ import annotations

import socket

import pytest

from probe.local_http import Behaviour, free_loopback_address, response_of, stand_in
from probe.local_web import Certificates
from rasd.errors import InvalidInput
from rasd.probe.agent import tls_context
from rasd.probe.spot import Refused, SpotChecker


@pytest.fixture
def certs(certificates: Certificates) -> Certificates:
    return certificates


@pytest.fixture
def host() -> str:
    return free_loopback_address()


def _checker(
    host: str, certs: Certificates, names: dict[str, list[list[str]]] | None = None, **kw: object
) -> SpotChecker:
    """A checker that may reach `host` only; `names` answer in turn, the last one repeated."""
    asked: dict[str, int] = {}

    async def resolve(name: str, port: int) -> list[str]:
        answers = (names or {}).get(name)
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        i = asked.get(name, 0)
        asked[name] = i + 1
        return answers[min(i, len(answers) - 1)]

    options: dict[str, object] = {"timeout": 2.0, "allow_networks": [f"{host}/32"]}
    options.update(kw)
    return SpotChecker(tls=tls_context(certs.ca_file), resolve=resolve, **options)  # type: ignore[arg-type]


async def test_a_healthy_https_server_is_up_with_its_certificate(
    host: str, certs: Certificates
) -> None:
    behaviour = Behaviour()
    async with stand_in(host, 443, behaviour, certs.valid_context(host, "good.test")):
        result = await _checker(host, certs, {"good.test": [[host]]}).check("good.test")
    answer = result.to_dict()
    assert answer["verdict"] == "up" and answer["url"] == "https://good.test"
    assert answer["dns"]["outcome"] == "ok" and answer["dns"]["addresses"] == [host]
    assert answer["https"]["status"] == 200 and answer["https"]["outcome"] == "ok"
    assert answer["https"]["cert_days_left"] > 1
    assert b"Host: good.test" in behaviour.requests[0]


async def test_a_5xx_a_silent_server_and_a_name_that_does_not_exist_are_down(
    host: str, certs: Certificates
) -> None:
    failing = Behaviour(answer=lambda request: response_of(503, b"down"))
    async with stand_in(host, 443, failing, certs.valid_context(host)):
        result = await _checker(host, certs).check(f"https://{host}/")
    assert (result.verdict, result.web["outcome"]) == ("down", "http_5xx")
    assert result.web["status"] == 503
    silent = Behaviour(slow=30)
    async with stand_in(host, 443, silent, certs.valid_context(host)):
        result = await _checker(host, certs, timeout=0.5).check(f"https://{host}/")
    assert (result.verdict, result.web["outcome"]) == ("down", "timeout")
    result = await _checker(host, certs).check("nowhere.test")
    assert result.verdict == "down" and result.dns["outcome"] == "nxdomain"
    assert result.web["outcome"] == "not_tried"


async def test_endless_headers_are_cut_and_an_endless_body_is_never_read(
    host: str, certs: Certificates
) -> None:
    flood = Behaviour(endless_headers=True, answer=lambda request: None)
    async with stand_in(host, 443, flood, certs.valid_context(host)):
        result = await _checker(host, certs).check(f"https://{host}/")
    assert result.web["outcome"] == "bad_response"
    huge = Behaviour(endless_body=True, answer=lambda request: None)
    async with stand_in(host, 443, huge, certs.valid_context(host)):
        result = await _checker(host, certs).check(f"https://{host}/")
    assert result.verdict == "up" and result.web["status"] == 200


async def test_a_certificate_nobody_trusts_is_a_tls_error(host: str, certs: Certificates) -> None:
    async with stand_in(host, 443, Behaviour(), certs.untrusted_context()):
        result = await _checker(host, certs).check(f"https://{host}/")
    assert (result.verdict, result.web["outcome"]) == ("down", "tls_error")


async def test_redirects_are_followed_and_judged_each_time(host: str, certs: Certificates) -> None:
    def answer(request: bytes) -> bytes:
        if request.startswith(b"GET /start"):
            return response_of(301, headers={"Location": "/next"})
        if request.startswith(b"GET /next"):
            return response_of(302, headers={"Location": f"http://{host}/last"})
        if request.startswith(b"GET /loop"):
            return response_of(307, headers={"Location": "/loop"})
        if request.startswith(b"GET /to-loopback"):
            return response_of(302, headers={"Location": "https://127.0.0.1/admin"})
        if request.startswith(b"GET /to-metadata"):
            return response_of(302, headers={"Location": "http://169.254.169.254/latest/"})
        if request.startswith(b"GET /to-port"):
            return response_of(302, headers={"Location": f"https://{host}:8443/"})
        return response_of(200, b"end")

    behaviour = Behaviour(answer=answer)
    tls = certs.valid_context(host)
    async with stand_in(host, 443, behaviour, tls), stand_in(host, 80, behaviour, None):
        checker = _checker(host, certs)
        result = await checker.check(f"https://{host}/start")
        assert result.redirects == [f"https://{host}/next", f"http://{host}/last"]
        assert result.verdict == "up" and result.url == f"http://{host}/last"
        result = await checker.check(f"https://{host}/loop")
        assert result.web["outcome"] == "too_many_redirects" and len(result.redirects) == 3
        for path, reason in (
            ("to-loopback", "not public"),
            ("to-metadata", "not public"),
            ("to-port", "port"),
        ):
            with pytest.raises(Refused) as refused:
                await checker.check(f"https://{host}/{path}")
            details = refused.value.details
            assert isinstance(details, list) and details[0]["reason"] == reason
            assert refused.value.status == 422


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/",
        "https://10.0.0.1/",
        "http://192.168.1.1/router",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1%25eth0]/",
        "http://[fd00::1]/",
        "http://224.0.0.1/",
        "http://localhost/",
        "private.test",
        "mixed.test",
    ],
)
async def test_addresses_off_the_public_internet_are_refused_before_any_request(
    host: str, certs: Certificates, target: str
) -> None:
    names = {
        "localhost": [["127.0.0.1"]],
        "private.test": [["10.1.2.3"]],
        # one allowed address beside a private one: the name is refused as a whole
        "mixed.test": [[host, "10.1.2.3"]],
    }
    behaviour = Behaviour()
    async with stand_in(host, 443, behaviour, certs.valid_context(host)):
        with pytest.raises(Refused):
            await _checker(host, certs, names).check(target)
    assert behaviour.hits == 0


async def test_a_rebinding_name_gains_nothing(host: str, certs: Certificates) -> None:
    """It answers the allowed address first, then 127.0.0.1: the connection goes to the
    address judged, and the redirect back to the same name is judged on its new answer."""

    def answer(request: bytes) -> bytes:
        if request.startswith(b"GET /again"):
            return response_of(200, b"should never be asked")
        return response_of(302, headers={"Location": "https://rebind.test/again"})

    behaviour = Behaviour(answer=answer)
    names = {"rebind.test": [[host], ["127.0.0.1"]]}
    async with stand_in(host, 443, behaviour, certs.valid_context(host, "rebind.test")):
        with pytest.raises(Refused):
            await _checker(host, certs, names).check("https://rebind.test/")
    assert behaviour.hits == 1 and behaviour.requests[0].startswith(b"GET / ")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("", "empty"),
        ("ftp://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://user:secret@example.com/", "userinfo"),
        ("https://example.com:22/", "port"),
        ("https://example.com:99999/", "port"),
        ("https://" + "a" * 300 + ".com/", "host"),
    ],
)
async def test_what_is_not_a_web_address_is_refused(
    host: str, certs: Certificates, target: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await _checker(host, certs).check(target)
    details = refused.value.details
    assert isinstance(details, list) and details[0]["reason"] == reason


async def test_offline_not_even_a_name_is_looked_up(host: str, certs: Certificates) -> None:
    looked: list[str] = []

    async def resolve(name: str, port: int) -> list[str]:
        looked.append(name)
        return ["93.184.216.34"]

    checker = SpotChecker(resolve=resolve, offline=True)
    for target in ("example.com", "https://93.184.216.34/"):
        result = await checker.check(target)
        assert result.verdict == "not_checked" and result.web["detail"] == "offline"
    assert looked == []


async def test_a_typed_path_with_spaces_and_markup_is_sent_escaped(
    host: str, certs: Certificates
) -> None:
    behaviour = Behaviour()
    async with stand_in(host, 443, behaviour, certs.valid_context(host)):
        result = await _checker(host, certs).check(f'https://{host}/a b"<img>?q=x y')
    assert result.verdict == "up"
    assert behaviour.requests[0].startswith(b"GET /a%20b%22%3Cimg%3E?q=x%20y HTTP/1.1")
