"""GCP's feed prices a GPU machine as two rows: the host VM, and its GPUs apart. This pairs them.

In SkyPilot's `gcp/vms.csv` a host row (InstanceType a3-highgpu-8g …, no accelerator) carries
the host's price only, and an accelerator row (no InstanceType; AcceleratorName and
AcceleratorCount) the price of that many GPUs in one zone. The A and G series attach a fixed GPU
model and count to each machine type (`ATTACHED`, from Google's 'GPU machine types' page), so a
host row and the accelerator row of its GPU name and count in the same region make one priced
row: price = host + GPUs, spot = host spot + GPU spot, each only where both sides have one. A
region with one side missing yields nothing. No I/O.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.catalog.feeds.skypilot import FeedRow

SOURCE = ("https://cloud.google.com/compute/docs/gpus (GPU machine types: the A and G series "
          "attach a fixed GPU model and count to each machine type)")

# machine type -> (the feed's AcceleratorName, GPUs attached)
ATTACHED: dict[str, tuple[str, int]] = {
    **{f"a2-highgpu-{n}g": ("A100", n) for n in (1, 2, 4, 8)},
    "a2-megagpu-16g": ("A100", 16),
    **{f"a2-ultragpu-{n}g": ("A100-80GB", n) for n in (1, 2, 4, 8)},
    **{f"a3-highgpu-{n}g": ("H100", n) for n in (1, 2, 4, 8)},
    "a3-megagpu-8g": ("H100-MEGA", 8),
    "a3-edgegpu-8g": ("H100", 8),
    "a3-edgegpu-8g-nolssd": ("H100", 8),
    "a3-ultragpu-8g": ("H200", 8),
    "a3-ultragpu-8g-nolssd": ("H200", 8),
    "a4-highgpu-8g": ("B200", 8),
    **{f"g2-standard-{n}": ("L4", 1) for n in (4, 8, 12, 16, 32)},
    "g2-standard-24": ("L4", 2),
    "g2-standard-48": ("L4", 4),
    "g2-standard-96": ("L4", 8),
}


def attached(machine_type: str) -> tuple[str, int] | None:
    """The GPU name and count a GCP machine type comes with, if the table knows it."""
    return ATTACHED.get(machine_type)


def pair(hosts: list[FeedRow], gpus: list[FeedRow]) -> tuple[list[FeedRow], set[int]]:
    """One priced row per host row whose region lists its GPUs (the same zone's row when there
    is one); and the lines of the accelerator rows used."""
    index: dict[tuple[str, int, str], list[FeedRow]] = {}
    for gpu in gpus:
        index.setdefault((gpu.accelerator, gpu.gpus, gpu.region), []).append(gpu)
    paired: list[FeedRow] = []
    used: set[int] = set()
    for host in hosts:
        found = attached(host.instance_type)
        candidates = index.get((*found, host.region)) if found else None
        if not candidates:
            continue
        gpu = next((g for g in candidates if g.zone == host.zone), candidates[0])
        used.add(gpu.line)
        paired.append(replace(gpu, line=host.line, instance_type=host.instance_type, zone=host.zone,
                              price=_both(host.price, gpu.price), spot=_both(host.spot, gpu.spot)))
    return paired, used


def _both(host: float | None, gpus: float | None) -> float | None:
    return round(host + gpus, 6) if host is not None and gpus is not None else None
