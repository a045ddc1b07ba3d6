"""Search: from a `QuoteRequest` to ranked results.

`request` normalizes the question, `space` lists the layouts tried per piece of hardware,
`sizing` finds the replicas that meet the latency targets, `feasibility` says why a layout
fails, `ranking` prices and orders the results, `floors` finds the fewest GPUs that hold a
model (the VRAM-floor table).
"""
