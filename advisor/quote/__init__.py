"""The quote: `build.build_quote(request, world) -> Quote`, the one entry point every front end
calls, `parts` (number, dates, line items, totals) that a procurement document needs, and
`sweep` (a quote's deployments at other concurrencies, for the charts)."""
