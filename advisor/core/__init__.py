"""The performance model: pure functions over a `Deployment` value (model.md).

Public entry points (the search, `advisor estimate`, `validate` and `floors` call these):

- `serving.estimate(deployment, *, tenancy_factor, memory_fraction, comm_share_target) ->
  Estimate` — closed loop (`load.concurrency`), open loop (`load.rate`, queueing in TTFT) or
  max throughput (neither); `serving.throughput_ceiling(deployment, …)` bounds it cheaply.
- `deployment.Deployment(model=, accelerator=, fabric=, layout=, precision=, load=, factors=)`
  — the question; `deployment.prepare(deployment, …) -> Setup` is the one prologue.
- `memory.memory_breakdown(model, acc, layout, precision, *, context, sequences,
  memory_fraction, fraction_of_free=False) -> MemoryBreakdown` — the VRAM floor.
- `fabric.fabric_for_offering(offering, acc)`, `fabric.fabric_for_gpu(acc, gpus) -> Fabric`.
- `efficiency.select(factors, acc, engine, offering_id=None) -> EfficiencyFactors`,
  `efficiency.engine_reason(acc, engine)`.
- `layouts.layout_reason(model, layout, fabric)`, `layouts.valid_tp/valid_ep/valid_pp`.
- `params.breakdown(model)` — parameters by role; `params.shape(model)` — cached constants.
- `protocols.burst / finite_open_loop(deployment, …)` and `scoring.*` — replaying published
  benchmark runs.

One rule for value types: records and every value that is compared, hashed or used as a key
(`Deployment`, `Layout`, `Precision`, `Fabric`, `Load`, the domain records) are frozen, slotted
dataclasses, so they equal only values of their own kind. A NamedTuple is only for a result
that is built once and then read field by field or unpacked (`Estimate`, `MemoryBreakdown`,
`Setup`, `Plan`, `Step`, `Operating`, …); it is never a key and never compared with a tuple.

Modules: precision (formats), params, layouts, memory, comms, fabric, timing (step times),
serving (operating points), deployment, efficiency, protocols, scoring; `types` is the contract.
No I/O, pint, rich, textual or httpx anywhere in this package.
"""
