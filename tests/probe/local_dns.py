"""A real DNS server on 127.0.0.1 (UDP and TCP, one ephemeral port) for the probe tests.

It is authoritative for the zones it is given, answers A, AAAA, NS and SOA, and can be switched
per zone between healthy, SERVFAIL, NXDOMAIN and silence (no answer at all).
"""

from __future__ import annotations

import socket
import struct
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

HEALTHY = "healthy"
SERVFAIL = "servfail"
NXDOMAIN = "nxdomain"
SILENT = "timeout"


class LocalDns:
    """`host` is the address it listens on and gives as its own name server's (the glue)."""

    def __init__(
        self, records: dict[str, dict[str, list[str]]], zones: list[str], host: str = "127.0.0.1"
    ) -> None:
        self.host = host
        self.zones = [dns.name.from_text(z) for z in zones]
        self.records = {
            dns.name.from_text(name): {rdtype.upper(): values for rdtype, values in by_type.items()}
            for name, by_type in records.items()
        }
        self.modes: dict[dns.name.Name, str] = {zone: HEALTHY for zone in self.zones}
        self.queries = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.udp, self.tcp = _bind_pair(host)
        self.port: int = self.udp.getsockname()[1]

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def set_mode(self, zone: str, mode: str) -> None:
        with self._lock:
            self.modes[dns.name.from_text(zone)] = mode

    def start(self) -> LocalDns:
        for target in (self._serve_udp, self._serve_tcp):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.udp.close()
        self.tcp.close()

    # --- answering ---

    def answer(self, wire: bytes) -> bytes | None:
        query = dns.message.from_wire(wire)
        with self._lock:
            self.queries += 1
        question = query.question[0]
        zone = next((z for z in self.zones if question.name.is_subdomain(z)), None)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        with self._lock:
            mode = self.modes[zone]
        if mode == SILENT:
            return None
        response.flags |= dns.flags.AA
        if mode == SERVFAIL:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        soa = dns.rrset.from_text(
            zone, 300, "IN", "SOA", f"ns1.{zone} hostmaster.{zone} 1 3600 600 86400 60"
        )
        known = self.records.get(question.name)
        if mode == NXDOMAIN or (known is None and question.name != zone):
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(soa)
            return response.to_wire()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        if question.name == zone and rdtype == "SOA":
            response.answer.append(soa)
        elif question.name == zone and rdtype == "NS":
            ns = dns.name.from_text("ns1", zone)
            response.answer.append(dns.rrset.from_text(zone, 300, "IN", "NS", ns.to_text()))
            response.additional.append(dns.rrset.from_text(ns, 300, "IN", "A", self.host))
        elif known and rdtype in known:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 60, "IN", rdtype, known[rdtype])
            )
        else:
            response.authority.append(soa)  # the name is there, not this type: NODATA
        return response.to_wire()

    def _serve_udp(self) -> None:
        self.udp.settimeout(0.1)
        while not self._stop.is_set():
            try:
                wire, peer = self.udp.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self.answer(wire)
            if reply is not None:
                self.udp.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        self.tcp.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve_connection, args=(conn,), daemon=True).start()

    def _serve_connection(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                while not self._stop.is_set():
                    head = _read_exactly(conn, 2)
                    if head is None:
                        return
                    wire = _read_exactly(conn, struct.unpack("!H", head)[0])
                    if wire is None:
                        return
                    reply = self.answer(wire)
                    if reply is None:
                        continue
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return


def _read_exactly(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _bind_pair(host: str) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same free port (retrying if TCP finds it taken)."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        return udp, tcp
    raise RuntimeError("no free port for both UDP and TCP")
