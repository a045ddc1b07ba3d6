"""`advisor gpus`: list the accelerators (built-in and team), as a table, JSON or CSV."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.catalog.world import World
    from advisor.domain import Accelerator

HELP = "list accelerators (GPUs) with memory, bandwidth and compute"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.export.terminal import add_format_argument

    parser.add_argument("--vendor", help="only this vendor (NVIDIA, AMD, Intel)")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    from advisor.commands._listing import show_entries
    from advisor.export.terminal import Column, gb_per_s, gib, tb_per_s, tflops

    def chosen(world: World) -> list[Accelerator]:
        return [a for a in world.accelerators.values()
                if not args.vendor or a.vendor.lower() == args.vendor.lower()]

    def flops(dtype: str):
        return lambda r: tflops(r["dense_flops_per_s"].get(dtype))

    columns = [
        Column("id", "id", priority=0), Column("name", "name", kind="text", priority=3),
        Column("vendor", "vendor", priority=6),
        Column("memory", lambda r: gib(r["memory_bytes"]), "right", priority=1),
        Column("HBM", lambda r: tb_per_s(r["hbm_bytes_per_s"]), "right", priority=1),
        Column("BF16", flops("bf16"), "right", priority=2), Column("FP8", flops("fp8"), "right", priority=2),
        Column("link", lambda r: f"{r['link_kind']} {gb_per_s(r['link_bytes_per_s'])}", priority=4),
        Column("TDP", lambda r: f"{r['tdp_watts']:.0f} W", "right", priority=5),
        Column("layer", "layer", priority=7),
    ]
    return show_entries(args, "accelerator", chosen, columns, "accelerators")
