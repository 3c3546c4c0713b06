"""Reports for providers and Cafcass: per provider, region and month, as referrals computes them
(GET /reports: counts only, cells under 5 already suppressed there), and the follow-up outcome
measure per provider, region and month of the call as workshops computes it (GET
/reports/follow-up-outcomes, suppressed there too), with a provider's answers per question (its
aggregate, small cells suppressed here for display). Each as a table, the same as CSV, and a chart
drawn here as SVG: bars with their values written beside them, so it reads without colour.
Coordinators see their provider's; Cafcass every provider's."""

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from console.web import HEADERS, Staff, needs, render, services

router = APIRouter()
READERS = needs("provider", "cafcass")
MONTH = re.compile(r"^20\d\d-(0[1-9]|1[0-2])$")
COLUMNS = (
    ("provider", "Provider"),
    ("region", "Region"),
    ("month", "Month"),
    ("referred", "Parents referred"),
    ("completed", "Completed"),
    ("incomplete", "Not completed"),
    ("completion_rate", "Completion rate"),
    ("elearning_finished", "Finished the e-learning"),
    ("median_elearning_days", "Median days to finish the e-learning"),
    ("workshop_attended", "Attended a workshop"),
    ("workshop_missed", "Missed a workshop"),
    ("reordered", "Ordered again"),
)
OUTCOME_COLUMNS = (
    ("provider", "Provider"),
    ("region", "Region"),
    ("month", "Month of the call"),
    ("calls_made", "Calls made"),
    ("reached", "Parents reached"),
    ("reach_rate", "Reach rate"),
    ("answered", "Answered every question"),
    ("mean_score", "Mean conflict score (0 never to 4 very often; lower is better)"),
)
RATES = ("completion_rate", "reach_rate", "mean_score", "median_elearning_days")
SUPPRESSED = "fewer than 5"
SCALE = ("Never", "Rarely", "Sometimes", "Often", "Very often")


def _months(since: str, until: str) -> tuple[str, str]:
    """The months asked for, or the last twelve (this one included)."""
    if MONTH.match(since) and MONTH.match(until):
        return since, until
    now = datetime.now(UTC)
    first = (now.year - 1, now.month + 1) if now.month < 12 else (now.year, 1)
    return f"{first[0]}-{first[1]:02d}", now.strftime("%Y-%m")


def cell(key: str, value: Any) -> str:
    if value is None:
        return SUPPRESSED if key not in RATES else "not shown"
    if key in ("completion_rate", "reach_rate"):
        return f"{round(value * 100)}%"
    return str(value)


def chart(rows: list[dict], key: str = "completion_rate", top: float = 1.0, name: str = "chart") -> Markup:
    """`key` per row as horizontal bars (0 to `top`), each under its provider, region and month and
    with its value in words beside it; a suppressed value is written, not drawn. Narrow (360 wide) so
    it reads at phone size without shrinking its text."""
    step, width = 46, 270
    height = 10 + step * len(rows)
    what = "Completion rate" if key == "completion_rate" else "Mean conflict score at the follow-up call (0 to 4)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 360 {height}" width="360" '
        f'height="{height}" role="img" aria-labelledby="{name}-title"><title id="{name}-title">{what} '
        f"by provider, region and month (the table below has the same numbers)</title>",
    ]
    for i, row in enumerate(rows):
        y = 4 + i * step
        label = escape(f"{row['provider']}, {row['region']}, {row['month']}")
        parts.append(f'<text x="0" y="{y + 14}" font-size="14">{label}</text>')
        parts.append(f'<line x1="0" y1="{y + 20}" x2="0" y2="{y + 40}" stroke="#0b0c0c"/>')
        value = row.get(key)
        if value is None:
            parts.append(f'<text x="6" y="{y + 35}" font-size="14" font-style="italic">not shown</text>')
        else:
            bar = round(width * min(value / top, 1.0))
            parts.append(f'<rect x="0" y="{y + 21}" width="{bar}" height="18" fill="#1d70b8"/>')
            parts.append(f'<text x="{bar + 6}" y="{y + 35}" font-size="14">{escape(cell(key, value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it is escaped above, the rest are numbers


async def _report(request: Request, staff: Staff, since: str, until: str) -> tuple[list[dict], list[dict], dict | None]:
    backends = services(request)
    months = {"since": since, "until": until}
    answer = await backends["referrals"].get("/reports", staff.token, params=months)
    rows = answer.body["rows"] if answer.ok else []
    calls = await backends["workshops"].get("/reports/follow-up-outcomes", staff.token, params=months)
    followups = calls.body["rows"] if calls.ok else []
    outcomes = None
    if staff.caller.role == "provider":
        found = await backends["workshops"].get(
            f"/providers/{staff.caller.provider or '-'}/follow-up-outcomes", staff.token
        )
        outcomes = found.body if found.ok else None
    return rows, followups, outcomes


def _small(value: int | None) -> str:
    return SUPPRESSED if value is None or 0 < value < 5 else str(value)


@router.get("/reports")
async def reports(request: Request, staff: Staff = READERS, since: str = "", until: str = "") -> Response:
    since, until = _months(since, until)
    rows, followups, outcomes = await _report(request, staff, since, until)
    page = dict(rows=rows, outcomes=outcomes, since=since, until=until, columns=COLUMNS, cell=cell, small=_small)
    page |= dict(followups=followups, outcome_columns=OUTCOME_COLUMNS)
    charts = dict(
        chart=chart(rows) if rows else "",
        outcome_chart=chart(followups, "mean_score", 4.0, "outcome-chart") if followups else "",
    )
    return render(request, "reports.html", scale=SCALE, **charts, **page)


@router.get("/reports.csv")
async def reports_csv(
    request: Request, staff: Staff = READERS, since: str = "", until: str = "", table: str = ""
) -> Response:
    """The course table, or (`table=follow-ups`) the follow-up outcome table, as shown."""
    since, until = _months(since, until)
    rows, followups, _ = await _report(request, staff, since, until)
    columns, kind = (OUTCOME_COLUMNS, "follow-ups") if table == "follow-ups" else (COLUMNS, "report")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in columns])
    for row in followups if table == "follow-ups" else rows:
        writer.writerow([cell(key, row.get(key)) for key, _ in columns])
    name = f"ptfc-{kind}-{since}-to-{until}.csv"
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
