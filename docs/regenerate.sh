#!/usr/bin/env bash
# Regenerate the example quote documents from the built-in data (issue 6):
#   docs/example-quote.md   advisor quote --model 405b --ctx 32k --format md
#   docs/quote-html.png     the same quote as HTML, rendered by headless Chromium (1100×1400)
# Needs chromium on PATH for the screenshot (Debian: apt-get install -y chromium).
# Set SOURCE_DATE_EPOCH to fix the issue date; run from anywhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"  # away from any team config: built-in data only
args=(--no-discover quote --model 405b --ctx 32k)
"$python" -m advisor "${args[@]}" --format md -o "$root/docs/example-quote.md" --force
"$python" -m advisor "${args[@]}" --format html -o "$work/quote.html"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
  --screenshot="$root/docs/quote-html.png" --window-size=1100,1400 "file://$work/quote.html" 2>/dev/null
echo "wrote docs/example-quote.md and docs/quote-html.png"
