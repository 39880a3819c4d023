"""The chart of bench/compare.sh, drawn as SVG by hand (no plotting dependency).

    compare_chart.write(rows, "bench/compare.svg", title)
    /usr/bin/python3 bench/python/compare_chart.py bench/RESULTS-compare.json bench/compare.svg   (redraw)

One group of horizontal bars per case and thread count, one bar per peer: its median time per call,
scaled to the slowest figure of the group (cases differ by three orders of magnitude, so each group has
its own scale); a thin line with end ticks spans the min–max of the measured iterations, and the bar is
labelled with its median in ms and, for the peers, vecnet's time relative to it.
"""

import json
import sys
from xml.sax.saxutils import escape

COLORS = {"vecnet": "#e8590c", "PyTorch": "#1971c2", "ONNX Runtime": "#2f9e44"}
LABEL_W, BAR_W, RIGHT_W = 250, 470, 180
BAR_H, BAR_GAP, GROUP_GAP, TOP = 13, 3, 16, 70


def fmt(ms):
    return "%.3g" % ms if ms < 100 else "%.0f" % ms


def write(rows, path, title):
    width = LABEL_W + BAR_W + RIGHT_W
    y = TOP
    out = []
    for row in rows:
        peers = [(name, s) for name, s in row["peers"].items()]
        scale = max(s["max"] for _, s in peers) or 1.0
        group_h = len(peers) * (BAR_H + BAR_GAP) - BAR_GAP
        out.append('<text x="%d" y="%.1f" text-anchor="end" class="case">%s</text>'
                   % (LABEL_W - 10, y + group_h / 2 - 2, escape(row["label"])))
        out.append('<text x="%d" y="%.1f" text-anchor="end" class="sub">%d thread%s</text>'
                   % (LABEL_W - 10, y + group_h / 2 + 11, row["threads"], "" if row["threads"] == 1 else "s"))
        vec = row["peers"].get("vecnet")
        for name, s in peers:
            w = BAR_W * s["median"] / scale
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: median %s ms, min %s, max %s'
                       ' (%d iterations)</title></rect>' % (LABEL_W, y, w, BAR_H, COLORS.get(name, "#868e96"),
                                                           escape(name), fmt(s["median"]), fmt(s["min"]), fmt(s["max"]), s["n"]))
            x0, x1, ym = LABEL_W + BAR_W * s["min"] / scale, LABEL_W + BAR_W * s["max"] / scale, y + BAR_H / 2
            out.append('<path d="M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f" class="whisker"/>'
                       % (x0, ym, x1, x0, ym - 3, ym + 3, x1, ym - 3, ym + 3))
            note = "%s ms" % fmt(s["median"])
            if name != "vecnet" and vec:
                note += "  (vecnet ×%.2f)" % (vec["median"] / s["median"])
            out.append('<text x="%.1f" y="%d" class="val">%s</text>' % (max(w, x1 - LABEL_W) + LABEL_W + 6, y + BAR_H - 2,
                                                                         escape(note)))
            y += BAR_H + BAR_GAP
        y += GROUP_GAP - BAR_GAP
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="sep"/>' % (20, width - 20, y - GROUP_GAP / 2,
                                                                             y - GROUP_GAP / 2))
    height = y + 30
    legend = []
    x = LABEL_W
    for name, color in COLORS.items():
        legend.append('<rect x="%d" y="38" width="12" height="12" fill="%s"/><text x="%d" y="48" class="val">%s</text>'
                      % (x, color, x + 16, escape(name)))
        x += 130
    head = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">'
            % (width, height, width, height),
            '<style>.case{font-size:13px;fill:#212529}.sub{font-size:11px;fill:#495057}.val{font-size:11px;fill:#212529}'
            '.whisker{stroke:#212529;stroke-width:1;fill:none}.sep{stroke:#dee2e6;stroke-width:1}'
            '.title{font-size:15px;font-weight:bold;fill:#212529}.foot{font-size:10px;fill:#495057}</style>',
            '<rect width="100%" height="100%" fill="white"/>',
            '<text x="20" y="24" class="title">%s</text>' % escape(title)]
    foot = ['<text x="20" y="%d" class="foot">Bars: median time per call, each group on its own scale;'
            ' lines: min–max of the measured iterations; vecnet ×r: vecnet takes r times that peer\'s time.</text>'
            % (height - 12), "</svg>"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(head + legend + out + foot) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: compare_chart.py RESULTS.json OUT.svg")
    with open(sys.argv[1]) as f:
        data = json.load(f)
    write(data["rows"], sys.argv[2], "vecnet vs PyTorch vs ONNX Runtime — median ms, shorter is faster")
