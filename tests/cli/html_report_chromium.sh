#!/usr/bin/env bash
# The HTML report in headless Chromium: it renders, logs no console errors, makes no network
# request, and its screenshot is not blank. Exit 77 (skipped) where Chromium is not installed.
set -euo pipefail
hwplan=$1
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "chromium not installed: skipped"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$hwplan" report --format html -o "$dir/report.html" 2>/dev/null
# No host resolves (MAP * ~NOTFOUND), so nothing leaves the machine; requests the page makes
# still appear in the net log, keyed by the page's file:// origin, which the check below finds.
# Chromium's own background traffic carries no such key and is also switched off where it can be.
flags=(--host-resolver-rules="MAP * ~NOTFOUND" --headless=new --no-sandbox --disable-gpu --no-first-run --disable-extensions
       --disable-background-networking --disable-component-update --disable-sync --disable-default-apps
       --no-default-browser-check --disable-domain-reliability --no-pings --metrics-recording-only
       --disable-client-side-phishing-detection --disable-features=Translate,OptimizationHints,SpellcheckService
       --user-data-dir="$dir/profile" --window-size=1280,2400 --virtual-time-budget=3000)
"$chromium" "${flags[@]}" --enable-logging=stderr --log-level=0 --log-net-log="$dir/net.json" \
  --screenshot="$dir/shot.png" "file://$dir/report.html" 2>"$dir/chrome.log" >/dev/null || true
[ -s "$dir/shot.png" ] || { echo "no screenshot"; cat "$dir/chrome.log"; exit 1; }
# A blank 1280x2400 page compresses to a few KiB; tables and three charts do not.
size=$(stat -c %s "$dir/shot.png")
[ "$size" -gt 40000 ] || { echo "screenshot looks blank ($size bytes)"; exit 1; }
# The report has no scripts: any console message at all (errors included) is a failure.
if grep -E "CONSOLE" "$dir/chrome.log"; then echo "console messages"; exit 1; fi
# Requests made by the page: their network-isolation key starts with the page's file:// site.
if grep -oE '"key":"[^"]*_dk_file:// file:// [^"]*"' "$dir/net.json" | grep -vE 'file:// file:// file://' | grep -q .; then
  echo "network requests by the page:"
  grep -oE '"key":"[^"]*_dk_file:// file:// [^"]*"' "$dir/net.json" | sort -u | head
  exit 1
fi
dom=$("$chromium" "${flags[@]}" --dump-dom "file://$dir/report.html" 2>/dev/null)
echo "$dom" | grep -q "<svg" || { echo "no SVG in the rendered DOM"; exit 1; }
echo "ok: screenshot $size bytes, no console errors, no network requests"
