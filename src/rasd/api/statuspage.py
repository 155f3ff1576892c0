"""Statuspage-compatible JSON (/api/v2/...): every service is a component of one page.

Tools that already watch Atlassian Statuspage pages (chat integrations, dashboards, status
aggregators) read Rasd the same way. The published value sets are kept exactly:
components are operational, degraded_performance, partial_outage or major_outage; incidents
investigating, identified, monitoring, resolved or postmortem; impact and the page indicator
none, minor, major or critical. Official statements are the incidents' updates.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from rasd.api.params import Lang, parse_lang
from rasd.api.shapes import errors
from rasd.catalog import Service
from rasd.http.responses import JSON
from rasd.incidents.model import IncidentState
from rasd.locale import N_, words
from rasd.locale.terms import level_phrase
from rasd.notify.statements import StatementStatus, StatementStore
from rasd.runtime import Runtime
from rasd.store.rows import IncidentRow

router = APIRouter(prefix="/api/v2", tags=["statuspage"])

PAGE_ID = "rasd"
ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage"]
IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved", "postmortem"]
Impact = Literal["none", "minor", "major", "critical"]
_RANK = {"none": 0, "minor": 1, "major": 2, "critical": 3}
_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
_DETECTED = N_("{name}: {level}, as seen by Rasd in reports, posts and probes.")
_RASD = N_("Rasd")
_BACK = N_("{name} is back to normal.")


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# -- the published shapes (documented, and what the tests read back against) -------------
class PageInfo(BaseModel):
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: str


class Status(BaseModel):
    indicator: Impact
    description: str


class Component(BaseModel):
    id: str
    name: str
    status: ComponentStatus
    created_at: str
    updated_at: str
    position: int
    description: str | None
    showcase: bool
    start_date: str | None
    group_id: str | None
    page_id: str
    group: bool
    only_show_if_degraded: bool


class AffectedComponent(BaseModel):
    code: str
    name: str
    old_status: ComponentStatus
    new_status: ComponentStatus


class IncidentUpdate(BaseModel):
    id: str
    status: IncidentStatus
    body: str
    incident_id: str
    created_at: str
    updated_at: str
    display_at: str
    affected_components: list[AffectedComponent]
    deliver_notifications: bool
    custom_tweet: str | None
    tweet_id: str | None


class Incident(BaseModel):
    id: str
    name: str
    status: IncidentStatus
    created_at: str
    updated_at: str
    monitoring_at: str | None
    resolved_at: str | None
    impact: Impact
    shortlink: str
    started_at: str
    page_id: str
    incident_updates: list[IncidentUpdate]
    components: list[Component]


class Summary(BaseModel):
    page: PageInfo
    status: Status
    components: list[Component]
    incidents: list[Incident]
    scheduled_maintenances: list[dict[str, Any]]


class StatusOnly(BaseModel):
    page: PageInfo
    status: Status


class Components(BaseModel):
    page: PageInfo
    components: list[Component]


class Incidents(BaseModel):
    page: PageInfo
    incidents: list[Incident]


# -- mapping Rasd's incidents onto Statuspage's words -------------------------------------
def component_status(incident: IncidentRow | None) -> ComponentStatus:
    if incident is None or incident.state is IncidentState.RESOLVED:
        return "operational"
    return _failing(incident)


def _failing(incident: IncidentRow) -> ComponentStatus:
    """The component's status while the incident is open."""
    if incident.level < 2:
        return "degraded_performance"
    grade = (incident.data.get("severity") or {}).get("grade", "minor")
    return "partial_outage" if grade == "minor" else "major_outage"


def impact(incident: IncidentRow) -> Impact:
    data = incident.data
    if int(data.get("max_level", data.get("level", 1))) < 2:
        return "minor"
    grade = (data.get("severity") or {}).get("grade", "minor")
    return grade if grade in ("minor", "major", "critical") else "minor"


# what the operator's last statement may leave an open incident at
_SAID_OPEN = (StatementStatus.INVESTIGATING, StatementStatus.IDENTIFIED, StatementStatus.MONITORING)


def incident_status(incident: IncidentRow, statements: list[dict[str, Any]]) -> StatementStatus:
    """Where the incident is, in Statuspage's words (never `postmortem`: none is written)."""
    if incident.state is IncidentState.RESOLVED:
        return StatementStatus.RESOLVED
    said = statements[-1]["status"] if statements else None
    if said in _SAID_OPEN:
        return StatementStatus(said)
    if said == StatementStatus.RESOLVED or incident.state is IncidentState.RECOVERING:
        # the operator says it is over, or the counts say so, but Rasd still sees trouble
        return StatementStatus.MONITORING
    return StatementStatus.INVESTIGATING


class _Page:
    """One answer's worth of context: the runtime, a language, the statements at hand."""

    def __init__(self, request: Request, lang: str) -> None:
        self.rt = _runtime(request)
        self.lang = lang
        self.base = str(request.base_url).rstrip("/")
        self.now = self.rt.clock.now().isoformat()
        self.position = {s.id: n + 1 for n, s in enumerate(self.rt.catalog)}

    def info(self, updated_at: str | None = None) -> dict[str, Any]:
        name = words(self.lang)(_RASD)
        return {
            "id": PAGE_ID,
            "name": name,
            "url": self.base,
            "time_zone": "Etc/UTC",
            "updated_at": updated_at or self.now,
        }

    def component(self, service: Service, incident: IncidentRow | None) -> dict[str, Any]:
        updated = str(incident.data["updated_at"]) if incident else self.now
        return {
            "id": service.id,
            "name": service.display_name(self.lang),
            "status": component_status(incident),
            "created_at": updated,
            "updated_at": updated,
            "position": self.position.get(service.id, 0),
            "description": self.rt.catalog.category_name(service.category, self.lang),
            "showcase": True,
            "start_date": None,
            "group_id": None,
            "page_id": PAGE_ID,
            "group": False,
            "only_show_if_degraded": False,
        }

    def incident(self, row: IncidentRow, statements: list[dict[str, Any]]) -> dict[str, Any]:
        data = row.data
        service = self.rt.catalog.services.get(row.service)
        name = service.display_name(self.lang) if service else row.service
        level = int(data.get("max_level", data.get("level", 1)))
        status = incident_status(row, statements)
        component = self.component(service, row) if service else None
        affected = (
            [
                {
                    "code": service.id,
                    "name": name,
                    "old_status": "operational",
                    "new_status": _failing(row),
                }
            ]
            if service
            else []
        )
        updates = [
            self._update(
                row,
                f"{row.id}-detected",
                StatementStatus.INVESTIGATING,
                words(self.lang)(
                    _DETECTED, name=name, level=level_phrase(words(self.lang), max(level, 1))
                ),
                str(data["detected_at"]),
                affected,
            )
        ]
        for s in statements:
            text = s["message"].get(self.lang) or next(iter(s["message"].values()), "")
            updates.append(self._update(row, s["id"], s["status"], text, s["created_at"], affected))
        resolved = row.state is IncidentState.RESOLVED
        if resolved and data.get("end"):
            updates.append(
                self._update(
                    row,
                    f"{row.id}-{StatementStatus.RESOLVED}",
                    StatementStatus.RESOLVED,
                    words(self.lang)(_BACK, name=name),
                    str(data["updated_at"]),
                    affected,
                )
            )
        updates.sort(key=lambda u: u["created_at"], reverse=True)
        updated_at = max([str(data["updated_at"])] + [s["created_at"] for s in statements])
        return {
            "id": row.id,
            "name": f"{name}: {level_phrase(words(self.lang), max(level, 1))}",
            "status": status.value,
            "created_at": str(data["detected_at"]),
            "updated_at": updated_at,
            "monitoring_at": (
                str(data["updated_at"]) if status is StatementStatus.MONITORING else None
            ),
            "resolved_at": (
                str(data["end"]) if status is StatementStatus.RESOLVED and data.get("end") else None
            ),
            "impact": impact(row),
            "shortlink": f"{self.base}/services/{row.service}",
            "started_at": str(data["start"]),
            "page_id": PAGE_ID,
            "incident_updates": updates,
            "components": [component] if component else [],
        }

    def _update(
        self,
        row: IncidentRow,
        update_id: str,
        status: str,
        body: str,
        at: str,
        affected: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "id": update_id,
            "status": str(status),
            "body": body,
            "incident_id": row.id,
            "created_at": at,
            "updated_at": at,
            "display_at": at,
            "affected_components": affected,
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
        }

    def incidents(self, rows: list[IncidentRow]) -> list[dict[str, Any]]:
        said = StatementStore(self.rt.store, self.rt.clock).by_incident([r.id for r in rows])
        return [self.incident(r, said.get(r.id, [])) for r in rows]

    def open_rows(self) -> list[IncidentRow]:
        return list(self.rt.store.open_incidents().values())

    def components(self, open_rows: list[IncidentRow]) -> list[dict[str, Any]]:
        by_service = {r.service: r for r in open_rows}
        return [self.component(s, by_service.get(s.id)) for s in self.rt.catalog]

    def status(self, open_rows: list[IncidentRow]) -> dict[str, Any]:
        worst = "none"
        for row in open_rows:
            grade = impact(row)
            if _RANK[grade] > _RANK[worst]:
                worst = grade
        return {"indicator": worst, "description": _DESCRIPTIONS[worst]}

    def updated_at(self, open_rows: list[IncidentRow]) -> str:
        stamps = [str(r.data["updated_at"]) for r in open_rows]
        return max(stamps) if stamps else self.now


def _lang(lang: str | None) -> str:
    return parse_lang(lang)


@router.get(
    "/summary.json",
    summary="Statuspage summary: page status, every service as a component, open incidents",
    response_model=Summary,
    responses=errors(422),
)
async def summary(request: Request, lang: Lang = None) -> JSON:
    page = _Page(request, _lang(lang))
    rows = page.open_rows()
    return JSON(
        {
            "page": page.info(page.updated_at(rows)),
            "status": page.status(rows),
            "components": page.components(rows),
            "incidents": page.incidents(rows),
            "scheduled_maintenances": [],
        }
    )


@router.get(
    "/status.json",
    summary="Statuspage status: the page's indicator",
    response_model=StatusOnly,
    responses=errors(422),
)
async def status(request: Request, lang: Lang = None) -> JSON:
    page = _Page(request, _lang(lang))
    rows = page.open_rows()
    return JSON({"page": page.info(page.updated_at(rows)), "status": page.status(rows)})


@router.get(
    "/components.json",
    summary="Statuspage components: every service with its status",
    response_model=Components,
    responses=errors(422),
)
async def components(request: Request, lang: Lang = None) -> JSON:
    page = _Page(request, _lang(lang))
    rows = page.open_rows()
    return JSON({"page": page.info(page.updated_at(rows)), "components": page.components(rows)})


@router.get(
    "/incidents.json",
    summary="Statuspage incidents: the latest, newest first",
    response_model=Incidents,
    responses=errors(422),
)
async def incidents(
    request: Request,
    lang: Lang = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000),
) -> JSON:
    page = _Page(request, _lang(lang))
    rows = page.rt.store.list_incidents(limit=limit, offset=offset)
    return JSON(
        {"page": page.info(page.updated_at(page.open_rows())), "incidents": page.incidents(rows)}
    )


@router.get(
    "/incidents/unresolved.json",
    summary="Statuspage incidents not resolved yet",
    response_model=Incidents,
    responses=errors(422),
)
async def unresolved(request: Request, lang: Lang = None) -> JSON:
    page = _Page(request, _lang(lang))
    rows = page.open_rows()
    return JSON({"page": page.info(page.updated_at(rows)), "incidents": page.incidents(rows)})
