"""`--explain OFFERING`: the whole derivation of one offering's row, as plain lines of text.

Shows the inputs, the layout chosen and why, the memory breakdown, the decode-step and
prefill time with the efficiency factors (their source and error band), the tenancy factor, the
interconnect needed against what the offering has, and the cost arithmetic step by step.
Numbers come from the core's `Estimate` and the ranking's `Cost`; nothing is recomputed here
except the arithmetic shown for the reader. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import math

from advisor.core.types import Estimate
from advisor.export.collectives import collective_rows
from advisor.export.serving_terms import accepted_tokens, serving_lines
from advisor.export.terminal import safe_text
from advisor.quote.build import Quote
from advisor.search.feasibility import layout_label
from advisor.search.features import features_label
from advisor.search.ranking import SORT_KEYS, Result
from advisor.shorthands import format_duration, format_tokens

GIB = 1024.0**3


def explain_lines(quote: Quote, result: Result) -> list[str]:
    """Every line of the derivation for `result`."""
    lines = _header(quote, result)
    est = result.estimate
    if est is not None:
        lines += _layout(result) + _memory(quote, est) + _time(quote, result, est)
        lines += serving_lines(quote.request, result)
        lines += _interconnect(result, est) + _factors(quote, result, est)
    if result.cost is not None and result.candidate is not None:
        lines += _cost(quote, result) + _versus_api(quote, result)
    lines += layout_lines(quote, result)
    lines += ["", "Assumptions"] + [f"  {a.name}: {a.value}" for a in quote.assumptions]
    return lines


def _header(quote: Quote, result: Result) -> list[str]:
    o = result.offering
    gpu = result.accelerator.name if result.accelerator else o.accelerator
    inter = "none (single nodes)" if o.inter_fabric == "none" else (
        f"{o.inter_fabric} {(o.inter_bytes_per_s or 0) / 1e9:,.0f} GB/s per node, up to {o.max_nodes} nodes")
    status = (f"rank {result.rank} of {len(quote.feasible)} feasible by {SORT_KEYS[quote.request.sort].quantity}"
              if result.feasible else "NOT feasible")
    lines = [
        f"{o.id}: {o.provider} {o.sku} — {status}",
        f"  node: {o.gpus_per_node} × {gpu}, {o.intra_fabric} {o.intra_bytes_per_s / 1e9:,.0f} GB/s per GPU "
        f"per direction (fast group {o.fast_group}{', NVLS' if o.nvls else ''}); inter-node: {inter}",
        f"  tenancy {o.tenancy}; price {o.price_per_node_hour:,.2f} {o.currency}/node-hour ({o.price_term}); "
        f"as of {o.as_of.isoformat()}; confidence {o.confidence}; source: {o.source}",
        f"  request: {quote.model.id}, ctx {format_tokens(quote.request.max_context)}, "
        f"{quote.request.input_tokens} in / {quote.request.output_tokens} out, {quote.request.load_label}"
        f"{features_label(quote.request)}",
    ]
    if not result.feasible:
        lines += [f"  why not: {reason}" for reason in result.reasons]
        if result.failure is not None and result.failure.relax:
            lines.append(f"  to relax: {result.failure.relax}")
    return lines


def _layout(result: Result) -> list[str]:
    cand, failure = result.candidate, result.failure
    layout = cand.layout if cand else (failure.layout if failure else None)
    precision = cand.precision if cand else (failure.precision if failure else None)
    if layout is None or precision is None:
        return []
    lines = ["", "Layout"]
    if cand is not None and cand.pools is not None:
        lines.append("  disaggregated: the decode pool's layout below; both pools and the KV transfer under Serving")
    lines.append(
        f"  {layout.replicas} replica(s) of {layout_label(layout)} = TP {layout.tp} × PP {layout.pp} "
        f"= {layout.gpus_per_replica} GPU(s) each, EP {layout.ep}; {layout.gpus} GPUs in use"
    )
    compute = result.estimate.compute_dtype if result.estimate is not None else ""
    lines.append(f"  weights {precision.weights}, KV cache {precision.kv}"
                 + (f", GEMMs in {compute}" if compute else ""))
    if cand is not None:
        unit = "concurrent sequences" if cand.per_replica_limit_kind == "concurrency" else "req/s"
        if cand.per_replica_limit is None:
            lines.append(f"  the smallest unit ({cand.nodes} node(s), {layout.replicas} replica(s)) already "
                         "serves the whole load within the targets")
        else:
            lines.append(
                f"  largest load one replica serves within the targets: {cand.per_replica_limit:.4g} {unit} "
                f"(searched on the model); {cand.nodes} node(s) rented"
            )
        lines.append("  chosen as the fewest node-hours per output token among the layouts tried")
    return lines


def _memory(quote: Quote, est: Estimate) -> list[str]:
    m = est.memory
    used = m.weights_bytes_per_gpu + m.workspace_bytes_per_gpu + m.kv_needed_bytes_per_gpu
    return [
        "",
        "Memory per GPU (most loaded GPU of a replica)",
        f"  weights     {m.weights_bytes_per_gpu / GIB:10,.2f} GiB",
        f"  workspace   {m.workspace_bytes_per_gpu / GIB:10,.2f} GiB",
        f"  KV needed   {m.kv_needed_bytes_per_gpu / GIB:10,.2f} GiB  "
        f"({m.kv_bytes_per_token_per_gpu / 1024:,.1f} KiB per token per GPU, sequences at "
        f"{format_tokens(quote.request.max_context)} context)",
        f"  total       {used / GIB:10,.2f} GiB of {m.usable_bytes_per_gpu / GIB:,.2f} GiB usable "
        f"(memory × engine memory fraction) → {'fits' if m.fits else 'does NOT fit'}",
        f"  KV capacity {m.kv_capacity_tokens:,} tokens per replica (paged) = {m.max_sequences} "
        "sequence(s) at full context",
    ]


def _time(quote: Quote, result: Result, est: Estimate) -> list[str]:
    return [
        "",
        "Time",
        *_decode_step(result, est, accepted_tokens(quote.request)),
        f"  TPOT {format_duration(est.tpot_s)}; TTFT {format_duration(est.ttft_s)} "
        f"(prefill of one {quote.request.input_tokens}-token prompt on an idle replica: "
        f"{format_duration(est.prefill_s)}); mode {est.mode or 'closed-loop'}"
        + ("; SATURATED" if est.saturated else ""),
        f"  throughput {est.output_tokens_per_s:,.1f} output tok/s, "
        f"{est.total_tokens_per_s - est.output_tokens_per_s:,.1f} input tok/s, "
        f"{est.requests_per_s:,.3f} req/s (whole deployment)",
    ] + [f"  note: {note}" for note in est.notes]


def _decode_step(result: Result, est: Estimate, accepted: float = 1.0) -> list[str]:
    """The decode step as the core sums it: a token crosses PP stages, each running the GEMMs and
    the attention (each bound by the slower of memory and compute), its collectives and its
    fixed overhead on a micro-batch of batch/PP; speculative decoding's accepted tokens per step
    and the tenancy factor divide it."""
    if est.decode_step_s <= 0 or not math.isfinite(est.decode_step_s):
        return [f"  decode step {format_duration(est.decode_step_s) if est.decode_step_s > 0 else 'none'} "
                f"({est.bound})"]
    layout = result.candidate.layout if result.candidate else (result.failure.layout if result.failure else None)
    pp = layout.pp if layout is not None else 1
    weights, gemm, kv, attention = est.stage_parts_s
    stage = (f"max({_t(weights)}, {_t(gemm)}) + max({_t(kv)}, {_t(attention)}) + {_t(est.stage_comm_s)} "
             f"+ {_t(est.stage_fixed_s)}")
    formula = "max(weights, GEMMs) + max(KV, attention) + comm + fixed"
    if est.host_overlap:  # the host prepares the next step while the GPU runs this one
        formula, stage = f"max({formula}, host)", f"max({stage}, {_t(est.stage_host_s)})"
    else:
        formula, stage = f"{formula} + host", f"{stage} + {_t(est.stage_host_s)}"
    tenancy = est.tenancy_factor
    if pp > 1:
        formula, stage = f"PP × ({formula})", f"{pp} × ({stage})"
    if accepted != 1.0:
        formula, stage = f"{formula} ÷ accepted", f"{stage} ÷ {accepted:g}"
    if tenancy != 1.0:
        formula, stage = f"{formula} ÷ tenancy", f"{stage} ÷ {tenancy:.3f}"
    per = f"{pp} pipeline stages, each on a micro-batch of batch/{pp}" if pp > 1 else "one stage"
    return [
        f"  decode step = {formula}",
        f"              = {stage} ≈ {_t(est.decode_step_s)}",
        f"    at batch {est.batch} per replica ({per}; {est.bound}-bound); comm is every collective of the "
        "step (all-reduce, all-to-all, pipeline send); host is the per-sequence work on the host"
        + (", beside the GPU step" if est.host_overlap else ", after the GPU step"),
    ] + _fixed(result, est)


def _fixed(result: Result, est: Estimate) -> list[str]:
    """The stage's fixed overhead as the core builds it: t_fixed per step plus t_layer per
    GQA-layer equivalent (a layer's kernels relative to a GQA layer's, with FP8/FP4 activation
    quantization, for the layers of one stage)."""
    e = result.hardware.efficiency if result.hardware is not None else None
    if e is None or e.t_layer_s <= 0 or est.stage_fixed_s <= e.t_fixed_s:
        return []
    layers = (est.stage_fixed_s - e.t_fixed_s) / e.t_layer_s
    return [f"    fixed = t_fixed {_t(e.t_fixed_s)} + t_layer {_t(e.t_layer_s)} × {layers:,.1f} GQA-layer "
            f"equivalents (this model's kernels per layer, one stage) = {_t(est.stage_fixed_s)}"]


def _t(seconds: float) -> str:
    """Three significant digits, so the step's arithmetic can be checked: '9.40 ms', '784 µs'."""
    if seconds == 0:
        return "0"
    if seconds >= 1.0:
        return f"{seconds:#.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:#.3g} ms"
    return f"{seconds * 1e6:#.3g} µs".replace(". µs", " µs")


def _interconnect(result: Result, est: Estimate) -> list[str]:
    ic = est.interconnect
    hw = result.hardware
    inter = f"; inter-node {hw.fabric.inter_kind} {hw.fabric.inter_bytes_per_s / 1e9:,.0f} GB/s" if hw else ""
    return [
        "",
        "Interconnect (tensor-parallel all-reduce)",
        f"  link {ic.link_kind}: {ic.allreduce_bytes_per_step / 1e6:,.3f} MB per GPU per decode step, "
        f"{format_duration(ic.comm_time_per_step_s)} = {ic.comm_share:.1%} of the step",
        f"  needed {_needed(ic.required_bytes_per_s)} to keep it under {ic.target_share:.0%}; "
        f"available {ic.available_bytes_per_s / 1e9:,.1f} GB/s{inter}",
    ] + [f"  {label.strip()}: {value}" for label, value in collective_rows(ic)]


def layout_lines(quote: Quote, result: Result) -> list[str]:
    """Every layout tried on the offering the quote sized them on (`build_quote`'s
    `layouts_for`), side by side; nothing for other offerings."""
    rows = quote.layouts
    if not rows or quote.layouts_offering != result.offering.id:
        return []
    lines = ["", f"Layouts tried on {result.offering.id} ({rows[0].precision.weights} weights, "
                 f"{rows[0].precision.kv} KV; collectives as a share of each decode step)"]
    small = [row for row in rows if row.kind == "memory"]
    if len(small) > 1:  # smallest first: the last is the widest that still does not hold it
        lines.append(f"  {len(small)} layouts do not hold the model, up to {small[-1].label}: {small[-1].reason}")
    for row in rows if len(small) <= 1 else [r for r in rows if r.kind != "memory"]:
        if row.feasible:
            figures = (f"{row.nodes} node(s), {row.output_tokens_per_s:,.0f} tok/s "
                       f"({row.tokens_per_s_per_node:,.0f} per node), TPOT {format_duration(row.tpot_s)}, "
                       f"collectives {row.collective_share:.0%}")
            lines.append(f"  {row.label:<12} {figures}" + (f"; slow: {row.reason}" if row.reason else ""))
        else:
            lines.append(f"  {row.label:<12} infeasible: {row.reason}")
    return lines


def _needed(bytes_per_s: float) -> str:
    if math.isfinite(bytes_per_s):
        return f"{bytes_per_s / 1e9:,.1f} GB/s"
    return "more than any link (the per-step latency alone exceeds the share)"


def _factors(quote: Quote, result: Result, est: Estimate) -> list[str]:
    hw = result.hardware
    if hw is None:
        return []
    e = hw.efficiency
    fitted = f"fitted to {e.rows} rows" if e.rows else "prior, not fitted"
    error = f", median |error| {e.median_abs_pct_error:.0f} %" if e.median_abs_pct_error is not None else ""
    return [
        "",
        f"Efficiency factors {e.id} ({e.family}, {e.engine}; {fitted}{error}, as of {e.as_of.isoformat()})",
        f"  error band: {quote.band_text(result)}",
        f"  η_mem {e.eta_mem:.3f}, η_compute {e.eta_compute:.3f}, η_prefill {e.eta_prefill:.3f}, "
        f"α {e.alpha_s * 1e6:.2f} µs, t_fixed {e.t_fixed_s * 1e3:.2f} ms, t_layer {e.t_layer_s * 1e6:.1f} µs, "
        f"t_seq {e.t_seq_s * 1e6:.1f} µs, engine batch cap {e.max_batch}",
        f"  source: {e.source or est.factor_source}",
        *([f"  composed of: {e.notes}"] if e.notes else []),
        f"Tenancy factor {hw.tenancy_factor:.3f} ({result.offering.tenancy}; multiplies throughput, "
        "divides latencies)",
    ]


def _cost(quote: Quote, result: Result) -> list[str]:
    cost, cand = result.cost, result.candidate
    assert cost is not None and cand is not None
    est = cand.estimate
    u = quote.request.utilization
    node_price = cost.usd_per_hour / cand.nodes
    out_tps = est.output_tokens_per_s
    in_tps = est.total_tokens_per_s - out_tps
    ranking = " (ranking)" if quote.request.sort == "mtok" else ""
    lines = [
        "",
        "Cost (USD)",
        f"  per hour   = {cand.nodes} node(s) × {node_price:,.4f} = {cost.usd_per_hour:,.2f}",
        f"  per month  = {cost.usd_per_hour:,.2f} × {quote.hours_per_month:g} h = {cost.usd_per_month:,.2f}",
        f"  per Mtok output{ranking} = {cost.usd_per_hour:,.2f} / ({out_tps:,.1f} tok/s × 3600 × {u:g}) × 10⁶ "
        f"= {cost.usd_per_million_output_tokens:,.4f}",
        f"  prefill share of GPU time = {cost.prefill_share:.1%}",
        f"  per Mtok input  = {cost.usd_per_hour:,.2f} × {cost.prefill_share:.3f} / ({in_tps:,.1f} × 3600 × {u:g}) "
        f"× 10⁶ = {cost.usd_per_million_input_tokens:,.4f}",
        f"  per Mtok output (decode share) = {cost.usd_per_million_output_tokens_decode:,.4f}; "
        f"blended (input + output) = {cost.usd_per_million_tokens_blended:,.4f}",
    ]
    if quote.currency != "USD":
        lines.append(f"  in {quote.currency} (÷ {quote.usd_per_unit:g} USD per {quote.currency}): "
                     f"{quote.in_currency(cost.usd_per_million_output_tokens):,.4f} per Mtok output, "
                     f"{quote.in_currency(cost.usd_per_month):,.2f} per month")
    return lines


def _versus_api(quote: Quote, result: Result) -> list[str]:
    """This row against the cheapest hosted API: the mix's price, then u* and V* (USD)."""
    be = quote.break_even_of(result)
    if be is None:
        return []
    ref, price = be.reference, be.reference.price
    if price is None:
        return ["", "Versus hosted APIs", f"  no hosted API price for {safe_text(ref.model)} in the catalog"]
    u, volume = be.break_even_utilization, be.break_even_tokens_per_month
    assert u is not None and volume is not None
    api = ref.usd_per_million_tokens
    return [
        "",
        "Versus hosted APIs (USD)",
        f"  API price = ({ref.input_tokens} × {price.usd_per_million_input:g} + {ref.output_tokens} × "
        f"{price.usd_per_million_output:g}) / {ref.input_tokens + ref.output_tokens} = {api:,.4f} per Mtok "
        f"({safe_text(price.provider)}, {safe_text(price.id)}; no prompt-cache hits assumed)",
        f"  tokens per hour fully busy = {be.tokens_per_hour_full_load / 3600:,.1f} tok/s × 3600 = "
        f"{be.tokens_per_hour_full_load / 1e6:,.2f} M",
        f"  break-even utilization = {be.usd_per_hour:,.2f} / ({api:,.4f} / 10⁶ × "
        f"{be.tokens_per_hour_full_load / 1e6:,.2f} M) = {u:.1%}"
        + (" (above 100 %: the API is cheaper at any utilization)" if u > 1 else ""),
        f"  break-even volume = {be.usd_per_hour:,.2f} × {be.hours_per_month:g} h / ({api:,.4f} / 10⁶) = "
        f"{volume / 1e6:,.0f} M tokens a month",
    ]
