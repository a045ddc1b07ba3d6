"""`advisor offerings`: list rentable offerings with filters, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.catalog.world import World
    from advisor.domain import Offering

HELP = "list offerings (provider, GPUs, fabric, tenancy, price) with filters"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.domain.choices import TENANCIES
    from advisor.export.terminal import add_format_argument

    parser.add_argument("--provider", metavar="LIST",
                        help="only these providers: a name or id prefix, as `quote --provider` takes")
    parser.add_argument("--gpu", help="only this accelerator (id or any alias, e.g. H100)")
    parser.add_argument("--tenancy", choices=TENANCIES, help="only this tenancy kind")
    parser.add_argument("--region", help="only offerings sold in a region containing this text")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    from advisor.commands._listing import show_entries
    from advisor.export.terminal import Column, gb_per_s, per_hour
    from advisor.search.providers import check_providers, matches_provider
    from advisor.shorthands import parse_list

    providers = parse_list(args.provider, "--provider") if args.provider else ()
    region = args.region.lower() if args.region else None

    def chosen(world: World) -> list[Offering]:
        gpu_id = world.accelerator(args.gpu).id if args.gpu else None
        check_providers(providers, world.offerings.values())
        return [
            o for o in world.offerings.values()
            if (not providers or matches_provider(o, providers))
            and (gpu_id is None or o.accelerator == gpu_id)
            and (args.tenancy is None or o.tenancy == args.tenancy)
            and (region is None or any(region in r.lower() for r in o.regions))
        ]

    # Narrow terminals keep the id (it names the provider too), the GPUs and the price.
    columns = [
        Column("id", "id", priority=0), Column("provider", "provider", kind="text", priority=3),
        Column("gpu", "accelerator", priority=1), Column("GPUs", "gpus_per_node", "right", priority=1),
        Column("intra", lambda r: f"{r['intra_fabric']} {gb_per_s(r['intra_bytes_per_s'])}", priority=5),
        Column("inter", lambda r: "—" if r["inter_fabric"] == "none"
               else f"{r['inter_fabric']} {gb_per_s(r['inter_bytes_per_s'])}", priority=5),
        Column("tenancy", "tenancy", priority=4),
        Column("price", lambda r: per_hour(r["price_per_node_hour"], r["currency"]), "right", priority=2),
        Column("as of", "as_of", priority=6), Column("layer", "layer", priority=7),
    ]
    return show_entries(args, "offering", chosen, columns, "offerings")
