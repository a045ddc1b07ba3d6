"""Data in: the only reader of user-supplied files.

Safe TOML reading with `file:line` positions, unit strings, the catalog/profile loaders,
discovery of team and user configuration and its layering into a `World`, sanity checks, and
remote catalogs (`catalog/remote/`: fetch, cache, sync; the only httpx user).
"""
