"""Engine specs with versions: `vllm`, `vllm@0.6`, `sglang@0.5.7`; version ranges such as
`>=0.10` or `>=0.4,<0.5` on efficiency entries.

`--engine vllm` means the newest profile of that engine; `--engine vllm@0.6` the profile whose
range holds 0.6. Pure string work; no I/O. Must not import pydantic, pint, rich or textual.
"""

from __future__ import annotations

import re

from advisor.domain.common import Engine

ENGINE_NAMES: tuple[Engine, ...] = ("trtllm", "vllm", "sglang")
VERSION_RE = re.compile(r"^\d+(\.\d+){0,3}$")
CLAUSE_RE = re.compile(r"^(>=|<)\s*(\d+(?:\.\d+){0,3})$")
RANGE_PATTERN = r"^$|^(>=|<)\s*\d+(\.\d+){0,3}(\s*,\s*(>=|<)\s*\d+(\.\d+){0,3})?$"

Version = tuple[int, ...]


def version_tuple(text: str) -> Version:
    """'0.10.1' -> (0, 10, 1). ValueError for anything else."""
    text = text.strip()
    if not VERSION_RE.match(text):
        raise ValueError(f"engine version {text!r} is not like 0.10 or 0.5.7")
    return tuple(int(part) for part in text.split("."))


def split_engine(spec: str) -> tuple[str, str | None]:
    """'vllm@0.6' -> ('vllm', '0.6'); 'vllm' -> ('vllm', None). ValueError names the problem."""
    name, at, version = spec.strip().partition("@")
    name = name.strip().lower()
    if name not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {name!r} (one of {', '.join(ENGINE_NAMES)}; "
                         "a version may follow, e.g. vllm@0.6)")
    if not at:
        return name, None
    version_tuple(version)
    return name, version.strip()


def clauses(spec: str) -> list[tuple[str, Version]]:
    """'>=0.4,<0.5' -> [('>=', (0, 4)), ('<', (0, 5))]; '' -> []."""
    out = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        m = CLAUSE_RE.match(part)
        if not m:
            raise ValueError(f"version range {spec!r}: clause {part!r} is not '>=X' or '<X'")
        out.append((m.group(1), version_tuple(m.group(2))))
    return out


def _cmp_key(v: Version, width: int = 4) -> Version:
    return v + (0,) * (width - len(v))


def in_range(version: str | Version, spec: str) -> bool:
    """Whether `version` satisfies every clause of `spec` (an empty spec holds every version).
    A short version is its first release: 0.6 is 0.6.0."""
    v = _cmp_key(version_tuple(version) if isinstance(version, str) else version)
    for op, bound in clauses(spec):
        b = _cmp_key(bound)
        if (op == ">=" and v < b) or (op == "<" and v >= b):
            return False
    return True


def range_floor(spec: str) -> Version:
    """The lowest version a range admits ((0,) when unbounded below): newest range sorts last."""
    lows = [_cmp_key(b) for op, b in clauses(spec) if op == ">="]
    return max(lows) if lows else (0, 0, 0, 0)


def range_is_open(spec: str) -> bool:
    """True when the range has no upper bound (it holds the newest releases)."""
    return not any(op == "<" for op, _ in clauses(spec))


# Defaults that changed inside a release range whose factors are fitted together: from the
# version named, the engine behaves so unless told otherwise (a row's notes or a team's entry).
# (engine, range, field of EfficiencyFactors, value, why).
BEHAVIOURS: tuple[tuple[str, str, str, bool, str], ...] = (
    ("vllm", ">=0.14", "host_overlap", True,
     "async scheduling is on by default from vLLM 0.14.0 (January 2026; vllm-project/vllm#27614, "
     "as deepjavalibrary/djl#3833 notes): the host schedules step n+1 while the GPU runs step n"),
)


def behaviours(engine: str, version: str | None) -> list[tuple[str, bool, str]]:
    """(field, value, why) of the `BEHAVIOURS` that hold for an engine version; no version
    means the newest release, which every open-ended range holds."""
    out = []
    for name, spec, field, value, why in BEHAVIOURS:
        if name != engine:
            continue
        if (range_is_open(spec) if version is None else in_range(version, spec)):
            out.append((field, value, why))
    return out


def label(engine: str, versions: str) -> str:
    """'vllm' + '>=0.10' -> 'vllm>=0.10'; no range -> 'vllm (all versions)'."""
    return f"{engine}{versions.replace(' ', '')}" if versions else f"{engine} (all versions)"

ENGINE_SPEC_PATTERN = r"^(trtllm|vllm|sglang)(@\d+(\.\d+){0,3})?$"
