"""The quote as Markdown (GitHub-flavoured): headings, key facts, tables, the estimate note.

Every string from a file is made inert for Markdown: `\\`, `|`, backticks, `*`, link brackets
and `<` are backslash-escaped (CommonMark escapes any ASCII punctuation), as is a character
that would start a heading, quote or list, so a provider name cannot become a link, raw HTML
or a broken table. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import re

from advisor.export.base import ExportOptions
from advisor.export.document import Document, Section, Table, build_document
from advisor.export.terminal import safe_text
from advisor.quote.build import Quote

EXTENSION = "md"

_SPECIAL = re.compile(r"([\\`*\[\]|<])")
# what would open a block at the start of a line: a heading, a list item ("- ", "1. "), a quote
_BLOCK_START = re.compile(r"^(\s*\d{0,9})(#{1,6}(?=\s|$)|[-+=](?=\s|$)|(?<=\d)[.)](?=\s|$)|>)")


def md_text(text: str, *, block: bool = False) -> str:
    """`text` as literal Markdown inline text (one line); `block`: it starts a paragraph or list
    item, where a leading '# ', '- ', '1. ' or '>' would open a block (table cells cannot)."""
    escaped = _SPECIAL.sub(r"\\\1", safe_text(text))
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped) if block else escaped


def render(quote: Quote, options: ExportOptions | None = None) -> str:
    """The whole quote as one Markdown document."""
    return document_markdown(build_document(quote, options or ExportOptions()))


def document_markdown(doc: Document) -> str:
    lines = [f"## {md_text(doc.heading)}", "", md_text(doc.subtitle, block=True), ""]
    lines += _table(Table(("", ""), tuple((f"**{md_text(k)}**", md_text(v)) for k, v in doc.facts)), raw=True)
    if doc.highlights:
        lines += ["", " · ".join(f"{md_text(k)}: **{md_text(v)}**" for k, v in doc.highlights)]
    if doc.alert:
        lines += ["", f"> **Attention:** {md_text(doc.alert)}"]
    lines += ["", f"_{md_text(doc.note)}_"]
    for section in doc.sections:
        lines += ["", *_section(section)]
    lines += ["", "---", "", f"_{md_text(doc.note)}_ {_code_spans(doc.footer)}", ""]
    return "\n".join(lines)


def _section(section: Section) -> list[str]:
    lines = [f"### {md_text(section.title)}", ""]
    for paragraph in section.paragraphs:
        lines += [md_text(paragraph, block=True), ""]
    if section.table is not None:
        lines += _table(section.table) + [""]
    lines += [f"- {md_text(b, block=True)}" for b in section.bullets]
    if section.bullets:
        lines.append("")
    return lines[:-1]


def _table(table: Table, *, raw: bool = False) -> list[str]:
    cell = (lambda text: text) if raw else md_text
    lines = ["| " + " | ".join(cell(h) for h in table.headers) + " |"]
    lines.append("|" + "|".join("---:" if table.right_aligned(i) else "---" for i in range(len(table.headers))) + "|")
    for index, row in enumerate(table.rows):
        texts = [cell(c) for c in row]
        if table.kind(index) == "total":
            texts = [f"**{t}**" if t else t for t in texts]
        lines.append("| " + " | ".join(texts) + " |")
    return lines


def _code_spans(text: str) -> str:
    """Our own sentence with `code` spans kept (no file-derived text in it)."""
    return "".join(part if part.startswith("`") else md_text(part) for part in re.split(r"(`[^`]*`)", text) if part)
