"""The shipped form of the calibration parts: one efficiency entry per GPU family × engine ×
release with its band and provenance (`entries`), and the parts as JSON
(profiles/calibration_parts.json, the warm start of `advisor validate --cv`). Must not import
textual, rich, httpx or pint.
"""

from __future__ import annotations

import dataclasses

from advisor.calibration.evaluate import MIN_ROWS, RELEASE_BOUNDS, Parts
from advisor.calibration.releases import (
    ENGINE_NOTES,
    FAMILIES,
    FAMILY_ENGINES,
    MAMF_SHARE,
    REFERENCE,
    RELEASES,
)
from advisor.domain import EfficiencyFactors
from advisor.domain.engines import label


def entries(parts: Parts, source: str, band: dict[tuple[str, str, str], tuple[float, int]],
            ) -> list[EfficiencyFactors]:
    """Every (family, engine, release) entry the tool ships, with its band and provenance."""
    out = []
    for family in FAMILIES:
        engines = FAMILY_ENGINES.get(family, ("trtllm", "vllm", "sglang"))
        for engine in engines:
            for release in RELEASES[engine]:
                eff = parts.factors(family, engine, release, source=source,
                                    notes=_notes(parts, family, engine, release))
                # a prior (no rows behind this release on this family) gets no band: the
                # slice's errors were measured on other releases
                dense = _band(band, engine, family, "dense") if eff.rows else None
                moe = _band(band, engine, family, "moe") if eff.rows else None
                out.append(dataclasses.replace(
                    eff, band_pct=round(dense[0], 1) if dense else None,
                    band_moe_pct=round(moe[0], 1) if moe else None,
                    band_rows=(dense[1] if dense else 0) + (moe[1] if moe else 0)))
    return out


def _band(band: dict[tuple[str, str, str], tuple[float, int]], engine: str, family: str,
          kind: str) -> tuple[float, int] | None:
    """The slice's band, or, with too few rows in the slice, the engine's over every family."""
    own = band.get((engine, family, kind))
    if own and own[1] >= MIN_ROWS:
        return own
    wide = band.get((engine, "*", kind))
    return wide if wide and wide[1] >= MIN_ROWS else None


def _notes(parts: Parts, family: str, engine: str, release: str) -> str:
    bits = []
    if family in parts.bases:
        bits.append(f"{family} base fitted on {parts.base_rows[family]} TensorRT-LLM <1.0 rows")
    else:
        bits.append(f"{family} base is a prior: Hopper's scaled by measured matmul efficiency "
                    f"(MAMF {MAMF_SHARE.get(family, 0.7):.2f}/{MAMF_SHARE['hopper']:.2f})")
        if family in parts.family:
            f_mem, f_cmp, f_host = parts.family[family]
            bits.append(f"family correction fitted on {parts.family_rows[family]} rows "
                        f"(f_mem {f_mem:.2f}, f_compute {f_cmp:.2f}, per-layer overhead ×{f_host:.2f})")
        else:
            bits.append("no family correction (no rows): prior, not fitted")
    if (engine, release) != REFERENCE:
        if (engine, release) in parts.release:
            s_mem, s_cmp, t_fixed, t_layer, t_request, t_seq = parts.release[(engine, release)]
            bits.append(f"{label(engine, release)} term fitted on "
                        f"{parts.release_rows[(engine, release)]} rows over all families "
                        f"(s_mem {s_mem:.2f}, s_compute {s_cmp:.2f}, t_fixed {t_fixed * 1e3:.2f} ms, "
                        f"t_layer {t_layer * 1e6:.0f} µs, t_seq {t_seq * 1e6:.1f} µs, "
                        f"t_request {t_request * 1e3:.0f} ms)")
        else:
            bits.append(f"{label(engine, release)} term is a prior, not fitted (no rows): 0.9 of "
                        "the reference efficiency, 1.5 ms per step plus 30 µs per layer and 10 µs per "
                        "sequence, 20 ms "
                        "before the first token")
    own = parts.release_moe_rows.get((engine, release), 0)
    if own:
        bits.append(f"grouped expert GEMMs at {parts.eta_moe(engine, release):.2f} of the reference "
                    f"engine's (eta_moe, fitted on this release's {own} MoE rows, shrunk toward "
                    f"{parts.moe:.2f} pooled over {parts.moe_rows} MoE rows of the other releases)")
    elif parts.moe_rows and (engine, release) != REFERENCE:
        bits.append(f"grouped expert GEMMs at {parts.moe:.2f} of the reference engine's "
                    f"(eta_moe, fitted on {parts.moe_rows} MoE rows of the other releases)")
    bits.append(ENGINE_NOTES[engine])
    return "; ".join(bits)


# -- the fitted parts as data (profiles/calibration_parts.json) ---------------------------------

def parts_to_json(parts: Parts) -> dict[str, object]:
    """Plain JSON of the parts (written by the fit script, read back as a warm start)."""
    return {
        "bases": parts.bases, "base_rows": parts.base_rows,
        "family": {k: list(v) for k, v in parts.family.items()}, "family_rows": parts.family_rows,
        "release": {f"{e}|{r}": list(v) for (e, r), v in parts.release.items()},
        "release_rows": {f"{e}|{r}": n for (e, r), n in parts.release_rows.items()},
        "moe": parts.moe, "moe_rows": parts.moe_rows,
        "release_moe": {f"{e}|{r}": v for (e, r), v in parts.release_moe.items()},
        "release_moe_rows": {f"{e}|{r}": n for (e, r), n in parts.release_moe_rows.items()},
    }


def parts_from_json(data: dict[str, object]) -> Parts:
    """Parts from `parts_to_json` output; ValueError for anything malformed."""
    try:
        def floats(d: object) -> dict[str, float]:
            assert isinstance(d, dict)
            return {str(k): float(v) for k, v in d.items()}

        bases = data["bases"]
        assert isinstance(bases, dict)
        release = data["release"]
        family = data["family"]
        assert isinstance(release, dict) and isinstance(family, dict)
        return Parts(
            bases={str(f): floats(v) for f, v in bases.items()},
            base_rows={str(k): int(v) for k, v in dict(data["base_rows"]).items()},  # type: ignore[call-overload]
            family={str(k): (float(v[0]), float(v[1]), float(v[2]) if len(v) > 2 else 1.0)
                    for k, v in family.items()},
            family_rows={str(k): int(v) for k, v in dict(data["family_rows"]).items()},  # type: ignore[call-overload]
            release={_key(k): _release_values(v) for k, v in release.items()},
            moe=float(data.get("moe", 1.0)),  # type: ignore[arg-type]
            moe_rows=int(data.get("moe_rows", 0)),  # type: ignore[call-overload]
            release_moe={_key(k): float(v) for k, v in dict(data.get("release_moe", {})).items()},  # type: ignore[call-overload]
            release_moe_rows={_key(k): int(v)
                              for k, v in dict(data.get("release_moe_rows", {})).items()},  # type: ignore[call-overload]
            release_rows={_key(k): int(v) for k, v in dict(data["release_rows"]).items()},  # type: ignore[call-overload]
        )
    except (KeyError, TypeError, ValueError, AssertionError, IndexError) as err:
        raise ValueError(f"malformed calibration parts ({err})") from None


def _key(text: str) -> tuple[str, str]:
    engine, _, release = str(text).partition("|")
    return engine, release


def _release_values(v: object) -> tuple[float, ...]:
    values = tuple(float(x) for x in v)  # type: ignore[attr-defined]
    if len(values) != len(RELEASE_BOUNDS):
        raise ValueError(f"a release term has {len(values)} values, not {len(RELEASE_BOUNDS)}")
    return values
