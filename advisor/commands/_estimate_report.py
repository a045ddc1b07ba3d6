"""The human report of `advisor estimate`: Rich tables of the answer (with its error band), the
memory breakdown, the formula inputs and the efficiency factors with their source and error
band. Must not import textual."""

from __future__ import annotations

from typing import Any

from advisor.export.collectives import collective_rows
from advisor.export.serving_terms import load_feature_rows
from advisor.export.terminal import Column, gib, print_lines, print_table


def _ms(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "unbounded"
    return f"{seconds * 1e3:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _rate(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.2f} {unit}"


def _gbs(value: float) -> str:
    if value == float("inf"):
        return "unreachable (latency alone exceeds the target)"
    return f"{value / 1e9:,.1f} GB/s"


def _table(title: str, rows: list[tuple[str, str]]) -> None:
    """One section: a blank line, its title, and the two columns (neither is ever left out; a
    long value wraps between words)."""
    records = [{"quantity": q, "value": v} for q, v in rows]
    print_lines([""])
    print_table(records, [Column("quantity", "quantity", priority=0),
                          Column("value", "value", "right", kind="wrap", priority=0)], title=title)


def report(result: Any) -> None:
    est, lay, mem = result.est, result.layout, result.est.memory
    acc, model, eff = result.acc, result.model, result.eff
    head = (f"{model.name} on {lay.gpus}× {acc.name} (tp {lay.tp}, pp {lay.pp}, ep {lay.ep}, "
            f"{lay.replicas} replica{'s' if lay.replicas > 1 else ''}) — {result.engine}, "
            f"{result.precision.weights} weights, {result.precision.kv} KV cache")
    print_lines([head])
    load = result.load
    if load.concurrency is not None:
        mode = f"closed loop, {load.concurrency} concurrent users"
    elif load.rate is not None:
        mode = f"open loop, {load.rate:g} requests/s"
    else:
        mode = "max throughput (batch grows to the KV or engine cap)"
    _table("Result (whole deployment)", [
        ("load", f"{mode}; {load.isl} in / {load.osl} out tokens"),
        ("output tokens/s", _rate(est.output_tokens_per_s, "tok/s")),
        ("total tokens/s", _rate(est.total_tokens_per_s, "tok/s")),
        ("requests/s", _rate(est.requests_per_s, "req/s")),
        ("decode batch per replica", str(est.batch)),
        ("TTFT", _ms(est.ttft_s)),
        ("TPOT", _ms(est.tpot_s)
         + (f"  ({1 / est.tpot_s:,.1f} tok/s per user)" if 0 < est.tpot_s < float("inf") else "")),
        ("bound by", est.bound),
        ("tenancy factor", f"{est.tenancy_factor:g} (bare metal; no offering given)"),
        ("error band", result.band_text),
    ])
    features = load_feature_rows(load, est)
    if features:
        _table("Workload features", features)
    if result.pools is not None:
        from advisor.commands._estimate_disagg import pool_rows

        _table("Disaggregated serving (the layout above is the decode pool)", pool_rows(result.pools))
    _table("Memory per GPU", [
        ("weights (embeddings, lm_head, all experts)", gib(mem.weights_bytes_per_gpu)),
        ("workspace (runtime, graphs, activations, logits)", gib(mem.workspace_bytes_per_gpu)),
        ("usable (engine rule)", gib(mem.usable_bytes_per_gpu)),
        ("KV budget", gib(mem.kv_budget_bytes_per_gpu)),
        ("KV bytes per token (replica, all GPUs)", f"{mem.kv_bytes_per_token:,.0f} B"),
        ("KV bytes per token (this GPU)", f"{mem.kv_bytes_per_token_per_gpu:,.0f} B"),
        (f"KV per sequence at {load.context} tokens", gib(mem.kv_bytes_per_sequence_per_gpu)),
        ("KV capacity per replica", f"{mem.kv_capacity_tokens:,} tokens"),
        ("max sequences per replica", f"{mem.max_sequences:,}"),
        ("fits", "yes" if mem.fits and est.fits else "no"),
    ])
    ic = est.interconnect
    hbm = acc.hbm_bytes_per_s
    _table("Formula inputs", [
        ("HBM bandwidth × η_mem", f"{hbm / 1e12:.2f} TB/s × {eff.eta_mem:.3g}"),
        (f"dense peak ({est.compute_dtype}) × η_compute",
         f"{acc.peak_flops(est.compute_dtype) / 1e12:,.0f} TFLOP/s × {eff.eta_compute:.3g}"),
        ("prefill: peak × η_prefill", f"× {eff.eta_prefill:.3g}"),
        ("decode step, memory part (weights + KV)", _ms(est.t_mem_s)),
        ("decode step, compute part", _ms(est.t_compute_s)),
        ("decode step (no prefill interference)", _ms(est.decode_step_s)),
        ("prefill of one prompt on an idle replica", _ms(est.prefill_s)),
        ("share of GPU time in prefill", f"{est.prefill_share:.1%}"),
    ])
    _table("Interconnect (tensor-parallel all-reduce, per decode step)", [
        ("link", ic.link_kind),
        ("all-reduce bytes per GPU per step", f"{ic.allreduce_bytes_per_step / 1e6:,.2f} MB"),
        ("time per step", _ms(ic.comm_time_per_step_s)),
        ("share of step", f"{ic.comm_share:.1%}"),
        (f"link needed for ≤ {ic.target_share:.0%}", _gbs(ic.required_bytes_per_s)),
        ("available (per GPU, per direction)", _gbs(ic.available_bytes_per_s)),
    ])
    collectives = collective_rows(ic)
    if collectives:
        _table("Collectives (one pipeline stage's decode step)", collectives)
    _table(f"Efficiency factors ({eff.id})", [
        ("η_mem / η_compute / η_prefill", f"{eff.eta_mem:.3g} / {eff.eta_compute:.3g} / {eff.eta_prefill:.3g}"),
        ("α per ring step", f"{eff.alpha_s * 1e6:.2f} µs"),
        ("t_fixed per step / t_request", f"{eff.t_fixed_s * 1e3:.2f} ms / {eff.t_request_s * 1e3:.1f} ms"),
        ("t_layer per GQA layer / t_seq per sequence",
         f"{eff.t_layer_s * 1e6:.1f} µs / {eff.t_seq_s * 1e6:.1f} µs"
         + (" (beside the GPU)" if eff.host_overlap else "")),
        ("engine batch cap", str(eff.max_batch)),
        ("new prompts prefill", "alone (decoding waits)" if eff.prefill_alone
         else "mixed into decode steps"),
        ("fitted rows / median abs error",
         f"{eff.rows} / {eff.median_abs_pct_error:.1f} %" if eff.median_abs_pct_error is not None
         else f"{eff.rows} / —" if eff.rows else "0 (prior, not fitted)"),
    ])
    print_lines([f"error band: {result.band_text}", f"factors: {eff.source}"]
                + [f"note: {n}" for n in result.notes])
