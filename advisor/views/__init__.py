"""Renderings of a `Quote` for the terminal and files: Rich table, JSON, CSV, Markdown, --explain.

`data` turns a Quote into plain records (shared by every format), `table` prints the Rich
table, `explain` writes the whole derivation for one offering, `output` writes files
atomically. Rich is imported only inside the functions that print. Must not import textual,
httpx or pint.
"""
