#!/usr/bin/python3
"""Markdown tables from the JMH JSON files that bench/run-all.sh writes into bench/results-raw/.

    python3 bench/python/results_table.py [bench/results-raw]

For GemmBenchmark it adds GFLOP/s = 2·M·N·K / time; with -prof gc, the allocation per operation.
Only the standard library: any python3 runs it.
"""
import glob
import json
import os
import sys


def rows(path):
    with open(path) as f:
        for r in json.load(f):
            params = r.get("params", {})
            m = r["primaryMetric"]
            alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
            yield r["benchmark"].split(".")[-2:], params, m["score"], m["scoreError"], m["scoreUnit"], alloc


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "bench/results-raw"
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        name = os.path.basename(path)[:-5]
        try:
            list(rows(path))
        except (ValueError, KeyError):
            print("### %s: no complete result\n" % name)
            continue
        print("### " + name + "\n")
        print("| benchmark | params | score | ± | unit | extra |")
        print("|---|---|---|---|---|---|")
        for (cls, method), params, score, err, unit, alloc in rows(path):
            extra = ""
            if cls == "GemmBenchmark" and "shape" in params:
                m, n, k = (int(v) for v in params["shape"].split("x"))
                seconds = score / 1000.0 if unit == "ms/op" else score / 1e6
                extra = "%.1f GFLOP/s" % (2.0 * m * n * k / seconds / 1e9)
            if alloc is not None:
                extra = (extra + "; " if extra else "") + "%.1f MB/op allocated" % (alloc / 1e6)
            p = ", ".join("%s=%s" % kv for kv in sorted(params.items()))
            print("| %s.%s | %s | %.3f | %.3f | %s | %s |" % (cls, method, p, score, err, unit, extra))
        print()


if __name__ == "__main__":
    main()
