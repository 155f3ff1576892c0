from __future__ import annotations

import csv
import io
from datetime import timedelta

from conftest import T0
from fastapi.testclient import TestClient

from rasd.clock import minute_of
from rasd.runtime import Runtime
from rasd.series import REPORTS, WORLD, SeriesKey


def test_a_service_counts_as_csv(client: TestClient, runtime: Runtime) -> None:
    m = minute_of(T0)
    runtime.store.add_counts(
        {
            (SeriesKey("facebook", REPORTS, WORLD), m - 3): 5,
            (SeriesKey("facebook", REPORTS, "EG"), m - 3): 2,
            (SeriesKey("facebook", REPORTS, WORLD), m - 1): 7,
            (SeriesKey("instagram", REPORTS, WORLD), m - 1): 9,
        }
    )
    since = (T0 - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.get(f"/api/v1/services/facebook/series.csv?since={since}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["service"] for r in rows} == {"facebook"}
    world = [(r["time"], int(r["count"])) for r in rows if r["region"] == WORLD]
    assert len(world) == 6 and sum(n for _, n in world) == 12
    assert world[2] == ((T0 - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ"), 5)
    only = client.get(f"/api/v1/services/facebook/series.csv?since={since}&region=EG&step=5m")
    eg = list(csv.DictReader(io.StringIO(only.text)))
    assert {r["region"] for r in eg} == {"EG"} and sum(int(r["count"]) for r in eg) == 2


def test_bad_ranges_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/services/nope/series.csv").status_code == 404
    # a range that ends before it starts is the one minute of its end: a header, no rows
    late = (
        "/api/v1/services/facebook/series.csv?since=2021-10-05T00:00:00Z&until=2021-10-04T00:00:00Z"
    )
    answer = client.get(late)
    assert (
        answer.status_code == 200
        and "20211004T0000-20211004T0000" in answer.headers["content-disposition"]
    )
    assert client.get("/api/v1/services/facebook/series.csv?step=1y").status_code == 422
