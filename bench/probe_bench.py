"""How many checks per second one probe agent sustains, and whether its memory stays flat.

Local servers run in a child process: a DNS responder (UDP), an HTTP server that also serves
the check list and takes batches. The agent runs here, saturated (intervals far shorter than a
check takes), for a while per check kind. The baseline, measured in the same run, is the bare
work with the same concurrency: the same queries and requests in a loop, with no schedule,
buffer or delivery around them.

    .venv/bin/python bench/probe_bench.py [--seconds 6] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import time
from collections.abc import Awaitable, Callable

import dns.asyncquery
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import httpx
import msgspec

from rasd.catalog import load_catalog
from rasd.probe.agent import AgentConfig, ProbeAgent
from rasd.settings import Settings
from rasd.signals.probes import (
    ProbeBatch,
    ProbeCheck,
    ProbeCheckList,
    checks_for_catalog,
    encode,
)
from rasd.sources.prober import rate_scale

TOKEN = "bench"
PAGE = b"<html><body>Welcome to the bench</body></html>"


# --- the servers (child process) ---


class _DnsResponder(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        if question.rdtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", "127.0.0.1"))
        self.transport.sendto(response.to_wire(), addr)  # type: ignore[attr-defined]


def _serve(dns_sock: socket.socket, http_sock: socket.socket, checks: bytes, counter) -> None:  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                first = head.split(b"\r\n", 1)[0]
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                if first.startswith(b"GET /api/v1/probes/checks"):
                    status, payload = b"200 OK", checks
                elif first.startswith(b"POST /api/v1/probes/batch"):
                    batch = msgspec.json.decode(body, type=ProbeBatch)
                    with counter.get_lock():
                        counter.value += len(batch.results)
                    status, payload = b"202 Accepted", b"{}"
                else:
                    status, payload = b"200 OK", PAGE
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html\r\nContent-Length: "
                    + str(len(payload)).encode() + b"\r\n\r\n" + payload
                )  # fmt: skip
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(_DnsResponder, sock=dns_sock)
        server = await asyncio.start_server(handle, sock=http_sock, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- measuring ---


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _agent_rate(
    server: str, resolver: str, seconds: float, concurrency: int
) -> tuple[float, float, float, int, float]:
    config = AgentConfig(
        region="bench",
        server=server,
        token=TOKEN,
        concurrency=concurrency,
        resolvers=[resolver],
        interval_scale=0.001,  # a 60 s interval becomes 60 ms: always more due than done
        buffer_size=5_000,
        batch_size=500,
        flush_s=100.0,  # 0.1 s after scaling
    )
    agent = ProbeAgent(config)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await asyncio.sleep(0.5)  # warm up: connections, first check list
    start_checks, start = agent.stats.checks_run, time.perf_counter()
    cpu_start = time.process_time()
    rss_first = _rss_mib()
    rss_peak, held_peak = rss_first, 0
    while time.perf_counter() - start < seconds:
        await asyncio.sleep(0.1)
        rss_peak = max(rss_peak, _rss_mib())
        held_peak = max(held_peak, len(agent.buffer))
    done = agent.stats.checks_run - start_checks
    rate = done / (time.perf_counter() - start)
    # the agent's own process: the local servers run in a child and are not counted
    cpu_ms = (time.process_time() - cpu_start) * 1000.0 / max(done, 1)
    stop.set()
    await task
    return rate, rss_first, rss_peak, held_peak, cpu_ms


async def _bare_rate(kind: str, target: str, seconds: float, concurrency: int) -> float:
    """The same work without the agent: a loop of queries or requests, `concurrency` at once."""
    done = 0
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=concurrency), trust_env=False
    ) as client:
        host, _, port = target.rpartition(":")

        async def one() -> None:
            if kind == "dns":
                name = dns.name.from_text("www.bench.test")
                await asyncio.gather(
                    *(
                        dns.asyncquery.udp(
                            dns.message.make_query(name, t), host, timeout=2, port=int(port)
                        )
                        for t in (dns.rdatatype.A, dns.rdatatype.AAAA)
                    )
                )
            elif kind == "http":
                await client.get(target, timeout=2)
            else:
                _, writer = await asyncio.open_connection(host, int(port))
                writer.close()

        async def worker(job: Callable[[], Awaitable[None]]) -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await job()
                done += 1

        await asyncio.gather(*(worker(one) for _ in range(concurrency)))
    return done / seconds


def _checks(kind: str, count: int, dns_addr: str, http_port: int) -> list[ProbeCheck]:
    make = {
        "dns": lambda i: ProbeCheck(
            id=f"d{i}", service=f"s{i % 50}", kind="dns", target="www.bench.test",
            resolver=dns_addr, timeout_s=2,
        ),
        "http": lambda i: ProbeCheck(
            id=f"h{i}", service=f"s{i % 50}", kind="http",
            target=f"http://127.0.0.1:{http_port}/p{i}", expect_text="Welcome", timeout_s=2,
        ),
        "tcp": lambda i: ProbeCheck(
            id=f"t{i}", service=f"s{i % 50}", kind="tcp", target=f"127.0.0.1:{http_port}",
            timeout_s=2,
        ),
    }  # fmt: skip
    return [make[kind](i) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--checks", type=int, default=500, help="checks in the list")
    args = parser.parse_args()

    print(
        f"probe agent, saturated, concurrency {args.concurrency}, {args.checks} checks,"
        f" {args.seconds:g} s per run, {os.cpu_count()} CPUs (servers in a child process)"
    )
    print(
        f"{'kind':<6}{'agent checks/s':>16}{'bare ops/s':>12}{'agent/bare':>12}"
        f"{'RSS MiB start':>15}{'RSS MiB peak':>14}{'held peak':>11}{'delivered':>11}"
        f"{'CPU ms/check':>14}"
    )
    cpu_per_check: dict[str, float] = {}
    for kind in ("dns", "http", "tcp", "mixed"):
        dns_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns_sock.bind(("127.0.0.1", 0))
        http_sock = socket.socket()
        http_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        http_sock.bind(("127.0.0.1", 0))
        dns_addr = f"127.0.0.1:{dns_sock.getsockname()[1]}"
        http_port = http_sock.getsockname()[1]
        if kind == "mixed":
            third = args.checks // 3
            checks = [
                c for k in ("dns", "http", "tcp") for c in _checks(k, third, dns_addr, http_port)
            ]
        else:
            checks = _checks(kind, args.checks, dns_addr, http_port)
        counter = multiprocessing.Value("q", 0)
        child = multiprocessing.Process(
            target=_serve,
            args=(dns_sock, http_sock, encode(ProbeCheckList(checks=checks)), counter),
            daemon=True,
        )
        child.start()
        try:
            server = f"http://127.0.0.1:{http_port}"
            rate, rss_first, rss_peak, held_peak, cpu_ms = asyncio.run(
                _agent_rate(server, dns_addr, args.seconds, args.concurrency)
            )
            if kind == "mixed":
                bare_text = ratio = "-"
            else:
                target = dns_addr if kind == "dns" else (
                    f"http://127.0.0.1:{http_port}/" if kind == "http" else f"127.0.0.1:{http_port}"
                )  # fmt: skip
                bare = asyncio.run(_bare_rate(kind, target, args.seconds, args.concurrency))
                bare_text, ratio = f"{bare:,.0f}", f"{rate / bare:.2f}"
            cpu_per_check[kind] = cpu_ms
            print(f"{kind:<6}{rate:>16,.0f}{bare_text:>12}{ratio:>12}{rss_first:>15.1f}"
                  f"{rss_peak:>14.1f}{held_peak:>11,}{counter.value:>11,}"
                  f"{cpu_ms:>14.2f}")  # fmt: skip
        finally:
            child.terminate()
            child.join()
            dns_sock.close()
            http_sock.close()
    _default_prober_load(cpu_per_check)


def _default_prober_load(cpu_per_check: dict[str, float]) -> None:
    """What the built-in prober of a default `rasd serve` asks of its machine: its checks a
    minute by kind (the catalog's, stretched to the default bound), times the CPU a check of
    that kind took the saturated agent above."""
    settings = Settings(store_url="sqlite://")
    checks = checks_for_catalog(load_catalog())
    scale = rate_scale(
        checks, settings.prober_max_checks_per_minute, settings.prober_interval_scale
    )
    per_kind: dict[str, float] = {}
    for check in checks:
        per_kind[check.kind] = per_kind.get(check.kind, 0.0) + 60.0 / (check.interval_s * scale)
    total = sum(per_kind.values())
    cpu = sum(n * cpu_per_check.get(kind, 0.0) for kind, n in per_kind.items()) / 60_000.0
    by_kind = ", ".join(f"{kind} {n:,.0f}" for kind, n in sorted(per_kind.items()))
    print(
        f"default rasd serve prober: {len(checks)} checks, {total:,.0f} checks/minute"
        f" ({by_kind}; interval scale {scale:.2f}), about {cpu * 100:.1f}% of one core"
    )


if __name__ == "__main__":
    main()
