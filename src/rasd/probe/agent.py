"""The probe agent: takes its checks from the server, runs them on schedule, pushes the results.

It keeps probing when the server is away: results wait in a bounded buffer (the oldest are
dropped, and counted, when it is full) and go out when the server is back. A batch that was
sent but not acknowledged is sent again with the same id, so the server can drop a repeat.

A failure is believed only after a round of canaries (`canary.py`) that began after it was
seen: when they fail too, the vantage itself is offline and the result says so. The same
machinery runs inside `rasd serve` as its own vantage, with a link that publishes to the log
instead of an uplink to a server (`rasd.sources.prober`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx

from rasd.clock import Clock, SystemClock
from rasd.probe.buffer import ResultBuffer
from rasd.probe.canary import DEFAULT_CANARIES, VantageWatch, parse_canaries
from rasd.probe.checks import ProbeContext, Unreachable, may_run, run_check
from rasd.probe.checks.authority import AuthorityFinder
from rasd.probe.checks.nameserver import parse_nameserver, system_nameservers
from rasd.probe.reach import Reach
from rasd.probe.schedule import Schedule
from rasd.probe.uplink import Backoff, BatchRefused, Link, NotAllowed, ServerAway, Uplink
from rasd.signals.probes import ProbeBatch, ProbeCheck, ProbeResult

log = logging.getLogger("rasd.probe")

USER_AGENT = "rasd-probe/0.1"


@dataclass
class AgentConfig:
    region: str
    server: str
    token: str
    concurrency: int = 32
    resolvers: list[str] = field(default_factory=list)
    interval_scale: float = 1.0
    ca_file: str | None = None
    authoritative_port: int = 53
    # at most buffer_size + batch_size results are held (the buffer and the batch in flight)
    buffer_size: int = 10_000
    batch_size: int = 500
    # the waits below are multiplied by interval_scale, like the check intervals
    flush_s: float = 5.0
    refresh_s: float = 300.0
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    # None: the well-known defaults; an empty list: no canaries, every failure is believed
    canaries: list[str] | None = None
    canary_every_s: float = 60.0  # a round at least this often, to show the vantage's state
    canary_gap_s: float = 5.0  # rounds that judge failures start at most this often
    # RASD_OFFLINE: contact loopback hosts only (and never the system's resolver)
    offline: bool = False

    def __post_init__(self) -> None:
        if not self.region or self.region.startswith("@"):
            raise ValueError("the region must be a non-empty name not starting with @")
        if self.concurrency < 1 or self.batch_size < 1 or self.buffer_size < 1:
            raise ValueError("concurrency, batch size and buffer size must be at least 1")
        if self.interval_scale <= 0:
            raise ValueError("the interval scale must be positive")
        parse_canaries(self.canary_texts())  # a bad canary is a bad setting, said at the start

    def canary_texts(self) -> list[str]:
        return list(DEFAULT_CANARIES if self.canaries is None else self.canaries)


@dataclass
class AgentStats:
    checks: int = 0
    check_list: bool = False  # whether the server ever gave one
    checks_run: int = 0
    results_delivered: int = 0
    batches_delivered: int = 0
    batches_refused: int = 0
    dropped: int = 0
    held: int = 0
    skipped: int = 0  # checks left out: their hosts may not be contacted from here (offline)
    unreached: int = 0  # runs stopped before a host they may not contact (a name server found)
    offline_results: int = 0  # results made while the canaries said the vantage was offline
    canary_rounds: int = 0
    vantage_state: str = "unknown"


@functools.lru_cache(maxsize=8)
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trust store, plus a private CA when the services probed use one.

    Made once per CA file and shared: loading the trust store takes 10-30 ms of the event
    loop, and the prober's rounds and the live sources' reconnections would pay it each time.
    """
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class ProbeAgent:
    """`link` replaces the uplink to a server (the built-in prober publishes to the log);
    `on_result` hears of every result kept."""

    def __init__(
        self,
        config: AgentConfig,
        clock: Clock | None = None,
        *,
        link: Link | None = None,
        on_result: Callable[[ProbeResult], None] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self._link = link
        self._on_result = on_result
        self.reach = Reach(config.offline)
        self.watch: VantageWatch | None = None
        self.runnable: list[ProbeCheck] = []
        self.stats = AgentStats()
        self.buffer = ResultBuffer(config.buffer_size)
        scale = config.interval_scale
        self._schedule = Schedule(scale=scale)
        self._backoff = Backoff(config.backoff_base_s * scale, config.backoff_cap_s * scale)
        self._pending: ProbeBatch | None = None
        self._flush_now = asyncio.Event()
        self._semaphore = asyncio.Semaphore(config.concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        resolvers = [parse_nameserver(text) for text in config.resolvers]
        # offline, the system's resolver is not asked: it may forward to the Internet
        self._resolvers = resolvers or ([] if config.offline else system_nameservers())

    # --- the two ways to run ---

    async def run(self, stop: asyncio.Event) -> AgentStats:
        """Runs until `stop` is set; then tries once to deliver what it holds."""
        async with self._clients() as (ctx, uplink):
            checks = await self._first_checks(uplink, stop)
            if checks is not None:
                loop = asyncio.get_running_loop()
                checks = self._runnable(checks, ctx)
                self._schedule.replace(checks, loop.time())
                log.info("%s: %d checks", self.config.region, len(checks))
                workers = [
                    asyncio.create_task(self._probe_loop(ctx, stop)),
                    asyncio.create_task(self._refresh_loop(uplink, ctx, stop)),
                    asyncio.create_task(self._canary_loop(stop)),
                ]
                pusher = asyncio.create_task(self._push_loop(uplink, stop))
                await stop.wait()
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                await self._settle_inflight()
                self._flush_now.set()
                await pusher
                await self._deliver_all(uplink, attempts=1)
        self.stats.held = len(self.buffer) + (len(self._pending.results) if self._pending else 0)
        self.stats.dropped = self.buffer.dropped_total
        return self.stats

    async def run_once(self, attempts: int = 5) -> AgentStats:
        """Every check once, then delivery; gives up on the server after `attempts` tries."""
        async with self._clients() as (ctx, uplink):
            checks: list[ProbeCheck] | None = None
            for attempt in range(attempts):
                try:
                    checks = await uplink.fetch_checks()
                    break
                except ServerAway as exc:
                    log.warning("%s: no check list (%s)", self.config.region, exc)
                    if isinstance(exc, NotAllowed):
                        break
                    if attempt + 1 < attempts:
                        await asyncio.sleep(self._backoff.next_wait(exc.retry_after))
            if checks is not None:
                self.stats.check_list = True
                checks = self._runnable(checks, ctx)
                self._backoff.reset()
                await asyncio.gather(*(self._run_one(check, ctx) for check in checks))
                await self._deliver_all(uplink, attempts=attempts)
        self.stats.held = len(self.buffer) + (len(self._pending.results) if self._pending else 0)
        self.stats.dropped = self.buffer.dropped_total
        return self.stats

    # --- pieces ---

    @contextlib.asynccontextmanager
    async def _clients(self) -> AsyncIterator[tuple[ProbeContext, Link]]:
        tls = tls_context(self.config.ca_file)
        limits = httpx.Limits(
            max_connections=self.config.concurrency,
            max_keepalive_connections=self.config.concurrency,
        )
        # trust_env off: a probe must see the service directly, never through a proxy
        async with (
            httpx.AsyncClient(
                verify=tls,
                follow_redirects=True,
                max_redirects=5,
                limits=limits,
                headers={"User-Agent": USER_AGENT},
                trust_env=False,
                event_hooks={"request": [self._refuse_unreachable]},
            ) as probe_client,
            httpx.AsyncClient(
                verify=tls,
                timeout=httpx.Timeout(10.0),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,
            ) as server_client,
        ):
            authorities = AuthorityFinder(self._resolvers, port=self.config.authoritative_port)
            ctx = ProbeContext(
                vantage=self.config.region,
                http=probe_client,
                tls=tls,
                resolvers=self._resolvers,
                authorities=authorities,
                clock=self.clock,
                reach=self.reach,
            )
            canaries = [c for c in parse_canaries(self.config.canary_texts()) if may_run(c, ctx)]
            self.watch = VantageWatch(
                canaries,
                lambda canary: run_check(canary, ctx),
                min_gap_s=self.config.canary_gap_s * self.config.interval_scale,
                wall=self.clock.now,
            )
            uplink = self._link or Uplink(self.config.server, self.config.token, server_client)
            try:
                yield ctx, uplink
            finally:
                self._note_watch()
                await self.watch.close()

    async def _refuse_unreachable(self, request: httpx.Request) -> None:
        # a redirect may lead off loopback; offline, the probe stops there
        if not self.reach.allows(str(request.url)):
            raise Unreachable(f"{request.url.host} is not a loopback address (offline)")

    def _runnable(self, checks: list[ProbeCheck], ctx: ProbeContext) -> list[ProbeCheck]:
        runnable = [check for check in checks if may_run(check, ctx)]
        self.runnable = runnable
        self.stats.checks = len(runnable)
        self.stats.skipped = len(checks) - len(runnable)
        return runnable

    def _note_watch(self) -> None:
        if self.watch is not None:
            self.stats.canary_rounds = self.watch.rounds
            self.stats.vantage_state = self.watch.state

    async def _canary_loop(self, stop: asyncio.Event) -> None:
        """A round now and then even when nothing fails, so the vantage's state is known."""
        watch = self.watch
        if watch is None or not watch.canaries:
            return
        period = self.config.canary_every_s * self.config.interval_scale
        while True:
            await watch.check()
            self._note_watch()
            if await _sleep_unless(stop, period):
                return

    async def _first_checks(self, uplink: Link, stop: asyncio.Event) -> list[ProbeCheck] | None:
        while not stop.is_set():
            try:
                checks = await uplink.fetch_checks()
            except ServerAway as exc:
                wait = self._backoff.next_wait(exc.retry_after)
                log.warning(
                    "%s: no check list yet (%s); again in %.1f s", self.config.region, exc, wait
                )
                await _sleep_unless(stop, wait)
                continue
            self._backoff.reset()
            self.stats.check_list = True
            return checks
        return None

    async def _refresh_loop(self, uplink: Link, ctx: ProbeContext, stop: asyncio.Event) -> None:
        period = self.config.refresh_s * self.config.interval_scale
        loop = asyncio.get_running_loop()
        while not await _sleep_unless(stop, period):
            try:
                checks = await uplink.fetch_checks()
            except ServerAway as exc:
                log.info("%s: keeping %d checks (%s)", self.config.region, len(self._schedule), exc)
                continue
            self._schedule.replace(self._runnable(checks, ctx), loop.time())

    async def _probe_loop(self, ctx: ProbeContext, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            for check in self._schedule.pop_due(loop.time()):
                # waiting here, not queueing, is what keeps memory bounded when checks are slow
                await self._semaphore.acquire()
                task = asyncio.create_task(self._run_one(check, ctx, acquired=True))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            due = self._schedule.next_due()
            wait = 1.0 if due is None else min(max(due - loop.time(), 0.0), 1.0)
            await _sleep_unless(stop, wait)

    async def _run_one(self, check: ProbeCheck, ctx: ProbeContext, acquired: bool = False) -> None:
        if not acquired:
            await self._semaphore.acquire()
        try:
            result = await run_check(check, ctx)
        except Unreachable:
            self.stats.unreached += 1
            return
        except Exception:
            # a bug in one check must not stop the others; it shows in the log, not as an outcome
            log.exception("%s: check %s crashed", self.config.region, check.id)
            return
        finally:
            self._semaphore.release()
        if result.failed and self.watch is not None:
            seen_at = self.watch.now()
            if await self.watch.offline_since(seen_at):
                result.vantage_offline = True
                self.stats.offline_results += 1
            self._note_watch()
        self._keep(result)

    def _keep(self, result: ProbeResult) -> None:
        self.stats.checks_run += 1
        if self._on_result is not None:
            self._on_result(result)
        self.buffer.add(result)
        if len(self.buffer) >= self.config.batch_size:
            self._flush_now.set()

    async def _settle_inflight(self) -> None:
        if self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _push_loop(self, uplink: Link, stop: asyncio.Event) -> None:
        period = self.config.flush_s * self.config.interval_scale
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(period):
                    await self._flush_now.wait()
            self._flush_now.clear()
            if stop.is_set():
                return
            while self._pending is not None or len(self.buffer):
                try:
                    await self._deliver_one(uplink)
                except ServerAway as exc:
                    wait = self._backoff.next_wait(exc.retry_after)
                    log.warning(
                        "%s: server away (%s); holding %d results; again in %.1f s",
                        self.config.region,
                        exc,
                        len(self.buffer),
                        wait,
                    )
                    if await _sleep_unless(stop, wait):
                        return

    async def _deliver_one(self, uplink: Link) -> None:
        """Sends the pending batch, or makes one; raises ServerAway and keeps it pending."""
        if self._pending is None:
            results = self.buffer.take(self.config.batch_size)
            if not results:
                return
            self._pending = ProbeBatch(
                id=uuid.uuid4().hex,
                vantage=self.config.region,
                results=results,
                dropped=self.buffer.dropped,
            )
        batch = self._pending
        try:
            await uplink.push(batch)
        except BatchRefused as exc:
            log.error(
                "%s: the server refused a batch of %d: %s",
                self.config.region,
                len(batch.results),
                exc,
            )
            self.buffer.discard(len(batch.results))
            self.buffer.delivered(batch.dropped)
            self.stats.batches_refused += 1
            self._pending = None
            return
        self._pending = None
        self.buffer.delivered(batch.dropped)
        self._backoff.reset()
        self.stats.batches_delivered += 1
        self.stats.results_delivered += len(batch.results)

    async def _deliver_all(self, uplink: Link, attempts: int) -> None:
        failures = 0
        while self._pending is not None or len(self.buffer):
            try:
                await self._deliver_one(uplink)
            except ServerAway as exc:
                failures += 1
                if failures >= attempts or isinstance(exc, NotAllowed):
                    log.warning(
                        "%s: %d results not delivered (%s)",
                        self.config.region,
                        len(self.buffer) + len(self._pending.results if self._pending else []),
                        exc,
                    )
                    return
                await asyncio.sleep(self._backoff.next_wait(exc.retry_after))


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> bool:
    """Sleeps up to `seconds`; True when `stop` was set meanwhile."""
    if stop.is_set():
        return True
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
    return stop.is_set()
