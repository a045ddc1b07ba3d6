"""The quote as one self-contained HTML file: inline CSS with print styles, no scripts, no
external resources (a Content-Security-Policy forbids loading any), A4 when printed to PDF.

Every string from a file is HTML-escaped (`html.escape`, quotes included) and nothing is a
link, so a provider or source named like markup or a `javascript:` URL stays text.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import html
import re

from advisor.export.base import ExportOptions
from advisor.export.document import Document, Section, Table, build_document
from advisor.quote.build import Quote

EXTENSION = "html"

CSS = """
:root { --ink: #1d232b; --muted: #5b6573; --line: #d9dee5; --accent: #0b5cad; --ok: #1a7f37;
        --bad: #b42318; --soft: #f4f6f9; }
* { box-sizing: border-box; }
html { background: #fff; }
body { margin: 0; color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto,
       "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
main { max-width: 1060px; margin: 0 auto; padding: 28px 36px 40px; }
.head { border-bottom: 3px solid var(--accent); padding-bottom: 10px; }
.kicker { margin: 0; color: var(--accent); font-size: 12px; font-weight: 700; letter-spacing: .08em;
          text-transform: uppercase; }
h1 { margin: 2px 0 4px; font-size: 22px; }
.subtitle { margin: 0; color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 14px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.callout { margin: 10px 0; padding: 8px 12px; border-left: 4px solid var(--accent); background: var(--soft); }
.callout.alert { border-color: var(--bad); background: #fdf1f0; }
section { margin-top: 22px; }
h2 { margin: 0 0 8px; padding-bottom: 3px; border-bottom: 1px solid var(--line); font-size: 16px; }
p { margin: 0 0 8px; }
ul { margin: 4px 0 0; padding-left: 20px; }
table { width: 100%; border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 4px 6px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; }
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
tr.muted td { color: var(--muted); }
tr.bad td { color: var(--bad); font-weight: 600; }
tr.ok td:last-child { color: var(--ok); font-weight: 600; }
table.compact { width: auto; min-width: 55%; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 14px 0 4px; }
.figure { padding: 8px 12px; border: 1px solid var(--line); border-top: 3px solid var(--accent); }
.figure .label { display: block; color: var(--muted); font-size: 12px; }
.figure .value { display: block; font-size: 17px; font-weight: 700; }
#ranking table, #sources table, #alternatives table { font-size: 11.5px; }
#ranking td:last-child:not(.num) { min-width: 11em; }  /* "Why not": readable, not a ribbon */
#sources td:last-child { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
                         font-size: 10.5px; word-break: break-all; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
footer { margin-top: 28px; padding-top: 8px; border-top: 1px solid var(--line); color: var(--muted);
         font-size: 12px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  thead { display: table-header-group; }
  tr, .callout, dl.facts, .figures { break-inside: avoid; }
  table { font-size: 9pt; }
  #ranking table, #sources table, #alternatives table { font-size: 8pt; }
}
""".strip()

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def esc(text: object) -> str:
    """Text as HTML character data or attribute value."""
    return html.escape(str(text), quote=True)


def render(quote: Quote, options: ExportOptions | None = None) -> str:
    """The whole quote as one HTML document."""
    return document_html(build_document(quote, options or ExportOptions()), quote.tool_version)


def document_html(doc: Document, tool_version: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
        f'<meta name="generator" content="advisor {esc(tool_version)}">',
        f"<title>{esc(doc.heading)}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        *_head(doc),
        *[line for section in doc.sections for line in _section(section)],
        f'<footer><p>{esc(doc.note)}</p><p>{_code_spans(doc.footer)}</p></footer>',
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _head(doc: Document) -> list[str]:
    lines = ['<header class="head">', '<p class="kicker">Quote · estimate, not an offer</p>',
             f"<h1>{esc(doc.heading)}</h1>", f'<p class="subtitle">{esc(doc.subtitle)}</p>', "</header>",
             '<dl class="facts">']
    lines += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in doc.facts]
    lines.append("</dl>")
    if doc.highlights:
        lines.append('<div class="figures">')
        lines += [f'<p class="figure"><span class="label">{esc(k)}</span><span class="value">{esc(v)}</span></p>'
                  for k, v in doc.highlights]
        lines.append("</div>")
    if doc.alert:
        lines.append(f'<p class="callout alert"><strong>Attention:</strong> {esc(doc.alert)}</p>')
    lines.append(f'<p class="callout">{esc(doc.note)}</p>')
    return lines


def _section(section: Section) -> list[str]:
    lines = [f'<section id="{esc(section.key)}">', f"<h2>{esc(section.title)}</h2>"]
    lines += [f"<p>{esc(p)}</p>" for p in section.paragraphs]
    if section.table is not None:
        lines += _table(section.table)
    if section.bullets:
        lines += ["<ul>", *[f"<li>{esc(b)}</li>" for b in section.bullets], "</ul>"]
    lines.append("</section>")
    return lines


def _table(table: Table) -> list[str]:
    right = [table.right_aligned(i) for i in range(len(table.headers))]
    head = "".join(f'<th{_num(right[i])} scope="col">{esc(h)}</th>' for i, h in enumerate(table.headers))
    opening = '<table class="compact">' if table.compact else "<table>"
    lines = [opening, f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for index, row in enumerate(table.rows):
        kind = table.kind(index)
        attr = f' class="{esc(kind)}"' if kind else ""
        cells = "".join(f"<td{_num(right[i] if i < len(right) else False)}>{esc(c)}</td>" for i, c in enumerate(row))
        lines.append(f"<tr{attr}>{cells}</tr>")
    lines += ["</tbody>", "</table>"]
    return lines


def _num(right: bool) -> str:
    return ' class="num"' if right else ""


def _code_spans(text: str) -> str:
    """Our own sentence with `code` spans as <code> (no file-derived text in it)."""
    return "".join(f"<code>{esc(part[1:-1])}</code>" if part.startswith("`") and part.endswith("`") else esc(part)
                   for part in re.split(r"(`[^`]*`)", text) if part)
