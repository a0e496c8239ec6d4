"""``narrator usage``: model spending by profile and UTC day, from the usage ledger."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from narrator.budget import Budget, UsageRow, day_of
from narrator.cli.common import emit_json, get_globals, handle_errors
from narrator.cli.console import print_table
from narrator.clock import SystemClock
from narrator.config import Config

HEADERS = ("DAY", "PROFILE", "REQUESTS", "PROMPT", "COMPLETION", "TOTAL")


def usage_rows(rows: list[UsageRow]) -> list[dict[str, Any]]:
    return [
        {
            "day": r.day,
            "profile": r.profile,
            "requests": r.requests,
            "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            "total_tokens": r.prompt_tokens + r.completion_tokens,
            "in_flight_tokens": r.reserved_tokens,
        }
        for r in rows
    ]


def limits_today(config: Config, rows: list[UsageRow], today: str) -> dict[str, dict[str, Any]]:
    """For each profile with a daily limit: the limit and what is left today."""
    out: dict[str, dict[str, Any]] = {}
    used = {r.profile: r for r in rows if r.day == today}
    for name, profile in sorted(config.models.items()):
        budget = Budget.of(profile)
        if not budget.has_daily:
            continue
        row = used.get(name, UsageRow(name, today))
        out[name] = {
            "rpd": budget.rpd,
            "tpd": budget.tpd,
            "requests_left": None if budget.rpd is None else max(0, budget.rpd - row.requests),
            "tokens_left": None if budget.tpd is None else max(0, budget.tpd - row.tokens),
        }
    return out


def render_table(data: list[dict[str, Any]]) -> list[str]:
    table = [HEADERS] + [
        (
            d["day"],
            d["profile"],
            str(d["requests"]),
            str(d["prompt_tokens"]),
            str(d["completion_tokens"]),
            str(d["total_tokens"]),
        )
        for d in data
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    lines = []
    for row in table:
        cells = [
            cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


@click.command()
@click.option("--model", "model", default=None, metavar="M", help="Only this model profile.")
@click.option(
    "--since",
    default=None,
    metavar="DURATION",
    help="Only days touched in the last DURATION (30m, 2h, 7d).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--sandbox", is_flag=True, help="Read the sandbox database.")
@handle_errors
def usage(model: str | None, since: str | None, as_json: bool, sandbox: bool) -> None:
    """Model spending by profile and UTC day: requests, prompt and completion tokens.

    Daily budgets (rpd, tpd) are counted here, across every process and worker
    that shares the database; the "left today" lines show what remains.
    """
    g = get_globals()
    config = g.config()
    now = SystemClock().now()
    since_day = None
    if since is not None:
        from narrator.durations import parse_duration

        since_day = day_of(now - timedelta(seconds=parse_duration(since)))
    database = g.database(sandbox=sandbox)
    try:
        rows = database.ledger.totals(profile=model, since_day=since_day)
    finally:
        database.close()
    data = usage_rows(rows)
    today = day_of(now)
    limits = limits_today(config, rows, today)
    if model is not None:
        limits = {k: v for k, v in limits.items() if k == model}
    totals = {
        "requests": sum(d["requests"] for d in data),
        "prompt_tokens": sum(d["prompt_tokens"] for d in data),
        "completion_tokens": sum(d["completion_tokens"] for d in data),
        "total_tokens": sum(d["total_tokens"] for d in data),
    }
    if as_json:
        emit_json({"rows": data, "totals": totals, "today": today, "limits": limits})
        return
    if not data:
        where = f" for profile '{model}'" if model else ""
        click.echo(f"no model usage recorded{where}" + (" in the sandbox" if sandbox else ""))
    else:
        numbers = ("requests", "prompt_tokens", "completion_tokens", "total_tokens")
        cells = [(d["day"], d["profile"], *(str(d[n]) for n in numbers)) for d in data]
        print_table(HEADERS, cells, render_table(data), right=(2, 3, 4, 5))
        click.echo(
            f"total: {totals['requests']} requests, {totals['prompt_tokens']} prompt + "
            f"{totals['completion_tokens']} completion tokens"
        )
    for name, info in limits.items():
        parts = []
        if info["rpd"] is not None:
            parts.append(f"{info['requests_left']} of {info['rpd']} requests")
        if info["tpd"] is not None:
            parts.append(f"{info['tokens_left']} of {info['tpd']} tokens")
        click.echo(f"left today ({today}) for '{name}': {', '.join(parts)}")
