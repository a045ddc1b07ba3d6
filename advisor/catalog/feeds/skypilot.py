"""The SkyPilot catalog's `vms.csv` (one per cloud) to offerings: one per GPU instance type.

Reads the CSV bounded (bytes, rows, field size), finds its columns by name (the order differs
per cloud), and groups rows by instance type. Each group becomes one offering: accelerator
resolved by name and memory (`advisor.catalog.feeds.resolve`; an unknown one is reported, never
guessed), on-demand price = the lowest regional price (every region's own price in the notes),
spot = the median positive spot price across the rows with a preemption note, regions listed,
and the facts the feed does not carry from the instance-family table (`families`), or the
conservative reading marked 'fabric inferred'; where the table states a node's GPU count and
the feed's differs, the table's is used and the difference reported. A zero, negative or absent price is never used:
the row's price is dropped and reported; an instance with no usable price is not imported.
Rows without an accelerator (CPU types) are skipped. GCP prices the GPUs of a machine type in
rows of their own, apart from the host VM's row: those are paired (`advisor.catalog.feeds.gcp`)
for the machine types whose GPUs are fixed; accelerator rows left unpaired (TPUs, the GPUs one
attaches to N1 VMs) are counted and skipped.
No I/O: callers hand in bytes and say where they came from.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from statistics import median

from advisor.catalog.feeds import gcp
from advisor.catalog.feeds.families import Family, conservative, family_for
from advisor.catalog.feeds.resolve import name_index, resolve
from advisor.domain import Accelerator, CommitmentPrice, Offering
from advisor.domain.offering import MAX_PRICE_PER_NODE_HOUR
from advisor.errors import EXIT_BAD_INPUT, AdvisorError, closest

MAX_FEED_BYTES = 16 * 2**20  # AWS's vms.csv, the largest, is 3.1 MB (2026-12)
MAX_ROWS = 200_000
MAX_FIELD_CHARS = 4096
MAX_REPORTED = 50  # problems listed per file; the rest are counted
REQUIRED = ("InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "Region")
PREEMPTION_NOTE = "spot: the provider may reclaim the instance at short notice; price varies by zone"
PROVIDERS = {"aws": "AWS", "gcp": "GCP", "azure": "Azure", "oci": "Oracle", "lambda": "Lambda",
             "runpod": "RunPod", "nebius": "Nebius", "vast": "Vast.ai", "cudo": "Cudo",
             "hyperstack": "Hyperstack", "shadeform": "Shadeform", "verda": "Verda (DataCrunch)",
             "fluidstack": "Fluidstack", "paperspace": "Paperspace", "do": "DigitalOcean",
             "primeintellect": "Prime Intellect", "jarvislabs": "JarvisLabs", "hyperbolic": "Hyperbolic",
             "mithril": "Mithril", "spheron": "Spheron"}
_MIB = re.compile(r"""['"]SizeInMiB['"]:\s*([0-9]{1,9}(?:\.[0-9]+)?)""")  # Python-dict or JSON text
_GPU_NAME = re.compile(r"""['"]Name['"]:\s*['"]([^'"]{0,80})['"]""")
_SPOT_VARIANT = re.compile(r"_{1,2}SPOT$")  # 'datacrunch__1xA100…__SPOT': the spot side of a type


@dataclass(frozen=True, slots=True)
class FeedSource:
    """Where one feed file came from: the cloud it lists, what to cite, and its date."""

    cloud: str  # the feed's folder name: aws, gcp, lambda …
    label: str  # the path or URL as given, for messages
    source: str  # what each offering cites (the URL at its commit, when known)
    as_of: str  # ISO date: fetched, stated, or the file's modification date


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One priced row of the feed."""

    line: int
    instance_type: str
    accelerator: str
    gpus: int
    memory_bytes: float | None
    gpu_name: str
    price: float | None
    spot: float | None
    region: str
    zone: str = ""


@dataclass
class FeedImport:
    """What a feed file yielded: offerings, and every row or instance that was left out and why."""

    offerings: list[Offering] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)  # ids imported with the conservative fabric
    skipped_rows: int = 0  # rows not priced as a GPU instance (CPU types, unpaired host or GPU rows)
    unpaired: int = 0  # accelerator rows without an instance type that no host row took (TPUs …)
    unreported: int = 0

    def report(self, message: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(message)
        else:
            self.unreported += 1


def provider_name(cloud: str) -> str:
    """Display name of a feed's cloud."""
    return PROVIDERS.get(cloud, cloud.title())


def import_feed(data: bytes, where: FeedSource, accelerators: Mapping[str, Accelerator]) -> FeedImport:
    """Every GPU instance type of one `vms.csv` as an offering (AdvisorError for an unreadable file)."""
    result = FeedImport()
    groups: dict[str, list[FeedRow]] = {}
    for row in _paired(_rows(data, where.label, result, where.cloud), where.label, result):
        groups.setdefault(_SPOT_VARIANT.sub("", row.instance_type), []).append(row)
    index = name_index(accelerators)
    for instance_type, rows in groups.items():
        offering = _offering(instance_type, rows, where, accelerators, index, result)
        if offering is not None:
            result.offerings.append(offering)
    return result


def _paired(rows: list[FeedRow], label: str, result: FeedImport) -> list[FeedRow]:
    """Whole-instance rows, with GCP's host rows and GPU rows paired into them."""
    hosts = [r for r in rows if not r.accelerator]
    loose = [r for r in rows if not r.instance_type]
    whole = [r for r in rows if r.accelerator and r.instance_type]
    paired, used = gcp.pair(hosts, loose)
    result.unpaired = sum(1 for r in loose if r.line not in used)
    result.skipped_rows += result.unpaired + len(hosts) - len(paired)
    if result.unpaired:
        result.report(f"{label}: {result.unpaired} accelerator rows have no instance type and no host "
                      "machine type in advisor's table of attached GPUs takes them (TPUs, GPUs attached "
                      "to N1 VMs): skipped")
    return whole + paired


# -- reading -------------------------------------------------------------------------------

def _rows(data: bytes, label: str, result: FeedImport, cloud: str = "") -> list[FeedRow]:
    """Priced rows: instance rows, accelerator-only rows, and (GCP) host rows of known GPU machines."""
    reader, columns = _reader(data, label)
    rows = []
    for line, record in enumerate(_records(reader, label), start=2):
        if line - 1 > MAX_ROWS:
            raise _bad(label, line, f"more than {MAX_ROWS:,} rows; is this a SkyPilot vms.csv?")
        if any(len(value) > MAX_FIELD_CHARS for value in record):
            raise _bad(label, line, f"a field is longer than {MAX_FIELD_CHARS} characters")
        row = _row(line, record, columns, label, result, cloud)
        if row is None:
            result.skipped_rows += 1
        else:
            rows.append(row)
    return rows


def _records(reader: Iterator[list[str]], label: str) -> Iterator[list[str]]:
    """The CSV's records; a malformed one (a field over the limit, a stray NUL) is one problem."""
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _bad(label, line + 1, f"a field is longer than {MAX_FIELD_CHARS} characters, "
                                        "or the row is not CSV") from None
        line += 1
        yield record


def _reader(data: bytes, label: str) -> tuple[Iterator[list[str]], dict[str, int]]:
    if len(data) > MAX_FEED_BYTES:
        raise _bad(label, None, f"larger than {MAX_FEED_BYTES // 2**20} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad(label, None, f"not UTF-8 text (byte {exc.start})") from None
    csv.field_size_limit(MAX_FIELD_CHARS + 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise _bad(label, 1, "empty file; expected a SkyPilot vms.csv header")
    columns = {name.strip(): index for index, name in enumerate(header)}
    for name in REQUIRED:
        if name not in columns:
            near = closest(name, columns)
            hint = f" (did you mean column '{near}'?)" if near else ""
            raise _bad(label, 1, f"missing column '{name}'{hint}; expected {', '.join(REQUIRED)}")
    return reader, columns


def _row(line: int, record: list[str], columns: dict[str, int], label: str,
         result: FeedImport, cloud: str = "") -> FeedRow | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return record[index].strip() if index is not None and index < len(record) else ""

    instance, accelerator = cell("InstanceType"), cell("AcceleratorName")
    if not accelerator:
        return _host_row(line, cell, label, result) if cloud == "gcp" and gcp.attached(instance) else None
    gpus = _number(cell("AcceleratorCount"))
    if gpus is None or gpus < 1 or gpus != int(gpus) or gpus > 72:
        result.report(f"{label}:{line}: AcceleratorCount: '{cell('AcceleratorCount')}' is not a GPU count; row skipped")
        return None
    info = cell("GpuInfo")
    spot = _price(cell("SpotPrice"), label, line, "SpotPrice", result, quiet=True)
    spot_only = not cell("Price") and spot is not None  # a '…_SPOT' listing: no on-demand price expected
    return FeedRow(line=line, instance_type=instance, accelerator=accelerator, gpus=int(gpus),
                   memory_bytes=_memory_bytes(info), gpu_name=_gpu_name(info),
                   price=_price(cell("Price"), label, line, "Price", result, quiet=spot_only),
                   spot=spot, region=cell("Region"), zone=cell("AvailabilityZone"))


def _host_row(line: int, cell: Callable[[str], str], label: str, result: FeedImport) -> FeedRow:
    """A GCP host row: the VM's own price, its GPUs priced in another row."""
    return FeedRow(line=line, instance_type=cell("InstanceType"), accelerator="", gpus=0, memory_bytes=None,
                   gpu_name="", price=_price(cell("Price"), label, line, "Price", result),
                   spot=_price(cell("SpotPrice"), label, line, "SpotPrice", result, quiet=True),
                   region=cell("Region"), zone=cell("AvailabilityZone"))


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _price(text: str, label: str, line: int, column: str, result: FeedImport,
           quiet: bool = False) -> float | None:
    """A usable node-hour price, or None: zero, negative and absent prices are never used."""
    value = _number(text) if text else None
    if value is not None and 0 < value <= MAX_PRICE_PER_NODE_HOUR:
        return value
    if not quiet or (text and value is not None and value <= 0):
        shown = text or "absent"
        result.report(f"{label}:{line}: {column}: {shown} is not a usable price; not used")
    return None


def _memory_bytes(info: str) -> float | None:
    """Per-GPU memory from GpuInfo; values under 1024 are GB written as MiB (RunPod's rows)."""
    found = _MIB.search(info)
    if not found:
        return None
    mib = float(found.group(1))
    if mib <= 0:
        return None
    return mib * 2**30 if mib < 1024 else mib * 2**20


def _gpu_name(info: str) -> str:
    found = _GPU_NAME.search(info)
    return found.group(1) if found else ""


def _bad(label: str, line: int | None, message: str) -> AdvisorError:
    where = f"{label}:{line}" if line else label
    return AdvisorError(f"{where}: {message}", exit_code=EXIT_BAD_INPUT)


# -- one instance type -----------------------------------------------------------------------

def _offering(instance: str, rows: list[FeedRow], where: FeedSource, accelerators: Mapping[str, Accelerator],
              index: list[tuple[Accelerator, set[str]]], result: FeedImport) -> Offering | None:
    first = rows[0]
    family = family_for(where.cloud, instance)
    acc = accelerators.get(family.accelerator) if family and family.accelerator else None
    if acc is None:
        acc, why = _resolve(instance, first, index)
        if acc is None:
            result.report(f"{where.label}:{first.line}: {instance}: {why}; not imported")
            return None
    priced = [r for r in rows if r.price is not None]
    if not priced:
        result.report(f"{where.label}:{first.line}: {instance}: no usable on-demand price in any row; not imported")
        return None
    gpus = _gpus(instance, first, family, where.label, result)
    if family is None:
        family = conservative(where.cloud, gpus, acc)
    offering = _build(instance, gpus, acc, family, priced, rows, where)
    if "fabric inferred" in family.source:
        result.inferred.append(offering.id)
    return offering


def _gpus(instance: str, row: FeedRow, family: Family | None, label: str, result: FeedImport) -> int:
    """The feed's GPU count, or the family's where the table states it (reported when they differ)."""
    if family is None or not family.gpus or family.gpus == row.gpus:
        return row.gpus
    result.report(f"{label}:{row.line}: {instance}: AcceleratorCount {row.gpus}, but the instance has "
                  f"{family.gpus} GPUs ({family.source.split(' ', 1)[0]}); {family.gpus} used")
    return family.gpus


def _resolve(instance: str, row: FeedRow, index: list[tuple[Accelerator, set[str]]]) -> tuple[Accelerator | None, str]:
    """By the stated memory as per GPU, else (some feeds state the node's) divided by the GPUs."""
    hint = f"{instance} {row.gpu_name}"
    acc, why = resolve(row.accelerator, row.memory_bytes, hint, index)
    if acc is None and row.memory_bytes and row.gpus > 1:
        acc, _ = resolve(row.accelerator, row.memory_bytes / row.gpus, hint, index)
    return acc, why


def offering_id(cloud: str, instance: str) -> str:
    """'aws/p5.48xlarge', 'lambda/gpu-8x-h100-sxm5': the hand-written catalogs' convention."""
    slug = re.sub(r"[^a-z0-9.]+", "-", instance.lower()).strip("-")
    return f"{cloud}/{slug}"[:120]


def _build(instance: str, gpus: int, acc: Accelerator, family: Family, priced: list[FeedRow],
           rows: list[FeedRow], where: FeedSource) -> Offering:
    by_region = _lowest_by_region(priced)
    price = min(by_region.values())
    spots = [r.spot for r in rows if r.spot is not None]
    if spots and median(spots) >= price:  # no discount: a placeholder copied from on-demand, not a spot market
        spots = []
    commitments: tuple[CommitmentPrice, ...] = ()
    if spots:
        commitments = (CommitmentPrice(term="spot", price_per_node_hour=round(median(spots), 6),
                                       source=f"{where.source} (median SpotPrice of {len(spots)} rows)"),)
    multi = family.inter_fabric != "none"
    return Offering(
        id=offering_id(where.cloud, instance), provider=provider_name(where.cloud), sku=instance,
        accelerator=acc.id, gpus_per_node=gpus, intra_fabric=family.intra_fabric,
        intra_bytes_per_s=family.intra_bytes_per_s, nvls=family.nvls,
        inter_fabric=family.inter_fabric, inter_bytes_per_s=family.inter_bytes_per_s if multi else None,
        tenancy=family.tenancy, price_per_node_hour=price, currency="USD", commitments=commitments,
        regions=tuple(sorted(by_region))[:200], max_nodes=family.max_nodes if multi else 1,
        as_of=dt.date.fromisoformat(where.as_of), source=where.source, confidence="A",
        notes=_notes(by_region, price, family, bool(spots)) + _upstream(instance),
    )


def _lowest_by_region(priced: list[FeedRow]) -> dict[str, float]:
    by_region: dict[str, float] = {}
    for row in priced:
        region = row.region or "unstated"
        by_region[region] = min(row.price or 0.0, by_region.get(region, float("inf")))
    return by_region


def _notes(by_region: dict[str, float], price: float, family: Family, spot: bool) -> str:
    parts = [f"Imported from the SkyPilot catalog; on-demand price is the lowest regional one ({price:g} USD/h)."]
    dearer = sorted((p, r) for r, p in by_region.items() if p > price * 1.0005)  # feeds round differently per row
    if dearer:
        shown = "; ".join(f"{r} {p:g}" for p, r in dearer[:20])
        parts.append(f"Other regions cost more: {shown}{' …' if len(dearer) > 20 else ''}.")
    if spot:
        parts.append(PREEMPTION_NOTE[0].upper() + PREEMPTION_NOTE[1:] + ".")
    parts.append(f"Fabric: {family.source}.")
    return " ".join(parts)


def _upstream(instance: str) -> str:
    """'datacrunch__8xH100…' on a marketplace feed: the provider behind the listing."""
    return f" Listed for {instance.split('__', 1)[0]}." if "__" in instance else ""
