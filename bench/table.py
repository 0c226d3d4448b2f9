"""The README's results table from the benches' JSON lines.

    .venv/bin/python bench/table.py bench/results/surge.json bench/results/fanout.json bench/results/delivery.json

Each file holds the one JSON line a bench printed; prints a Markdown table (figure, reference, ratio,
target, met?).
"""
from __future__ import annotations

import json
import sys


def rows_surge(d: dict):
    for path, row in d["paths"].items():
        for mode, label in (("hit", "cache hit"), ("not_modified", "If-None-Match (304)")):
            r = row[mode]
            target = "≥ 0.8" if mode == "hit" else "(info)"
            met = _yes(r["ratio"] >= 0.8) if mode == "hit" else ""
            yield (f"surge `{path}` {label}: req/s", f"{r['app']['rps']:.0f}", f"{r['reference']['rps']:.0f}",
                   f"{r['ratio']:.2f}", target, met)
            yield (f"surge `{path}` {label}: p99 ms (200 conn.)", f"{r['app']['p99_ms']}",
                   f"{r['reference']['p99_ms']}", _ratio(r['app']['p99_ms'], r['reference']['p99_ms']), "≤ 50 ms",
                   _yes(r["app"]["p99_ms"] <= 50))
    f = d["freshness"]
    seen = f["visible_after_seconds"]
    yield ("surge: admin update visible on `/` / summary.json, s", " / ".join(str(seen.get(p, "never"))
           for p in ("/", "/api/v2/summary.json")), "30 (promise)", "", "≤ 30 s",
           _yes(len(seen) == 2 and max(seen.values()) <= 30))
    bg = d.get("during_fanout") or {}
    for path, r in (bg.get("paths") or {}).items():
        yield (f"surge during {bg['audience']:,}-subscriber delivery `{path}`: req/s", f"{r['app']['rps']:.0f}",
               f"{r['reference']['rps']:.0f}", f"{r['ratio']:.2f}", "≥ 0.8", _yes(r["ratio"] >= 0.8))
        yield (f"surge during delivery `{path}`: p99 ms", f"{r['app']['p99_ms']}", f"{r['reference']['p99_ms']}",
               _ratio(r['app']['p99_ms'], r['reference']['p99_ms']), "≤ 50 ms", _yes(r["app"]["p99_ms"] <= 50))
    if bg.get("paths"):
        yield ("surge: background delivery rate while loaded, msg/s", f"{bg['delivery_rate_per_s']}", "", "",
               "(info)", "")


def rows_fanout(d: dict):
    for db in ("postgresql", "sqlite"):
        r = d[db]
        for scen, label in (("big_tenant", "one large tenant"), ("everyone", "everyone")):
            s = r[scen]
            yield (f"fan-out {db} {r['subscribers']:,} subs, {label} ({s['rows']:,} rows): POST → all rows, s",
                   f"{s['post_to_rows_seconds']}", f"{s['floor_seconds']}", f"{s['ratio_to_floor']:.2f}", "≤ 1.5",
                   _yes(s["ratio_to_floor"] <= 1.5))
            yield (f"fan-out {db} {label}: admin request latency, s", f"{s['request_seconds']}", "", "", "< 2 s",
                   _yes(s["request_seconds"] < 2))
            if db == "postgresql":
                yield (f"fan-out {db} {label}: peak RSS of the process, MB", f"{s['peak_rss_mb']}",
                       f"{s['rss_after_start_mb']} (after start)", "", "≤ 300 MB, flat", _yes(s["peak_rss_mb"] <= 300))


def rows_delivery(d: dict):
    e = d.get("email")
    if e:
        ref = e["reference_msgs_per_s"]
        for label, r in e["workers"].items():
            how = "" if r.get("pipelining", True) else ", no PIPELINING"
            yield (f"email, {r.get('workers', label)} worker(s){how}, {e['messages']:,} msgs: msg/s",
                   f"{r['msgs_per_s']}", f"{ref} (smtplib, 1 conn.)", f"{r['ratio_per_worker']:.2f} per worker",
                   "≥ 0.8 per worker" if how == "" else "(info)", _yes(r["ratio_per_worker"] >= 0.8) if not how else "")
        top = e["workers"].get("2")
        if top:
            yield ("email scaling, 2 workers vs 1", f"{top['scaling_vs_1']}×", "2× (cores)",
                   f"{top['scaling_vs_1'] / 2:.2f}", "≥ 1.6×", _yes(top["scaling_vs_1"] >= 1.6))
    for name, w in (d.get("wall") or {}).items():
        ref = w.get("reference_bare_loop_s")
        yield (f"{w['emails']:,} emails, Post → SMTP acceptance of the last, {name} ({w['workers']}), s",
               f"{w['post_to_last_acceptance_s']}", f"{ref} (bare loop)" if ref else "", "",
               "≤ 120 s", _yes(w["accepted"] >= w["emails"] and w["post_to_last_acceptance_s"] <= 120))
    sms_runs = d.get("sms") or {}
    if "rate_per_s" in sms_runs:  # the older single-rate shape
        sms_runs = {str(sms_runs["rate_ceiling"]): sms_runs}
    for rate, s in sms_runs.items():
        if "rate_per_s" not in s:
            continue
        yield (f"SMS at {rate}/s, {s['celery_worker_processes']} Celery workers, {s['messages']:,} msgs: "
               "max in any 1-s window", f"{s['max_in_any_sliding_1s_window']}", f"{s['rate_ceiling']} (ceiling)",
               f"{s['max_in_any_sliding_1s_window'] / s['rate_ceiling']:.2f}", "≤ ceiling",
               _yes(s["max_in_any_sliding_1s_window"] <= s["rate_ceiling"]))
        yield (f"SMS at {rate}/s: steady rate, msg/s", f"{s['rate_per_s']}", f"{s['rate_ceiling']} (ceiling)",
               f"{s['rate_per_s'] / s['rate_ceiling']:.2f}", "≥ 0.95", _yes(s["rate_per_s"] >= 0.95 * s["rate_ceiling"]))
    c = d.get("claim_noop")
    if c:
        for db, r in c.items():
            yield (f"claim + record, no-op channel, {db}: rows/s", f"{r['rows_per_s']}", "", "", "(engine ceiling)", "")


def _ratio(a, b) -> str:
    return f"{a / b:.2f}" if b else ""


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main() -> None:
    print("| figure | measured | reference | ratio | target | met? |")
    print("|---|---|---|---|---|---|")
    for path in sys.argv[1:]:
        d = json.loads(open(path).read().strip().splitlines()[-1])
        rows = {"surge": rows_surge, "fanout": rows_fanout, "delivery": rows_delivery}[d["bench"]](d)
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print(f"| *{d['bench']}: run {d['date']}, load average {d['loadavg_start'][0]} → {d['loadavg_end'][0]} "
              f"on {d['cores']} cores* | | | | | |")


if __name__ == "__main__":
    main()
