"""Every collective of one decode stage step, in words and as a record: TP all-reduce (with its
part across nodes), EP all-to-all (dispatch + combine) and the PP send, each with its link, its
time and its share of the step. One helper for `estimate`, `--explain`, the exports and the TUI
details, so they all show the same figures. Reads the core's `Interconnect`; no physics.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

from typing import Any

from advisor.core.types import Interconnect
from advisor.shorthands import format_duration


def _share(seconds: float, ic: Interconnect) -> str:
    return f"{seconds / ic.step_s:.1%} of the step" if ic.step_s > 0 else "—"


def collective_rows(ic: Interconnect) -> list[tuple[str, str]]:
    """(label, value) rows for the collectives this step runs (none: an empty list)."""
    rows: list[tuple[str, str]] = []
    if ic.link_kind != "none":
        rows.append(("TP all-reduce", f"{format_duration(ic.allreduce_s)} on {ic.link_kind}, "
                                      f"{_share(ic.allreduce_s, ic)}"))
    if ic.allreduce_nic_s > 0:
        rows.append(("  of which across nodes (NIC)", f"{format_duration(ic.allreduce_nic_s)}, "
                                                      f"{_share(ic.allreduce_nic_s, ic)}"))
    if ic.alltoall_link_kind != "none":
        rows.append(("EP all-to-all (dispatch + combine)",
                     f"{format_duration(ic.alltoall_s)} on {ic.alltoall_link_kind}, "
                     f"{ic.alltoall_bytes_per_step / 1e6:,.2f} MB per GPU, {_share(ic.alltoall_s, ic)}"))
    if ic.alltoall_hidden_s > 0:
        rows.append(("  hidden behind compute (two micro-batches)",
                     f"{format_duration(ic.alltoall_hidden_s)}; "
                     f"{format_duration(ic.alltoall_s - ic.alltoall_hidden_s)} left exposed"))
    if ic.pp_link_kind != "none":
        rows.append(("PP send to the next stage", f"{format_duration(ic.pp_send_s)} on "
                                                  f"{ic.pp_link_kind}, {_share(ic.pp_send_s, ic)}"))
    if rows:
        rows.append(("waiting on collectives", f"{ic.collective_share:.1%} of the stage step "
                                        f"({format_duration(ic.step_s)})"))
    return rows


def collective_record(ic: Interconnect) -> dict[str, Any]:
    """The same figures as plain values (seconds, bytes, shares of the stage step)."""
    return {
        "stage_step_s": ic.step_s,
        "allreduce_s": ic.allreduce_s,
        "allreduce_nic_s": ic.allreduce_nic_s,
        "alltoall_s": ic.alltoall_s,
        "alltoall_hidden_s": ic.alltoall_hidden_s,
        "alltoall_bytes_per_step": ic.alltoall_bytes_per_step,
        "alltoall_link_kind": ic.alltoall_link_kind,
        "pp_send_s": ic.pp_send_s,
        "pp_link_kind": ic.pp_link_kind,
        "collective_share": ic.collective_share,
    }
