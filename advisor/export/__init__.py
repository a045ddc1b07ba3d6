"""Quote documents: one module per format behind one small interface, and safe file writes.

`Format` (a str-Enum) names each format; `renderer(fmt)` gives its `render(quote, options) ->
str`, loaded on first use so a JSON quote never imports the HTML code; `render` is the
shortcut. `advisor.export.write` writes the rendered text atomically (or to stdout for `-o -`).
The terminal table stays in `advisor.export.table`. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

from advisor.export.base import ExportOptions, Format, Renderer, extension, render, renderer

__all__ = ["ExportOptions", "Format", "Renderer", "extension", "render", "renderer"]
