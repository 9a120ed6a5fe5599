"""Benchmark (make bench): the month × domain report over 10,000,000 cost rows on PostgreSQL, p95 (target ≤ 300 ms).

Rows are seeded server-side with ``generate_series`` (no Python loop): 5,000 workspace tags a
day over ~5.5 years, 24 domains, 1 in 20 rows untagged (Unallocated), two currencies. The
monthly totals (CostMonth) are then built the way ingestion maintains them, the tables are
VACUUM ANALYZEd, as autovacuum would have done on a real deployment, and the
report finance opens by default (six months) is timed through the real selector,
``domain_month_matrix``, and through the page. ``LOOM_BENCH_COST_ROWS`` changes the row count.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time

import pytest
from django.db import connection

from chargeback import selectors, services
from chargeback.models import CostRecord
from tests import factories
from tests.conftest import on_postgres

ROWS = int(os.environ.get("LOOM_BENCH_COST_ROWS", "10000000"))
RUNS = int(os.environ.get("LOOM_BENCH_REPORT_RUNS", "30"))
WORKSPACES_PER_DAY = 5000
DOMAINS = 24
LAST_DAY = dt.date(2026, 10, 31)
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-0000000000c1"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL (make bench)"),
]

SEED = """
INSERT INTO chargeback_costrecord
    (tenant_id, scope_id, usage_date, cost_type, workspace_id, domain_id, workspace_tag, domain_tag, cost, currency)
SELECT %(tenant)s, %(scope)s,
       %(last_day)s::date - (n / %(per_day)s)::int,
       'ActualCost', NULL,
       CASE WHEN n %% 20 = 0 THEN NULL ELSE (%(domain_ids)s::bigint[])[1 + (n %% %(domains)s)] END,
       'ws-' || (n %% %(per_day)s), '',
       ((n * 7919) %% 100000) / 1000.0,
       CASE WHEN n %% 50 = 0 THEN 'EUR' ELSE 'USD' END
FROM generate_series(0::bigint, %(rows)s::bigint - 1) AS n
"""


def _p(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def test_month_by_domain_report_over_ten_million_cost_rows(platform_owner, finance, signed_in):
    domains = [factories.make_domain(platform_owner, f"Domain {i:02d}", slug=f"domain-{i:02d}") for i in range(DOMAINS)]
    scope = services.cost_scope_create(
        actor=platform_owner, name="Bench", scope=SUBSCRIPTION, history_start=dt.date(2020, 1, 1)
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            SEED,
            {"tenant": scope.tenant_id, "scope": scope.pk, "last_day": LAST_DAY, "per_day": WORKSPACES_PER_DAY,
             "domain_ids": [d.pk for d in domains], "domains": DOMAINS, "rows": ROWS},
        )
    seeded = time.perf_counter() - started
    first_day = LAST_DAY - dt.timedelta(days=(ROWS - 1) // WORKSPACES_PER_DAY)
    t0 = time.perf_counter()
    months = services.refresh_cost_months(scope_id=scope.pk, date_from=first_day, date_to=LAST_DAY)
    rolled_up = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE chargeback_costrecord")
        cursor.execute("VACUUM ANALYZE chargeback_costmonth")
    vacuumed = time.perf_counter() - t0
    assert CostRecord.objects.count() == ROWS

    date_from, date_to = dt.date(2026, 5, 1), LAST_DAY
    timings = []
    for _ in range(RUNS + 2):
        t0 = time.perf_counter()
        matrix = selectors.domain_month_matrix(actor=finance, date_from=date_from, date_to=date_to)
        timings.append((time.perf_counter() - t0) * 1000)
    timings = timings[2:]  # two warm-up runs
    client = signed_in(finance)
    page_timings = []
    for _ in range(max(5, RUNS // 3)):
        t0 = time.perf_counter()
        response = client.get("/chargeback/?from=2026-05&to=2026-10")
        page_timings.append((time.perf_counter() - t0) * 1000)
    assert response.status_code == 200

    days = ROWS // WORKSPACES_PER_DAY
    print(
        f"\n[chargeback bench] {ROWS:,} cost rows ({days:,} days × {WORKSPACES_PER_DAY:,} tags, {DOMAINS} domains): "
        f"seeded in {seeded:.1f} s (generate_series), {months:,} monthly totals built in {rolled_up:.1f} s "
        f"(what ingestion does for the months it writes), VACUUM ANALYZE {vacuumed:.1f} s"
        f"\n[chargeback bench] month × domain report, 6 months, selector: p50 {statistics.median(timings):.0f} ms, "
        f"p95 {_p(timings, 0.95):.0f} ms, max {max(timings):.0f} ms over {RUNS} runs (target p95 ≤ 300 ms)"
        f"\n[chargeback bench] the whole /chargeback/ page (matrix, allocation, movers, forecast): "
        f"p50 {statistics.median(page_timings):.0f} ms, p95 {_p(page_timings, 0.95):.0f} ms over {len(page_timings)} runs"
    )
    # Correctness, not time: every domain and Unallocated, six months, in both currencies.
    assert matrix.periods[0] == date_from and len(matrix.periods) == 6
    assert {r.label for r in matrix.rows} == {d.name for d in domains} | {"Unallocated"}
    assert {r.currency for r in matrix.rows} == {"USD", "EUR"}
