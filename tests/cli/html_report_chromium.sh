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
       --window-size=1280,2400 --virtual-time-budget=3000)
# Each run gets its own profile: a Chromium still shutting down keeps its profile locked, and a
# second run on it then fails now and then.
chrome() {
  local profile=$1
  shift
  "$chromium" --user-data-dir="$dir/profile-$profile" "$@"
}
chrome shot "${flags[@]}" --enable-logging=stderr --log-level=0 --log-net-log="$dir/net.json" \
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
# The DOM goes to a file: through a pipe Chromium's output was cut short now and then under load.
chrome dom "${flags[@]}" --dump-dom "file://$dir/report.html" >"$dir/dom.html" 2>"$dir/dom.log" || true
grep -q "<svg" "$dir/dom.html" || { echo "no SVG in the rendered DOM ($(stat -c %s "$dir/dom.html") bytes)"; exit 1; }
# On a phone and on a desktop the page itself never scrolls sideways (tables scroll in their own
# box): a copy with one line of script reports the page's scroll width against its client width.
sed 's|</body>|<script>document.title="W="+document.documentElement.scrollWidth+" C="+document.documentElement.clientWidth</script></body>|' \
  "$dir/report.html" >"$dir/measure.html"
for width in 390 1400; do
  chrome "width-$width" "${flags[@]/--window-size=1280,2400/--window-size=$width,2400}" --dump-dom \
    "file://$dir/measure.html" >"$dir/measure-$width.html" 2>/dev/null || true
  title=$(grep -oE '<title>W=[0-9]+ C=[0-9]+' "$dir/measure-$width.html" | head -1)
  scroll=$(echo "$title" | sed -E 's/.*W=([0-9]+) C=([0-9]+)/\1/')
  client=$(echo "$title" | sed -E 's/.*W=([0-9]+) C=([0-9]+)/\2/')
  [ -n "$scroll" ] || { echo "no width measured at $width px"; exit 1; }
  [ "$scroll" -le "$client" ] || { echo "page overflows at $width px: $scroll > $client"; exit 1; }
done
grep -q '<meta name="viewport"' "$dir/report.html" || { echo "no viewport meta"; exit 1; }
echo "ok: screenshot $size bytes, no console errors, no network requests, no overflow at 390 or 1400 px"
