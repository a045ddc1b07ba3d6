"""A feed's accelerator name and memory to one known accelerator, or a reason it is unknown.

Feeds name GPUs loosely ('A100' for both the 40 and the 80 GB card, 'A100-80GB' for SXM and
PCIe). Candidates are the accelerators one of whose names (id, name, aliases) equals the feed's
name or starts with it; the memory the feed states (per GPU) keeps those within
`MEMORY_TOLERANCE` of theirs; words in the instance type or GPU name ('pcie', 'sxm', 'nvl')
pick among what is left. Anything still ambiguous, or matching nothing, is unknown: reported,
never guessed. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from advisor.domain import Accelerator, normalize_name

MEMORY_TOLERANCE = 0.08  # feeds round (80 GiB for 79.6 GiB usable); the 40/80 GB variants are 2x apart
FORM_WORDS = ("pci", "sxm", "nvl")  # "pci" also catches Cudo's "a100-pci"


def names_of(acc: Accelerator) -> set[str]:
    """Every normalized name an accelerator answers to."""
    return {normalize_name(n) for n in (acc.id, acc.name, *acc.aliases)}


def name_index(accelerators: Mapping[str, Accelerator]) -> list[tuple[Accelerator, set[str]]]:
    """Each accelerator with its names, built once per import (names are normalized by regex)."""
    return [(acc, names_of(acc)) for acc in accelerators.values()]


def resolve(name: str, memory_bytes: float | None, hint: str,
            index: list[tuple[Accelerator, set[str]]]) -> tuple[Accelerator | None, str]:
    """The accelerator a feed row means, or None and why not (`index`: `name_index`)."""
    key = normalize_name(name)
    if not key:
        return None, "no accelerator name"
    exact = [a for a, names in index if key in names]
    prefixed = [a for a, names in index if any(n.startswith(key) for n in names)]
    candidates = _by_memory(exact, memory_bytes) or _by_memory(prefixed, memory_bytes)
    stated = _by_form(_by_memory(prefixed, memory_bytes), _form_words(hint))
    if stated:  # 'gpu_1x_h100_pcie': the form the seller states beats the bare name's owner
        candidates = stated
    if not candidates:
        return None, _unknown(name, memory_bytes)
    if len(candidates) > 1:
        candidates = _by_form(candidates, ["sxm"]) or candidates  # a bare 'H100' is the SXM board
    if len(candidates) > 1:
        owners = [a for a in candidates if a in exact]
        candidates = owners if len(owners) == 1 else candidates
    if len(candidates) > 1:
        ids = ", ".join(sorted(a.id for a in candidates))
        return None, f"'{name}' could be any of {ids}; add it to the instance-family table"
    return candidates[0], ""


def _by_memory(candidates: list[Accelerator], memory_bytes: float | None) -> list[Accelerator]:
    if memory_bytes is None:
        return candidates
    return [a for a in candidates if _memory_matches(a, memory_bytes)]


def _memory_matches(acc: Accelerator, memory_bytes: float) -> bool:
    sizes = [acc.memory_bytes] + ([acc.memory_marketed_bytes] if acc.memory_marketed_bytes else [])
    return any(abs(memory_bytes - size) <= MEMORY_TOLERANCE * size for size in sizes)


def _form_words(hint: str) -> list[str]:
    return [w for w in FORM_WORDS if w in hint.lower()]


def _by_form(candidates: list[Accelerator], words: list[str]) -> list[Accelerator]:
    return [a for a in candidates if any(w in a.id for w in words)]


def _unknown(name: str, memory_bytes: float | None) -> str:
    memory = f" with {memory_bytes / 2**30:.0f} GiB" if memory_bytes else ""
    return f"unknown accelerator '{name}'{memory}: not in hardware.toml (see `advisor gpus`)"
