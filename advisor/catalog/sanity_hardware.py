"""Sanity checks of hardware figures: bandwidths against what each link kind can carry, an
offering's fabric against its GPU, and an override that changes a built-in entry's hardware.

Pure functions over records returning `Finding`s; `advisor.catalog.sanity` builds the reference,
places findings at `file:line` and decides what they are (warnings, or errors under --strict).
The bands (per GPU, per direction, from shared/facts/interconnects.csv and gpus.csv):
- HBM ≤ 10 TB/s; a GPU's link ≤ 1.8 TB/s and ≤ the rate of its kind (NVLink 4: 450 GB/s …);
  PCIe within 0.45×–1.1× the x16 rate of its generation.
- an offering's intra-node fabric ≤ 1.05× its GPU's own link (or PCIe); an NVLink, Infinity
  Fabric or RoCE fabric needs a GPU with that link and at least half its rate (NVSwitch nodes
  run every GPU at its full link rate: "450 Gb/s" on an H100 is 8× too low); a PCIe fabric
  within 0.45×–1.1× the GPU's PCIe; inter-node ≤ 800 GB/s per node.
- a team or remote entry patching a built-in one (same id) may change price and terms; a change
  to a field in `advisor.catalog.overrides.HARDWARE_FIELDS` is a finding.
Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from advisor.catalog.overrides import HARDWARE_FIELDS
from advisor.catalog.world import BUILTIN, World
from advisor.domain import Accelerator, Offering

MAX_HBM_BYTES_PER_S = 10e12
MAX_LINK_BYTES_PER_S = 1.8e12  # per GPU per direction (NVLink 6, announced)
MAX_INTER_BYTES_PER_S = 800e9  # per node per direction (8 × 800 Gbit/s NICs)
LINK_SLACK = 1.05
# Per-GPU, per-direction maximum of each link kind (facts/interconnects.csv): NVLink 4's
# "900 GB/s" is both directions, the commonest slip.
LINK_KIND_MAX_BYTES_PER_S = {
    "nvlink3": 300e9, "nvlink4": 450e9, "nvlink5": 900e9, "nvlink-bridge": 450e9,
    "nvlink-c2c": 450e9, "infinity-fabric": 535.5e9, "roce": 600e9, "pcie": 121e9,
}
PCIE_X16_BYTES_PER_S = {3: 15.75e9, 4: 31.5e9, 5: 63e9, 6: 121e9, 7: 242e9}  # per direction
PCIE_BAND = (0.45, 1.1)
# An intra-node fabric and the GPU link kinds that can carry it.
FABRIC_LINKS = {
    "nvswitch": ("nvlink3", "nvlink4", "nvlink5"),
    "nvlink-bridge": ("nvlink-bridge", "nvlink3", "nvlink4", "nvlink5"),
    "nvlink-c2c": ("nvlink-c2c", "nvlink4", "nvlink5"),
    "infinity-fabric": ("infinity-fabric",),
    "roce": ("roce",),
}
FABRIC_LOW = 0.5  # × the GPU's own link: below this the figure is per link, per lane or in bits


class Finding(NamedTuple):
    """One suspicious value: which entry, which field, what is wrong."""

    kind: str
    entry_id: str
    key_path: tuple[str | int, ...]  # within the entry, e.g. ("commitments", 0, "price_per_node_hour")
    message: str


def accelerator_link_findings(acc: Accelerator) -> list[Finding]:
    """HBM, GPU link and PCIe bandwidths against the known maxima of their kind."""
    found = []
    if acc.hbm_bytes_per_s > MAX_HBM_BYTES_PER_S:
        found.append(Finding("accelerator", acc.id, ("hbm_bytes_per_s",),
                             f"{_tb(acc.hbm_bytes_per_s)} is beyond any known accelerator "
                             f"(at most {_tb(MAX_HBM_BYTES_PER_S)}; B200 and MI355X have 8 TB/s)"))
    kind_max = LINK_KIND_MAX_BYTES_PER_S.get(acc.link_kind, MAX_LINK_BYTES_PER_S)
    if acc.link_bytes_per_s > MAX_LINK_BYTES_PER_S:
        found.append(Finding("accelerator", acc.id, ("link_bytes_per_s",), _link_message(acc.link_bytes_per_s)))
    elif acc.link_bytes_per_s > LINK_SLACK * kind_max:
        found.append(Finding("accelerator", acc.id, ("link_bytes_per_s",),
                             f"{_gb(acc.link_bytes_per_s)} is beyond {acc.link_kind} ({_gb(kind_max)} per GPU "
                             "per direction); a both-directions figure?"))
    expected = PCIE_X16_BYTES_PER_S.get(acc.pcie_gen)
    if expected is not None and not PCIE_BAND[0] <= acc.pcie_bytes_per_s / expected <= PCIE_BAND[1]:
        hint = "; a both-directions figure?" if acc.pcie_bytes_per_s > expected else ""
        found.append(Finding("accelerator", acc.id, ("pcie_bytes_per_s",),
                             f"{_gb(acc.pcie_bytes_per_s)} does not match PCIe Gen{acc.pcie_gen} "
                             f"({_gb(expected)} per direction for x16){hint}"))
    return found


def offering_fabric_findings(o: Offering, acc: Accelerator | None) -> list[Finding]:
    """The intra-node fabric against its GPU and the inter-node fabric against the fastest NICs."""
    found = []
    if o.intra_bytes_per_s > MAX_LINK_BYTES_PER_S:
        found.append(Finding("offering", o.id, ("intra_bytes_per_s",), _link_message(o.intra_bytes_per_s)))
    elif acc is not None and o.intra_bytes_per_s > LINK_SLACK * max(acc.link_bytes_per_s, acc.pcie_bytes_per_s):
        found.append(Finding("offering", o.id, ("intra_bytes_per_s",),
                             f"{_gb(o.intra_bytes_per_s)} exceeds what {acc.id} can do per direction "
                             f"({acc.link_kind} {_gb(acc.link_bytes_per_s)}); a both-directions figure?"))
    elif acc is not None:
        found += _intra_for_the_fabric(o, acc)
    if o.inter_bytes_per_s is not None and o.inter_bytes_per_s > MAX_INTER_BYTES_PER_S:
        found.append(Finding("offering", o.id, ("inter_bytes_per_s",),
                             f"{_gb(o.inter_bytes_per_s)} per node per direction is beyond 8 × 800 Gbit/s "
                             f"NICs ({_gb(MAX_INTER_BYTES_PER_S)}); a bit/s figure read as bytes?"))
    return found


def _intra_for_the_fabric(o: Offering, acc: Accelerator) -> list[Finding]:
    """An intra-node figure implausible for its fabric kind and GPU: a fast fabric on a GPU
    without that link, a fast fabric far below the GPU's link, PCIe off the GPU's PCIe rate."""
    intra, fabric = o.intra_bytes_per_s, o.intra_fabric
    links = FABRIC_LINKS.get(fabric)
    if links is not None and acc.link_kind not in links:
        return [Finding("offering", o.id, ("intra_fabric",),
                        f"{fabric} needs a GPU with {' or '.join(links)} links, but {acc.id} has {acc.link_kind}")]
    if links is not None and intra < FABRIC_LOW * acc.link_bytes_per_s:
        bits = abs(intra * 8 / acc.link_bytes_per_s - 1) <= 0.1
        hint = (f"; written in bits? {_gb(intra * 8, 'Gb/s')} is {_gb(intra)}" if bits
                else "; a per-link or per-pair figure?")
        return [Finding("offering", o.id, ("intra_bytes_per_s",),
                        f"{_gb(intra)} is implausibly low for {fabric} with {acc.id}, whose {acc.link_kind} "
                        f"link carries {_gb(acc.link_bytes_per_s)} per GPU per direction{hint}")]
    if fabric == "pcie" and not PCIE_BAND[0] <= intra / acc.pcie_bytes_per_s <= PCIE_BAND[1]:
        return [Finding("offering", o.id, ("intra_bytes_per_s",),
                        f"{_gb(intra)} does not match the PCIe of {acc.id} ({_gb(acc.pcie_bytes_per_s)} "
                        f"per direction, Gen{acc.pcie_gen} x16)")]
    return []


def override_findings(world: World, builtins: Mapping[str, Mapping[str, object]],
                      layers: Collection[str] | None = None) -> list[Finding]:
    """Each hardware field a patch (of the chosen layers) changes in a built-in entry.

    `builtins` maps a kind to the built-in records by id (`offering`, `accelerator`)."""
    found = []
    tables: dict[str, Mapping[str, Any]] = {"offering": world.offerings, "accelerator": world.accelerators}
    for (kind, entry_id), fields in world.field_origins.items():
        base = builtins.get(kind, {}).get(entry_id)
        value = tables.get(kind, {}).get(entry_id)
        if base is None or value is None:
            continue
        for name, origin in fields.items():
            if name not in HARDWARE_FIELDS[kind] or origin.layer == BUILTIN:
                continue
            if (layers is None or origin.layer in layers) and getattr(base, name) != getattr(value, name):
                found.append(Finding(kind, entry_id, (name,),
                                     f"changes the built-in {kind}'s hardware: {name} "
                                     f"{_shown(name, getattr(base, name))} → {_shown(name, getattr(value, name))}; "
                                     f"{_WHY[kind]}"))
    return found


_WHY = {
    "offering": "overrides are for price and terms (drop the key to keep the built-in value, "
                "or give a different machine its own id)",
    "accelerator": "every offering of this GPU is quoted with it (drop the key to keep the built-in "
                   "value, or add a different GPU under its own id)",
}


def _shown(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and name.endswith("_bytes_per_s"):
        return _gb(value)
    if isinstance(value, int | float) and name.endswith("_bytes"):
        return f"{value / 2**30:,.1f} GiB"
    return repr(value) if isinstance(value, str) else str(value)


def _link_message(bytes_per_s: float) -> str:
    return (f"{_gb(bytes_per_s)} per GPU per direction is beyond the fastest GPU link "
            f"({_gb(MAX_LINK_BYTES_PER_S)}; NVLink 5 is 900 GB/s per direction); a both-directions figure?")


def _gb(bytes_: float, unit: str = "GB/s") -> str:
    return f"{bytes_ / 1e9:,.4g} {unit}"


def _tb(bytes_per_s: float) -> str:
    return f"{bytes_per_s / 1e12:,.4g} TB/s"
