"""The performance model: pure functions over floats and frozen inputs (model.md).

Public entry points (the search, `advisor estimate`, `validate` and `floors` call these):

- `serving.estimate(model, acc, fabric, layout, precision, load, eff, *, tenancy_factor,
  memory_fraction, comm_share_target) -> Estimate` — closed loop (`load.concurrency`), open
  loop (`load.rate`, queueing in TTFT) or max throughput (neither).
- `memory.memory_breakdown(model, acc, layout, precision, *, context, sequences,
  memory_fraction, fraction_of_free=False) -> MemoryBreakdown` — the VRAM floor.
- `fabric.fabric_for_offering(offering, acc)`, `fabric.fabric_for_gpu(acc, gpus) -> Fabric`.
- `efficiency.select(factors, acc, engine, offering_id=None) -> EfficiencyFactors`,
  `efficiency.engine_reason(acc, engine)`.
- `layouts.layout_reason(model, layout, fabric)`, `layouts.valid_tp/valid_ep/valid_pp`.
- `params.breakdown(model)` — parameters by role; `params.shape(model)` — cached constants.
- `protocols.burst / finite_open_loop` and `scoring.*` — replaying published benchmark runs.

Modules: precision (formats), params, layouts, memory, comms, fabric, timing (step times),
serving (operating points), efficiency, protocols, scoring; `types` is the contract.
No I/O, pint, rich, textual or httpx anywhere in this package.
"""
