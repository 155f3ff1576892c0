"""A simulation's reports, posts and probe results drawn one minute ahead, in a process of
their own.

A replay in process counts, detects and stores on the same interpreter lock; drawing the
next minute there took a seventh of the replay thread over the reference day. A forked
process draws it meanwhile, on the other core, and hands over the columns as bytes (the
tables of names are the parent's own, so the counters' caches keyed by them still hit).
Probe results come as columns too (`ProbeColumns`: a day's millions of them as objects cost
more to pass through a pipe than to draw, and the parent's thread drew them); route updates
are drawn here, in the parent. Every minute comes from its own random stream, so the
minutes are the same wherever they are drawn.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Generator
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import numpy as np

from rasd.signals.probes import PROBE_COLUMNS, ProbeColumns
from rasd.signals.reports import ReportColumns

if TYPE_CHECKING:
    from rasd.sim.simulation import MinuteTraffic, Simulation

_COLUMNS = (
    ("ts_ms", np.int64),
    ("service", np.int32),
    ("problem", np.int16),
    ("place", np.int32),
    ("reporter", np.uint64),
    ("network", np.uint64),
)


def can_look_ahead() -> bool:
    """Whether this system forks: the child must start with the simulation as it is."""
    return "fork" in multiprocessing.get_all_start_methods()


def minutes_ahead(sim: Simulation, lo: int, hi: int) -> Generator[MinuteTraffic, None, None]:
    """Minutes [lo, hi) of `sim`, as `Simulation.minutes` yields them, the reports and posts of
    the next minute drawn in a child process while the caller works on this one."""
    from rasd.sim.simulation import MinuteTraffic

    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(
        target=_draw, args=(sim, lo, hi, theirs), name="rasd-sim-ahead", daemon=True
    )
    child.start()
    theirs.close()
    try:
        for minute in range(lo, hi):
            try:
                got = pickle.loads(ours.recv_bytes())
            except EOFError:
                raise RuntimeError("the process drawing the simulation ahead stopped") from None
            if isinstance(got, BaseException):
                raise got
            drawn, columns, posts, probe_columns = got
            if drawn != minute:
                raise RuntimeError(f"minute {drawn} drawn ahead where {minute} was due")
            ts_ms, service, problem, place, reporter, network = (
                np.frombuffer(data, dtype)
                for (_, dtype), data in zip(_COLUMNS, columns, strict=True)
            )
            tables = (sim.service_ids, sim.problems, sim.places)  # in the fields' order
            reports = ReportColumns(ts_ms, service, problem, place, reporter, network, *tables)
            probes: ProbeColumns | list[Any] = []
            if probe_columns is not None:
                arrays: dict[str, Any] = {
                    name: np.frombuffer(data, dtype)
                    for (name, dtype), data in zip(PROBE_COLUMNS, probe_columns, strict=True)
                }
                checks, vantages, rcodes = sim.probe_tables()
                probes = ProbeColumns(**arrays, checks=checks, vantages=vantages, rcodes=rcodes)
            yield MinuteTraffic(minute, reports, posts, probes, sim.routes_of(minute))
    finally:
        ours.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _draw(sim: Simulation, lo: int, hi: int, out: Connection) -> None:
    """In the child: each minute drawn and sent; the send waits while the parent is a minute
    behind, which keeps the child one minute ahead and no more."""
    try:
        for minute in range(lo, hi):
            reports = sim.reports_of(minute)
            columns = [getattr(reports, name).tobytes() for name, _ in _COLUMNS]
            probes = sim.probe_columns_of(minute)
            probe_columns = None
            if probes is not None:
                probe_columns = [getattr(probes, name).tobytes() for name, _ in PROBE_COLUMNS]
            message: Any = (minute, columns, sim.posts_of(minute), probe_columns)
            out.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    except BrokenPipeError:  # the parent stopped early
        return
    except BaseException as exc:  # noqa: BLE001 - the parent raises it
        try:
            out.send_bytes(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - unpicklable or gone: the parent sees the end
            pass
    finally:
        out.close()
