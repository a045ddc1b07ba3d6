"""Remote catalogs: `fetch` (HTTPS with a URL policy and size cap), `cache` (the on-disk copies
and refresh intervals) and `sync` (refresh when due, validate, fall back to the cache)."""
