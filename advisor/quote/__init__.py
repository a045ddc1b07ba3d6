"""The quote: `build.build_quote(request, world) -> Quote`, the one entry point every front end
calls, and `parts` (number, dates, line items, totals) that a procurement document needs."""
