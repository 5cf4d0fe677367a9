#!/usr/bin/env bash
# `swarmwatch report` as a file, in every format, and the HTML report
# rendered in headless Chromium.
#
# On the known store of tests/unit/test_report.c:
#   1. every format exits 0 and writes --output; JSON is one object with
#      the hand-counted truth (the cut in the middle of the two phases,
#      given as 11:00 Los Angeles time); CSV has a header and one row per
#      title; the table names every title;
#   2. the HTML file loads nothing: no http(s):// reference, no script,
#      link, @import, url() or src= attribute;
#   3. every chart of a title with peers has data points (the marks drawn
#      match its data-points attribute, and it is not 0); the empty title's
#      charts say there is nothing;
#   4. a screenshot in headless Chromium is not blank in any chart's area:
#      each chart of a title with peers shows the seen tier's colour, and
#      the line charts and country bars also the verified tier's.  Chart
#      positions come from the page's own layout (a copy with a script that
#      reports each chart's box, dumped by the same browser at the same
#      window size); the screenshot is of the file itself.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/lib/report_store.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CHROMIUM=${CHROMIUM:-chromium}
WIDTH=1280

make_store "$work/s.db" || exit 1
AS_OF="2014-12-01 11:00 America/Los_Angeles"
for f in table csv json html; do
	"$SWARMWATCH" report --db "$work/s.db" --as-of 2014-12-03T00:00:00Z --format $f \
		--output "$work/r.$f"
	check "--format $f exits 0 and writes --output" test $? -eq 0 -a -s "$work/r.$f"
done
"$SWARMWATCH" report --db "$work/s.db" --as-of "$AS_OF" --format json >"$work/cut.json"
$PY - "$work/cut.json" "$work/r.csv" "$work/r.table" <<'PYEOF' || FAILED=1
import csv, json, sys
cut = json.load(open(sys.argv[1]))
rows = list(csv.reader(open(sys.argv[2], newline="")))
table = open(sys.argv[3]).read()
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond
t = {x["title"]: x for x in cut["titles"]}
check("json: the cut is 19:00 UTC", cut["as_of"] == "2014-12-01T19:00:00Z")
check("json: Fury 7/2/1 as of the cut", t["Fury"]["unique_ips"] == {"seen": 7, "connectable": 2, "verified": 1})
check("json: Annie 3/1/1 as of the cut", t["Annie"]["unique_ips"] == {"seen": 3, "connectable": 1, "verified": 1})
check("csv: header and three rows", rows[0] == ["as_of", "title", "year", "torrents", "seen", "connectable", "verified"] and len(rows) == 4, str(rows))
check("csv: Fury at the end", rows[1][1:] == ["Fury", "2014", "3", "10", "3", "2"], str(rows[1]))
check("table: every title", all(n in table for n in ("Fury (2014)", "Annie (2014)", "Still Alice (2014)")))
sys.exit(0 if ok else 1)
PYEOF

HTML=$work/r.html
check "html: no http(s) references" bash -c "! grep -qiE 'https?://' '$HTML'"
check "html: nothing to load" bash -c "! grep -qiE '<script|<link|@import|url\\(|src=' '$HTML'"

# Layout: a copy that writes each chart's box into the DOM, dumped by Chromium.
sed 's#</body>#<script>var o=[];document.querySelectorAll("svg.chart").forEach(function(e){var r=e.getBoundingClientRect();o.push([r.left+scrollX,r.top+scrollY,r.width,r.height])});var p=document.createElement("pre");p.id="boxes";p.textContent=JSON.stringify({boxes:o,height:document.documentElement.scrollHeight});document.body.appendChild(p);</script></body>#' \
	"$HTML" >"$work/layout.html"
chrome() {
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--no-first-run --disable-extensions --user-data-dir="$work/profile" "$@" 2>>"$work/chromium.log"
}
chrome --window-size=$WIDTH,1000 --dump-dom "file://$work/layout.html" >"$work/layout.dom"
HEIGHT=$($PY -c 'import json,re,sys,html; m=re.search(r"<pre id=\"boxes\">(.*?)</pre>", open(sys.argv[1]).read()); print(json.loads(html.unescape(m.group(1)))["height"])' "$work/layout.dom")
check "chromium laid the page out" test -n "$HEIGHT"
chrome --window-size=$WIDTH,"${HEIGHT:-1000}" --screenshot="$work/shot.png" "file://$HTML" >/dev/null
check "chromium took a screenshot" test -s "$work/shot.png"

$PY - "$HTML" "$work/layout.dom" "$work/shot.png" "$WIDTH" <<'PYEOF' || FAILED=1
import html, json, re, sys
from html.parser import HTMLParser
from PIL import Image
page, dom, shot, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ok = True
def check(name, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok = ok and cond

class Charts(HTMLParser):
    def __init__(self):
        super().__init__(); self.charts = []; self.cur = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and a.get("class") == "chart":
            self.cur = {"kind": a["data-chart"], "title": a["data-title"],
                        "points": int(a["data-points"]), "marks": 0}
            self.charts.append(self.cur)
        elif self.cur is not None and tag == "circle":
            self.cur["marks"] += 1
        elif (self.cur is not None and tag == "rect" and a.get("fill") != "#fff"
              and not (a.get("width") == "12" and a.get("height") == "12")):  # not the legend
            self.cur["marks"] += 1
    def handle_endtag(self, tag):
        if tag == "svg": self.cur = None
p = Charts(); p.feed(open(page).read())
charts = p.charts
boxes = json.loads(html.unescape(re.search(r'<pre id="boxes">(.*?)</pre>', open(dom).read()).group(1)))["boxes"]
check("nine charts, nine boxes", len(charts) == 9 and len(boxes) == 9, "%d charts, %d boxes" % (len(charts), len(boxes)))
img = Image.open(shot).convert("RGB")
SEEN, VERIFIED = (0x4e, 0x79, 0xa7), (0x59, 0xa1, 0x4f)
def near(c, want): return all(abs(a - b) <= 12 for a, b in zip(c, want))
for c, (x, y, w, h) in zip(charts, boxes):
    name = "%s %s" % (c["title"], c["kind"])
    if c["title"] == "Still Alice":
        check(name + ": no data points (the title has no peers)", c["points"] == 0)
        continue
    check(name + ": has data points (%d), each drawn" % c["points"],
          c["points"] > 0 and c["marks"] == c["points"], "%d marks" % c["marks"])
    region = img.crop((int(x) + 2, int(y) + 30, int(x + w) - 2, int(y + h) - 2))
    px = list(region.getdata())
    nonwhite = sum(1 for q in px if q != (255, 255, 255))
    seen = sum(1 for q in px if near(q, SEEN))
    verified = sum(1 for q in px if near(q, VERIFIED))
    check(name + ": not blank in the screenshot (%d of %d pixels drawn)" % (nonwhite, len(px)), nonwhite > 0.01 * len(px))
    check(name + ": the seen tier's colour is drawn (%d px)" % seen, seen >= 20)
    if c["kind"] in ("cumulative", "countries"):
        check(name + ": the verified tier's colour is drawn (%d px)" % verified, verified >= 20)
sys.exit(0 if ok else 1)
PYEOF

exit $FAILED
