"""The status-page source: every page the catalog names, read again and again.

Each page is read every `status_interval_seconds` (5 minutes), or every
`status_hot_interval_seconds` (1 minute) while an incident is open on one of its services,
by Rasd or by the page itself. Services that share a page (Gmail and Google Drive on
Google Workspace's) share its reads. At most `status_concurrency` pages are read at once;
a page that fails waits longer each time (jittered backoff) and never holds up the others.
The first read of each page in a process is unconditional, the later ones send its ETag
and Last-Modified. The keys of the updates kept are the page's durable cursor, so a restart
does not store them again.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rasd import __version__
from rasd.catalog import Catalog
from rasd.probe.reach import is_network_away
from rasd.signals.status import Format, ParseError, Reading, Update
from rasd.sources.backoff import Backoff
from rasd.sources.base import SourceStatus
from rasd.sources.cursors import Cursors
from rasd.sources.status.fetch import NotAllowed, PageFailed, PageFetcher
from rasd.sources.status.formats import FORMATS

if TYPE_CHECKING:
    from rasd.runtime import Runtime
    from rasd.signals.official import OfficialBoard

NAME = "status-pages"
_log = logging.getLogger("rasd.sources.status")
_SEEN_KEPT = 500  # update keys a page's cursor remembers
_FAILING_SHOWN = 20


@dataclass
class Page:
    """One page and the services it speaks for, with what its reads left behind."""

    kind: str
    link: str
    url: str
    services: list[tuple[str, tuple[str, ...]]]
    etag: str | None = None
    last_modified: str | None = None
    reading: Reading | None = None
    open_ids: set[str] = field(default_factory=set)
    seen: deque[str] = field(default_factory=deque)
    seen_set: set[str] = field(default_factory=set)
    backoff: Backoff | None = None
    error: str | None = None
    offline: bool = False
    reads: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.url}"

    def remember(self, keys: Iterable[str]) -> None:
        for k in keys:
            if k not in self.seen_set:
                self.seen.append(k)
                self.seen_set.add(k)
        while len(self.seen) > _SEEN_KEPT:
            self.seen_set.discard(self.seen.popleft())


def pages_of(catalog: Catalog) -> list[Page]:
    """The catalog's pages, one per (kind, document), each with the services it covers."""
    pages: dict[tuple[str, str], Page] = {}
    for service in catalog:
        if service.status_kind is None:
            continue
        fmt = FORMATS[service.status_kind]
        link = service.status_url or service.status_feed or ""
        url = fmt.main(link, service.status_feed)
        page = pages.get((fmt.kind, url))
        if page is None:
            page = pages[(fmt.kind, url)] = Page(fmt.kind, link, url, [])
        page.services.append((service.id, service.status_components))
    return list(pages.values())


class StatusPageSource:
    name = NAME
    kind = "official"

    def __init__(
        self,
        pages: list[Page],
        board: OfficialBoard,
        fetcher: PageFetcher,
        *,
        cursors: Cursors | None = None,
        interval: float = 300.0,
        hot_interval: float = 60.0,
        concurrency: int = 32,
        hot: Callable[[], set[str]] | None = None,
        seed: int | None = None,
        spread: float = 60.0,
    ) -> None:
        self.pages = pages
        self._spread = spread
        self._board = board
        self._fetcher = fetcher
        self._cursors = cursors
        self._interval = interval
        self._hot_interval = hot_interval
        self._concurrency = concurrency
        self._hot = hot
        self._random = random.Random(seed)
        self._seed = seed
        self._status = SourceStatus(self.name, self.kind, endpoint=f"{len(pages)} pages")
        self._reads: deque[float] = deque()
        self._hot_cache: tuple[float, set[str]] = (-1e9, set())
        self.not_modified = 0

    def status(self) -> SourceStatus:
        return self._status

    # -- scheduling ---------------------------------------------------------------------------
    def _hot_services(self) -> set[str]:
        at, cached = self._hot_cache
        now = time.monotonic()
        if now - at < 5.0 or self._hot is None:
            return cached
        try:
            found = set(self._hot())
        except Exception:  # detection's state is read across threads: a miss waits 5 s
            found = cached
        self._hot_cache = (now, found)
        return found

    def _interval_for(self, page: Page) -> float:
        if page.open_ids:
            return self._hot_interval
        hot = self._hot_services()
        if hot and any(service in hot for service, _ in page.services):
            return self._hot_interval
        return self._interval

    def _restore(self, page: Page) -> None:
        if self._cursors is None:
            return
        raw = self._cursors.get(f"status:{page.key}"[:128])
        if raw:
            try:
                page.remember(json.loads(raw))
            except (ValueError, TypeError):
                self._status.noted(f"{page.link}: unreadable cursor, starting afresh")

    async def run(self, stop: asyncio.Event) -> None:
        if not self.pages:
            self._status.disabled("no catalog service names a status page")
            await stop.wait()
            return
        self._status.connecting()
        loop = asyncio.get_running_loop()
        start = loop.time()
        queue: list[tuple[float, int, Page]] = []
        for n, page in enumerate(self.pages):
            self._restore(page)
            # the first reads spread over a minute: a start is not a burst on every page
            spread = min(self._interval, self._spread)
            heapq.heappush(queue, (start + self._random.uniform(0, spread), n, page))
        slots = asyncio.Semaphore(self._concurrency)
        running: set[asyncio.Task[None]] = set()
        shown = -1e9
        try:
            while not stop.is_set():
                now = loop.time()
                while queue and queue[0][0] <= now:
                    _, n, page = heapq.heappop(queue)
                    await slots.acquire()
                    if stop.is_set():
                        slots.release()
                        break
                    task = asyncio.create_task(self._read(page, slots, queue, n))
                    running.add(task)
                    task.add_done_callback(running.discard)
                    now = loop.time()
                if loop.time() - shown >= 1.0:
                    # a pass over every page: once a second, not once a read
                    self._show()
                    shown = loop.time()
                wait = max(0.0, min(1.0, (queue[0][0] - loop.time()) if queue else 1.0))
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                except TimeoutError:
                    pass
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            await self._fetcher.close()  # its connections belong to this loop
            self._show()

    async def _read(
        self, page: Page, slots: asyncio.Semaphore, queue: list[tuple[float, int, Page]], n: int
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            ok = await self.poll(page)
        except Exception as exc:  # a bug on one page must not end the source
            _log.exception("status page %s", page.link)
            self._failed(page, f"{type(exc).__name__}: {exc}")
            ok = False
        finally:
            slots.release()
        delay = self._interval_for(page)
        if not ok and not page.offline:
            page.backoff = page.backoff or Backoff(
                base=self._hot_interval, cap=3600.0, seed=None if self._seed is None else n
            )
            delay = max(delay, page.backoff.next())
        elif page.backoff is not None:
            page.backoff.reset()
        heapq.heappush(queue, (loop.time() + delay, n, page))

    # -- one read ----------------------------------------------------------------------------
    async def poll(self, page: Page) -> bool:
        """Read a page once and hand what it says to the board; False when it failed."""
        fmt = FORMATS[page.kind]
        self._status.seen(1)
        self._reads.append(time.monotonic())
        try:
            answer = await self._fetcher.get(
                page.url,
                etag=page.etag if page.reading is not None else None,
                last_modified=page.last_modified if page.reading is not None else None,
            )
        except NotAllowed as exc:
            page.offline, page.error = True, exc.reason
            return False
        except PageFailed as exc:
            self._failed(page, exc.reason)
            return False
        except Exception as exc:
            if is_network_away(exc):
                page.offline, page.error = True, "network away"
                return False
            self._failed(page, f"{type(exc).__name__}: {exc}"[:200])
            return False
        page.offline = False
        page.reads += 1
        if answer.body is None and page.reading is not None:
            self.not_modified += 1
            reading = page.reading
        else:
            try:
                reading = fmt.parse(answer.body or b"", page.link)
            except ParseError as exc:
                self._failed(page, str(exc)[:200])
                return False
            page.etag, page.last_modified = answer.etag, answer.last_modified
        updates = list(reading.updates)
        open_now = {i.id for i in reading.incidents}
        closed = page.open_ids - open_now
        if (
            fmt.history is not None
            and fmt.parse_history is not None
            and (closed or page.reading is None)
        ):
            updates.extend(await self._history(page, fmt))
        page.reading, page.open_ids, page.error = reading, open_now, None
        await self._hand_over(page, reading, updates)
        return True

    async def _history(self, page: Page, fmt: Format) -> list[Update]:
        url = fmt.history(page.url)
        if url is None or fmt.parse_history is None:
            return []
        try:
            answer = await self._fetcher.get(url)
            return fmt.parse_history(answer.body or b"", page.link)
        except (PageFailed, ParseError) as exc:
            reason = exc.reason if isinstance(exc, PageFailed) else str(exc)
            self._status.noted(f"{page.link} history: {reason}"[:300])
            return []

    async def _hand_over(self, page: Page, reading: Reading, updates: list[Update]) -> None:
        now = self._board.clock.now()
        fresh = [u for u in updates if u.key not in page.seen_set]
        for service, components in page.services:
            self._board.heard(service, page.link, page.kind, reading.view(components, now), now)
        if not fresh:
            return
        self._status.matched(len(fresh))
        stored = 0
        for service, components in page.services:
            # the store is another thread's: the loop goes on reading other pages meanwhile
            kept = await asyncio.to_thread(
                self._board.record, service, page.link, fresh, components
            )
            stored += len(kept)
        self._status.counted(stored)
        page.remember(u.key for u in fresh)
        if self._cursors is not None:
            value = json.dumps(list(page.seen)).encode()
            await asyncio.to_thread(self._cursors.put, f"status:{page.key}"[:128], value)

    def _failed(self, page: Page, reason: str) -> None:
        page.error = reason
        self._status.noted(f"{page.link}: {reason}"[:300])

    # -- what the status shows ----------------------------------------------------------------
    def _show(self) -> None:
        now = time.monotonic()
        reads = self._reads
        while reads and reads[0] < now - 60.0:
            reads.popleft()
        failing = {p.link: p.error for p in self.pages if p.error and not p.offline}
        offline = sum(1 for p in self.pages if p.offline)
        self._status.note(
            pages=len(self.pages),
            pages_read=sum(1 for p in self.pages if p.reading is not None),
            pages_failing=len(failing),
            pages_offline=offline,
            pages_with_open_incidents=sum(1 for p in self.pages if p.open_ids),
            reads_last_minute=len(reads),
            not_modified=self.not_modified,
            failing=dict(list(failing.items())[:_FAILING_SHOWN]),
        )
        # the first reads are spread over a minute: what the pages tried so far say is what
        # is known, so a server started with the network away says so at its first reads
        tried = [p for p in self.pages if p.offline or p.error or p.reading is not None]
        if tried and offline == len(tried):
            self._status.offline(
                f"offline: {offline} status pages are not on loopback addresses"
                if any(p.error and p.error.startswith("offline") for p in self.pages)
                else "the network is away"
            )
        elif any(p.reading is not None for p in self.pages):
            self._status.connected()


def open_services(runtime: Runtime) -> Callable[[], set[str]]:
    """The services with an incident open in this process's detection."""

    def find() -> set[str]:
        engine = runtime.engine
        if engine is None:
            return set()
        return {incident.service for incident in engine.tracker.open_incidents()}

    return find


def user_agent(runtime: Runtime) -> str:
    where = runtime.settings.public_url
    contact = f"; +{where}" if where else ""
    return f"Rasd/{__version__} (open-source outage detector, reads public status pages{contact})"


def build(runtime: Runtime) -> list[Any]:
    from rasd.signals.official import board_of

    settings = runtime.settings
    if not settings.status_pages_enabled:
        return []
    fetcher = PageFetcher(
        runtime.reach,
        user_agent=user_agent(runtime),
        timeout=settings.status_timeout_seconds,
        max_bytes=settings.status_max_bytes,
        connections=settings.status_concurrency,
    )
    return [
        StatusPageSource(
            pages_of(runtime.catalog),
            board_of(runtime),
            fetcher,
            cursors=Cursors(runtime.store),
            interval=settings.status_interval_seconds,
            hot_interval=settings.status_hot_interval_seconds,
            concurrency=settings.status_concurrency,
            hot=open_services(runtime),
        )
    ]
