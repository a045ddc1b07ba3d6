"""One `advisor catalog import skypilot` run: read feeds, import, check prices, dedup, write.

Price sanity on every imported offering: the band check of `advisor check` (per GPU-hour
against the built-in median of the same accelerator) and the jump check against the previous
import (the file `--write` replaces). Both are warnings naming the offering; zero and absent
prices were already dropped by the importer. `--write` output is validated by the catalog
loader before it replaces anything, so the file is one `advisor check` accepts, and it is
written atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from advisor.catalog.feeds.skypilot import FeedImport, import_feed
from advisor.catalog.feeds.sources import read_feed
from advisor.catalog.feeds.toml_out import catalog_text
from advisor.catalog.sanity_hardware import Finding
from advisor.catalog.world import World
from advisor.domain import Offering
from advisor.errors import EXIT_BAD_INPUT, AdvisorError


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the command line asked for."""

    targets: tuple[str, ...]
    cloud: str = ""
    as_of: str = ""
    source: str = ""
    offline: bool = False
    pin: str = ""
    dedup: bool = False  # drop what a hand-written built-in catalog already sells (same provider+sku)
    leave_out_suspect: bool = False  # do not keep an offering a price warning names (the shipped catalog)


@dataclass
class ImportOutcome:
    """The offerings to keep and every warning, in the order found."""

    offerings: list[Offering] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    inferred: set[str] = field(default_factory=set)


def run_import(options: ImportOptions, world: World, previous: Mapping[str, Offering]) -> ImportOutcome:
    """Import every target, then the price checks and (when asked) the dedup."""
    outcome = ImportOutcome()
    seen: set[str] = set()
    for target in options.targets:
        feed = read_feed(target, cloud=options.cloud if len(options.targets) == 1 else "",
                         as_of=options.as_of, source=options.source, offline=options.offline, pin=options.pin)
        if feed.warning:
            outcome.warnings.append(f"{target}: {feed.warning}")
        result = import_feed(feed.data, feed.where, world.accelerators)
        _collect(result, outcome, seen)
    if options.dedup:
        outcome.offerings = dedup(outcome.offerings, world, outcome.warnings)
    findings = price_findings(outcome.offerings, world, previous)
    outcome.warnings += [f"{f.entry_id}: {f.message}" for f in findings]
    if options.leave_out_suspect and findings:
        suspect = {f.entry_id for f in findings}
        outcome.offerings = [o for o in outcome.offerings if o.id not in suspect]
        outcome.warnings.append(f"left out for their prices: {', '.join(sorted(suspect))}")
    return outcome


def _collect(result: FeedImport, outcome: ImportOutcome, seen: set[str]) -> None:
    outcome.warnings += result.problems
    if result.unreported:
        outcome.warnings.append(f"… and {result.unreported} more rows left out")
    outcome.inferred.update(result.inferred)
    for offering in result.offerings:
        if offering.id in seen:
            outcome.warnings.append(f"{offering.id}: listed by two feeds given; the first is kept")
            continue
        seen.add(offering.id)
        outcome.offerings.append(offering)


def price_findings(offerings: Iterable[Offering], world: World, previous: Mapping[str, Offering]) -> list[Finding]:
    """Band and jump findings, each naming the offering."""
    from advisor.catalog.sanity import Reference, offering_findings, price_jump_findings
    from advisor.catalog.world import BUILTIN

    offerings = list(offerings)
    rates = dict(world.settings.currency_rates)
    builtins = [o for o in world.offerings.values() if world.layer_of("offering", o.id) == BUILTIN]
    reference = Reference.build(world.accelerators.values(), builtins, rates)
    findings: dict[tuple[str, str], Finding] = {}  # a spot price equal to the on-demand one says the same
    for offering in offerings:
        found = offering_findings(offering, world.accelerators.get(offering.accelerator), reference, rates)
        found += price_jump_findings([offering], previous)
        for f in found:
            if f.key_path[-1] == "price_per_node_hour":
                findings.setdefault((f.entry_id, f.message), f)
    return list(findings.values())


def dedup(offerings: list[Offering], world: World, warnings: list[str]) -> list[Offering]:
    """Drop an imported offering that a hand-written built-in file sells too (same provider and
    sku): one stays, the hand-written one, whose id the built-in layer already holds. When the
    feed's price is newer the warning says so, for that file's owner to refresh or drop it."""
    from advisor.catalog.world import BUILTIN

    known = {(o.provider.lower(), o.sku.lower()): o for o in world.offerings.values()
             if world.layer_of("offering", o.id) == BUILTIN and not _from_feed(world, o.id)}
    kept = []
    for offering in offerings:
        twin = known.get((offering.provider.lower(), offering.sku.lower()))
        same_id = offering.id in world.offerings and not _from_feed(world, offering.id)
        if twin is None and not same_id:
            kept.append(offering)
        elif twin is None:
            warnings.append(f"{offering.id}: left out, a hand-written built-in offering has this id")
        elif str(offering.as_of) > str(twin.as_of):
            warnings.append(f"{offering.id}: left out, {twin.id} (hand-written, {twin.as_of}) sells it; "
                            f"the feed's price ({offering.price_per_node_hour:g}, {offering.as_of}) is newer")
    return kept


def _from_feed(world: World, offering_id: str) -> bool:
    origin = world.origins.get(("offering", offering_id))
    return origin is not None and Path(origin.path).name.startswith("feed-")


PER_FILE = 400  # offerings per file written into a folder: well inside the loader's 20,000-line bound


def previous_import(path: Path) -> dict[str, Offering]:
    """The offerings of the file (or a folder's `skypilot-*.toml` files) a new import replaces."""
    from advisor.catalog.loaders import load_catalog_file

    files = sorted(path.glob("skypilot-*.toml")) if path.is_dir() else [path] if path.is_file() else []
    found: dict[str, Offering] = {}
    for file in files:
        found.update({e.id: e.value for e in load_catalog_file(file).entries if e.kind == "offering"})
    return found


def write_import(path: Path, offerings: list[Offering], comment: str) -> list[Path]:
    """One file, or into a folder one `skypilot-<cloud>[-n].toml` per cloud and PER_FILE
    offerings (stale files of an earlier import there are removed); the paths written."""
    if not path.is_dir():
        write_catalog(path, offerings, comment, schema=_schema_beside(path))
        return [path]
    chunks: dict[str, list[Offering]] = {}
    for offering in offerings:
        cloud = offering.id.split("/", 1)[0]
        chunks.setdefault(cloud, []).append(offering)
    written = []
    for cloud, items in sorted(chunks.items()):
        for start in range(0, len(items), PER_FILE):
            part = start // PER_FILE
            name = f"skypilot-{cloud}{'' if part == 0 else f'-{part + 1}'}.toml"
            write_catalog(path / name, items[start:start + PER_FILE], comment)
            written.append(path / name)
    for stale in set(path.glob("skypilot-*.toml")) - set(written):
        stale.unlink()
    return written


def _schema_beside(path: Path) -> str:
    """The schema hint for a file written next to (or one folder below) `catalog.schema.json`."""
    for hint, folder in (("./", path.parent), ("../", path.parent.parent)):
        if (folder / "catalog.schema.json").is_file():
            return f"{hint}catalog.schema.json"
    return ""


def write_catalog(path: Path, offerings: list[Offering], comment: str, *, schema: str = "") -> None:
    """Write `offerings` as a catalog file, atomically, after reading the text back as the loader will."""
    from advisor.catalog.loaders import load_catalog_bytes
    from advisor.files import write_atomic

    data = catalog_text(offerings, comment, schema=schema).encode("utf-8")
    loaded = load_catalog_bytes(data, str(path))
    if loaded.problems or len(loaded.entries) != len(offerings):
        why = loaded.problems[0].render() if loaded.problems else "entries were lost"
        raise AdvisorError(f"not written: the catalog would not load back ({why})", exit_code=EXIT_BAD_INPUT)
    if path.is_symlink():
        raise AdvisorError(f"{path} is a symlink; not written", exit_code=EXIT_BAD_INPUT)
    try:
        write_atomic(path, data, overwrite=True)
    except OSError as exc:
        raise AdvisorError(f"cannot write {path}: {exc.strerror or exc}", exit_code=EXIT_BAD_INPUT) from None
