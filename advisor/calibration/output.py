"""The calibration TOML `advisor calibrate` writes: one [[efficiency]] entry with provenance.

The entry is scoped to the accelerator (`gpu`) and, when asked, the offering, so it outranks
the family-wide built-in entry only where it was measured (offering > gpu > family). Numbers are
plain SI floats like the built-in profiles; comments list every file with its sha256 and date
and the errors before and after. The text is checked to load as a catalog file before it is
written. Must not import textual, rich or httpx.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from advisor.calibration.fit import NAMES
from advisor.calibration.formats import Measured
from advisor.calibration.inputs import Scope
from advisor.calibration.team import KINDS, TeamFit
from advisor.errors import EXIT_BAD_INPUT, AdvisorError

COMMENTS = {
    "eta_mem": "share of peak HBM bandwidth in decode",
    "eta_compute": "share of dense peak FLOP/s in compute-bound decode",
    "eta_prefill": "share of dense peak FLOP/s in prefill",
    "alpha_s": "seconds per ring step of a small all-reduce",
    "t_fixed_s": "seconds of fixed overhead per decode step",
    "t_request_s": "seconds each request pays once before its first token",
    "max_batch": "engine cap on sequences per decode batch",
    "t_layer_s": "seconds of per-step overhead per layer",
    "t_seq_s": "seconds of per-step overhead per sequence in the batch",
    "eta_moe": "grouped expert GEMMs relative to dense GEMMs",
    "small_gpu_max_batch": "engine batch cap on GPUs under 70 GiB and A100s",
    "memory_fraction": "engine default share of GPU memory",
    "prefill_chunk_tokens": "engine default prefill chunk",
    "host_overlap": "host work overlaps the GPU step",
    "prefill_alone": "prompts prefill in forwards of their own",
}
KEPT = ("t_layer_s", "t_seq_s", "eta_moe", "small_gpu_max_batch", "memory_fraction", "prefill_chunk_tokens")
SOURCE_CHARS = 1900  # the schema's text limit is 2000


def entry_id(scope: Scope) -> str:
    """'team-h100-sxm-vllm', or 'team-<offering>-vllm' for an offering-scoped entry."""
    where = scope.offering.id if scope.offering is not None else scope.acc.id
    text = re.sub(r"[^a-z0-9._+-]+", "-", f"team-{where}-{scope.engine}".lower()).strip("-")
    return text[:80]


def toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _pct(value: float) -> str:
    return "—" if value != value else f"{value:.1f} %"  # NaN: nothing scored


def error_summary(fit: TeamFit) -> str:
    """'throughput 18.0 % → 2.1 %; TTFT …' (median absolute % error before → after)."""
    parts = []
    for kind in KINDS:
        if kind in fit.before:
            parts.append(f"{kind} {_pct(fit.before[kind].median_abs_pct_error)} → "
                         f"{_pct(fit.after[kind].median_abs_pct_error)}")
    return "; ".join(parts)


def shown_path(path: str, base: Path) -> str:
    """A measured file as the calibration names it: relative to the TOML's folder when it lies
    below it (a team repo keeps both), else by its name alone — the sha256 identifies it and no
    local directory leaks into a shared file."""
    try:
        relative = Path(os.path.relpath(Path(path).resolve(), base.resolve()))
    except ValueError:  # another drive (Windows)
        return Path(path).name
    return Path(path).name if relative.parts[:1] == ("..",) else relative.as_posix()


def _files_text(files: list[Measured], base: Path) -> str:
    parts = [f"{shown_path(m.path, base)} ({m.fmt}, sha256 {m.sha256[:16]}, {', '.join(m.dates)})"
             for m in files]
    text = "; ".join(parts)
    kept = len(parts)
    while len(text) > SOURCE_CHARS - 400 and kept > 1:
        kept -= 1
        text = "; ".join(parts[:kept]) + f"; and {len(parts) - kept} more (listed in the comments)"
    return text


def source_text(fit: TeamFit, files: list[Measured], out_name: str, base: Path) -> str:
    text = (f"team calibration {out_name}: advisor calibrate on {len(files)} file(s): "
            f"{_files_text(files, base)}; soft-L1 on log(predicted/measured), Nelder-Mead; "
            f"prior {fit.prior.id}")
    return text[:SOURCE_CHARS]


def notes_text(fit: TeamFit) -> str:
    kept = [n for n in NAMES if n not in fit.free and n not in fit.bounded]
    if fit.mode != "full":
        runs = "1 run" if fit.runs == 1 else f"{fit.runs} runs"
        scale = f"a throughput scale ×{fit.scale:.3f} on the {fit.bound}-bound decode step " \
            f"({', '.join(fit.scaled)})" if fit.scaled else "no throughput scale (decode not measured)"
        offset = "the latency offset t_request_s" if "t_request_s" in fit.free else "no latency offset"
        return (f"fitted to {fit.rows} measured values from {runs}: {scale} and {offset}; kept from "
                f"{fit.prior.id} ({runs} cannot separate them): {', '.join(kept)}, max_batch; "
                f"median abs error before → after: {error_summary(fit)}")[:SOURCE_CHARS]
    bounded = f"; kept from {fit.prior.id} (the runs only bound them): {', '.join(fit.bounded)}" \
        if fit.bounded else ""
    return (f"fitted to {fit.rows} measured values: {', '.join(fit.free)}; kept from "
            f"{fit.prior.id} (not identifiable from these runs): {', '.join(kept) or 'none'}"
            f"{bounded}; median abs error before → after: {error_summary(fit)}")[:SOURCE_CHARS]


def _scaled(fit: TeamFit, name: str) -> str:
    """', throughput scale ×1.143' on an η, '÷1.143' on a per-step overhead."""
    return f", throughput scale {'×' if name.startswith('eta') else '÷'}{fit.scale:.3f}"


def render(fit: TeamFit, scope: Scope, files: list[Measured], *, as_of: dt.date,
           out_name: str, entry: str, base: Path) -> str:
    """The whole file; measured files are named relative to `base` (the TOML's folder)."""
    header = ["# Team calibration written by `advisor calibrate`; re-run it to update it.",
              f"# List it in advisor.toml: calibrations = [\"{out_name}\"]",
              f"# Prior: {fit.prior.id}. Fitted: {', '.join(dict.fromkeys([*fit.free, *fit.scaled]))}.",
              f"# Median abs error before → after: {error_summary(fit)}", "# Measurements:"]
    header += [f"#   {shown_path(m.path, base)}  {m.fmt}  sha256 {m.sha256}  {', '.join(m.dates)}"
               for m in files]
    values = {n: getattr(fit.fitted, n) for n in NAMES}
    lines = ["[[efficiency]]", f"id = {toml_str(entry)}", f"family = {toml_str(scope.acc.family)}",
             f"engine = {toml_str(scope.engine)}", f"gpu = {toml_str(scope.acc.id)}"]
    if scope.offering is not None:
        lines.append(f"offering = {toml_str(scope.offering.id)}")
    for name in NAMES:
        state = "fitted" if name in fit.free else f"from {fit.prior.id}"
        if fit.mode != "full" and name in fit.free:
            state += _scaled(fit, name) if name in fit.scaled else ", latency offset"
        state += ", the runs only bound it" if name in fit.bounded else ""
        lines.append(f"{name} = {values[name]:.4g}  # {COMMENTS[name]} ({state})")
    state = "searched" if "max_batch" in fit.free else f"from {fit.prior.id}"
    lines.append(f"max_batch = {fit.fitted.max_batch}  # {COMMENTS['max_batch']} ({state})")
    for name in KEPT if fit.mode != "full" else ():  # the prior's, as the scale-and-offset fit kept them
        value = getattr(fit.fitted, name)
        if value is not None:
            state = f"fitted{_scaled(fit, name)}" if name in fit.scaled else f"from {fit.prior.id}"
            lines.append(f"{name} = {value:.4g}  # {COMMENTS[name]} ({state})")
    for name in ("host_overlap", "prefill_alone"):  # engine behaviours, carried from the prior
        if fit.mode != "full" and getattr(fit.fitted, name):
            lines.append(f"{name} = true  # {COMMENTS[name]} (from {fit.prior.id})")
    lines.append(f"rows = {fit.rows}")
    overall = fit.after["all"].median_abs_pct_error
    if overall == overall:
        lines.append(f"median_abs_pct_error = {min(overall, 1000.0):.1f}  # all measured values, after the fit")
    lines += [f"source = {toml_str(source_text(fit, files, out_name, base))}",
              f"as_of = {as_of.isoformat()}", f"notes = {toml_str(notes_text(fit))}"]
    text = "\n".join(header) + "\n\n" + "\n".join(lines) + "\n"
    check_loads(text, out_name)
    return text


def check_loads(text: str, name: str) -> None:
    """The rendered file must load as a catalog file (a bug here must not reach the team)."""
    from advisor.catalog.loaders import load_catalog_bytes

    loaded = load_catalog_bytes(text.encode("utf-8"), name)
    if loaded.problems:
        first = loaded.problems[0]
        raise AdvisorError(f"internal error: the calibration would not load: {first.render()}",
                           exit_code=EXIT_BAD_INPUT)
