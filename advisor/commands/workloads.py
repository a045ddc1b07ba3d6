"""`advisor workloads`: list the workload presets, as a table, JSON or CSV."""

from __future__ import annotations

import argparse

HELP = "list workload presets (token shapes, load, latency targets)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.export.terminal import add_format_argument

    add_format_argument(parser)


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f} ms"


def run(args: argparse.Namespace) -> int:
    from advisor.commands._listing import show_entries
    from advisor.export.terminal import Column

    columns = [
        Column("id", "id", priority=0), Column("name", "name", kind="text", priority=4),
        Column("input", lambda r: f"{r['input_tokens']:,}", "right", priority=1),
        Column("output", lambda r: f"{r['output_tokens']:,}", "right", priority=1),
        Column("max ctx", lambda r: f"{r['max_context']:,}", "right", priority=2),
        Column("load", lambda r: f"{r['concurrency']} conc." if r["concurrency"] else f"{r['request_rate']} req/s",
               priority=2),
        Column("TTFT", lambda r: _ms(r["ttft_s"]), "right", priority=3),
        Column("TPOT", lambda r: _ms(r["tpot_s"]), "right", priority=3),
        Column("pct", "percentile", priority=5), Column("util", "utilization", "right", priority=5),
        Column("layer", "layer", priority=6),
    ]
    return show_entries(args, "workload", lambda world: world.workloads.values(), columns, "workload presets")
