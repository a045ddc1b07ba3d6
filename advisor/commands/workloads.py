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
        Column("id", "id"), Column("name", "name"),
        Column("input", lambda r: f"{r['input_tokens']:,}", "right"),
        Column("output", lambda r: f"{r['output_tokens']:,}", "right"),
        Column("max ctx", lambda r: f"{r['max_context']:,}", "right"),
        Column("load", lambda r: f"{r['concurrency']} conc." if r["concurrency"] else f"{r['request_rate']} req/s"),
        Column("TTFT", lambda r: _ms(r["ttft_s"]), "right"),
        Column("TPOT", lambda r: _ms(r["tpot_s"]), "right"),
        Column("pct", "percentile"), Column("util", "utilization", "right"),
        Column("layer", "layer"),
    ]
    return show_entries(args, "workload", lambda world: world.workloads.values(), columns, "workload presets")
