#!/usr/bin/env python3
"""Compares two `metronome validate` output directories, e.g. a merge of shards against an
unsharded run of the same suite, the way tests/validation compares shard merges
(ValidateCli.MergedShardsGiveTheUnshardedReport): report.md and results.csv must be identical,
every record exactly once. Because the tests here run the real simulator, the timing fields of
its records (wall_seconds, sim_cycles_per_second) differ from run to run and are left out.

  compare_outputs.py REFERENCE_DIR OTHER_DIR

Compares:
  report.md      byte for byte
  results.csv    row by row, without the timing columns
  results.jsonl  per (layer, dataflow, hardware, engine, variant): every key exactly once in each
                 directory, and the records equal without the timing fields (the lines may come
                 in any order: an unsharded run appends them as the simulations finish)
  manifest.json  suite, suite_identity, engines, jobs_total, jobs (not shard or suite_file)

Exit status 0 when equal, 1 with the differences on stdout, 2 when a file is missing/unreadable.
"""

import csv
import difflib
import json
import sys
from collections import Counter
from pathlib import Path

TIMING_FIELDS = ("wall_seconds", "sim_cycles_per_second")
MANIFEST_FIELDS = ("suite", "suite_identity", "engines", "model_variants", "jobs_total", "jobs")


def read(path):
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        print(f"compare_outputs: {path}: {e.strerror}")
        sys.exit(2)


def records(directory):
    """(key -> record without timing fields, Counter of keys) of results.jsonl."""
    by_key, counts = {}, Counter()
    path = directory / "results.jsonl"
    for n, line in enumerate(read(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"compare_outputs: {path}:{n}: not JSON: {e}")
            sys.exit(2)
        key = (r.get("layer"), r.get("dataflow"), r.get("hardware"), r.get("engine"),
               r.get("semantics"), r.get("noc_model"))  # a model record per variant
        counts[key] += 1
        by_key[key] = {k: v for k, v in r.items() if k not in TIMING_FIELDS}
    return by_key, counts


def csv_rows(directory):
    rows = list(csv.reader(read(directory / "results.csv").splitlines()))
    if not rows:
        return []
    keep = [i for i, name in enumerate(rows[0]) if name not in TIMING_FIELDS]
    return [[row[i] if i < len(row) else None for i in keep] for row in rows]


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    ref, other = Path(sys.argv[1]), Path(sys.argv[2])
    problems = []

    a, b = read(ref / "report.md"), read(other / "report.md")
    if a != b:
        diff = list(difflib.unified_diff(a.splitlines(), b.splitlines(), str(ref / "report.md"),
                                         str(other / "report.md"), lineterm="", n=1))
        problems.append("report.md differs:\n  " + "\n  ".join(diff[:40]))

    ra, rb = csv_rows(ref), csv_rows(other)
    if ra != rb:
        where = next((i for i, (x, y) in enumerate(zip(ra, rb)) if x != y), min(len(ra), len(rb)))
        problems.append(f"results.csv differs (without timing columns): {len(ra)} vs {len(rb)} "
                        f"lines, first difference on line {where + 1}")

    (ka, ca), (kb, cb) = records(ref), records(other)
    for name, counts in ((ref, ca), (other, cb)):
        twice = sorted(k for k, n in counts.items() if n != 1)
        if twice:
            problems.append(f"{name}/results.jsonl: {len(twice)} records appear more than once, "
                            f"e.g. {twice[0]}")
    only_a, only_b = sorted(set(ka) - set(kb)), sorted(set(kb) - set(ka))
    if only_a:
        problems.append(f"{len(only_a)} records only in {ref}, e.g. {only_a[0]}")
    if only_b:
        problems.append(f"{len(only_b)} records only in {other}, e.g. {only_b[0]}")
    differing = sorted(k for k in set(ka) & set(kb) if ka[k] != kb[k])
    for k in differing[:5]:
        fields = sorted(f for f in set(ka[k]) | set(kb[k]) if ka[k].get(f) != kb[k].get(f))
        problems.append(f"record {k} differs in {', '.join(fields)}")

    ma, mb = json.loads(read(ref / "manifest.json")), json.loads(read(other / "manifest.json"))
    for f in MANIFEST_FIELDS:
        if ma.get(f) != mb.get(f):
            problems.append(f"manifest.json: {f} differs: {ma.get(f)!r} vs {mb.get(f)!r}")

    if problems:
        print(f"compare_outputs: {other} differs from {ref}:")
        for p in problems:
            print("- " + p)
        return 1
    print(f"compare_outputs: {other} equals {ref}: report.md, results.csv, {len(ka)} records "
          f"(timing fields {', '.join(TIMING_FIELDS)} left out), manifest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
