"""`advisor offerings`: list rentable offerings with filters, as a table, JSON or CSV.

`--stale AGE` keeps only offerings whose price is older than AGE (90d, 12w, 6m, 1y) on the issue
date (today, or the UTC day of $SOURCE_DATE_EPOCH), oldest first, each with its age in days.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

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
    parser.add_argument("--stale", metavar="AGE",
                        help="only offerings priced longer ago than AGE (90d, 12w, 6m = 180 days, 1y), "
                             "oldest first with their age")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    from advisor.commands._listing import show_entries
    from advisor.export.terminal import Column, gb_per_s, per_hour
    from advisor.search.providers import check_providers, matches_provider
    from advisor.shorthands import parse_age_days, parse_list

    providers = parse_list(args.provider, "--provider") if args.provider else ()
    region = args.region.lower() if args.region else None
    stale = StaleFilter(parse_age_days(args.stale, "--stale")) if args.stale is not None else None

    def chosen(world: World) -> list[Offering]:
        gpu_id = world.accelerator(args.gpu).id if args.gpu else None
        check_providers(providers, world.offerings.values())
        return [
            o for o in world.offerings.values()
            if (not providers or matches_provider(o, providers))
            and (gpu_id is None or o.accelerator == gpu_id)
            and (args.tenancy is None or o.tenancy == args.tenancy)
            and (region is None or any(region in r.lower() for r in o.regions))
            and (stale is None or stale.keeps(o))
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
    if stale is None:
        return show_entries(args, "offering", chosen, columns, "offerings")
    columns[-2:-1] = [Column("as of", "as_of", priority=1),
                      Column("age", lambda r: f"{r['age_days']} d", "right", priority=0)]
    return show_entries(args, "offering", chosen, columns,
                        f"offerings priced more than {stale.days} days before {stale.issued.isoformat()}",
                        decorate=stale.decorate)


class StaleFilter:
    """Which offerings are older than `days` on the issue date, and their age in days."""

    def __init__(self, days: int) -> None:
        from advisor.commands.quote import issue_date

        self.days = days
        self.issued: date = issue_date()

    def keeps(self, offering: Offering) -> bool:
        """Whether the offering's price no longer holds `days` after it was seen."""
        from advisor.quote.staleness import price_expired

        return price_expired(offering.as_of, self.issued, self.days)

    def decorate(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add `age_days` to each record; oldest first, then by id."""
        for record in records:
            record["age_days"] = (self.issued - date.fromisoformat(str(record["as_of"]))).days
        return sorted(records, key=lambda r: (-int(r["age_days"]), str(r["id"])))
