#!/usr/bin/env python3
"""Which directive semantics predicts the simulator's runtime better? (docs/maestro-compat.md, 6)

usage: semantics_vs_sim.py METRONOME OUT_DIR [--timeout SECONDS]

For every case below (layer x dataflow on configs/hardware/maestro-default.yaml) runs, each as
its own process:
    METRONOME model    WORKLOAD --layer L [--dataflow D] --hw maestro-default --semantics exact   --json -
    METRONOME model    WORKLOAD --layer L [--dataflow D] --hw maestro-default --semantics maestro --json -
    METRONOME simulate WORKLOAD --layer L [--dataflow D] --hw maestro-default --unbounded-buffers --json -
(`--unbounded-buffers`: maestro-default has MAESTRO's 100-word L1 and 3000-word L2, which MAESTRO
only warns about and neither model enforces.) Writes OUT_DIR/semantics_vs_sim.csv (one row per
case, every number measured) and prints the Markdown table and the summary of
docs/maestro-compat.md section 6. A simulation that exceeds the timeout (default 60 s) or
fails is listed with its status and left out of the statistics.
"""

import csv
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SMALL = os.path.join(ROOT, "configs", "networks", "small.m")
LAYERS = os.path.join(HERE, "semantics_layers.m")
INPUTS = os.path.join(ROOT, "tests", "data", "maestro_inputs", "mapping")

# (workload, layer, library dataflow or None for the file's own Dataflow block, label)
CASES = []
for layer in ["conv3x3", "strided", "pointwise"]:
    for df in ["kcp_ws", "ckp_ws", "xp_ws", "rs"]:
        CASES.append((SMALL, layer, df, f"small/{layer}"))
CASES.append((SMALL, "depthwise", "xp_ws", "small/depthwise"))
for layer in ["i03", "c10", "c11", "c12"]:
    for df in ["kcp_ws", "ckp_ws", "xp_ws", "rs"]:
        CASES.append((LAYERS, layer, df, layer))
for layer in ["d03", "d06"]:
    CASES.append((LAYERS, layer, "xp_ws", layer))
# MAESTRO's own YX-P blocks (the reference inputs' mapping files) on strided layers, where
# MAESTRO over-counts MACs, and on the stride-1 issue row 4.
for stem in ["c11_yxp_os", "c12_yxp_os", "d06_yxp_os", "i03_yxp_os_shipped3x3"]:
    CASES.append((os.path.join(INPUTS, stem + ".m"), "L", None, stem))


def run(metronome, args, timeout):
    start = time.monotonic()
    try:
        p = subprocess.run([metronome] + args, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"timeout {timeout:g} s", time.monotonic() - start
    wall = time.monotonic() - start
    try:
        record = json.loads(p.stdout)[0]
    except (json.JSONDecodeError, IndexError):
        first = next((l for l in p.stderr.splitlines() if l.startswith("metronome:")), "")
        return None, f"exit {p.returncode}: {first[:160]}", wall
    if record.get("status") != "ok":
        return record, f"{record.get('status')}: {record.get('note', '')[:160]}", wall
    return record, "ok", wall


def err(model, sim):
    return (model - sim) / sim * 100.0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    metronome, out_dir = argv[1], argv[2]
    timeout = float(argv[4]) if len(argv) >= 5 and argv[3] == "--timeout" else 60.0
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for workload, layer, df, label in CASES:
        base = [workload, "--layer", layer, "--hw", "maestro-default"]
        if df:
            base += ["--dataflow", df]
        row = {"case": label, "dataflow": df or "own (MAESTRO yxp_os)"}
        for name, args in [("exact", ["model"] + base + ["--semantics", "exact", "--json", "-"]),
                           ("maestro", ["model"] + base + ["--semantics", "maestro", "--json", "-"]),
                           ("sim", ["simulate"] + base + ["--unbounded-buffers", "--json", "-"])]:
            record, status, wall = run(metronome, args, timeout)
            row[f"{name}_status"] = status
            ok = status == "ok"
            row[f"{name}_runtime"] = record["runtime_cycles"] if ok else ""
            row[f"{name}_macs"] = record["macs"] if ok else ""
            if name == "sim":
                row["sim_wall_seconds"] = f"{wall:.1f}"
        for name in ["exact", "maestro"]:
            ok = row[f"{name}_status"] == "ok" and row["sim_status"] == "ok"
            row[f"{name}_error_percent"] = (
                f"{err(row[f'{name}_runtime'], row['sim_runtime']):+.1f}" if ok else "")
        rows.append(row)
        print(f"{label} x {row['dataflow']}: sim {row['sim_status']} {row['sim_runtime']} "
              f"({row['sim_wall_seconds']} s), exact {row['exact_runtime']} "
              f"{row['exact_error_percent']}, maestro {row['maestro_status']} "
              f"{row['maestro_runtime']} {row['maestro_error_percent']}", file=sys.stderr)

    with open(os.path.join(out_dir, "semantics_vs_sim.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)

    def num(v):
        return f"{v:,}" if isinstance(v, int) else (v or "-")

    print("| layer | dataflow | sim runtime | exact runtime | exact error % | maestro runtime "
          "| maestro error % | MACs sim / exact / maestro | sim wall s |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|")
    for r in rows:
        maestro = num(r["maestro_runtime"]) if r["maestro_status"] == "ok" else \
            "refused" if r["maestro_status"].startswith("exit 2") else r["maestro_status"]
        sim = num(r["sim_runtime"]) if r["sim_status"] == "ok" else r["sim_status"]
        macs = " / ".join(num(r[f"{n}_macs"]) for n in ["sim", "exact", "maestro"])
        print(f"| {r['case']} | {r['dataflow']} | {sim} | {num(r['exact_runtime'])} | "
              f"{r['exact_error_percent'] or '-'} | {maestro} | {r['maestro_error_percent'] or '-'} "
              f"| {macs} | {r['sim_wall_seconds']} |")
    both = [r for r in rows if r["exact_error_percent"] and r["maestro_error_percent"]]

    def stats(group, title):
        if not group:
            return
        def mape(k):
            return sum(abs(float(r[k])) for r in group) / len(group)
        def median(k):
            v = sorted(abs(float(r[k])) for r in group)
            n = len(v)
            return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
        e = [abs(float(r["exact_error_percent"])) for r in group]
        m = [abs(float(r["maestro_error_percent"])) for r in group]
        closer = sum(1 for a, b in zip(e, m) if a < b)
        ties = sum(1 for a, b in zip(e, m) if a == b)
        print(f"{title}: {len(group)} cases; runtime MAPE exact {mape('exact_error_percent'):.1f} %"
              f" (median |error| {median('exact_error_percent'):.1f} %), maestro "
              f"{mape('maestro_error_percent'):.1f} % (median {median('maestro_error_percent'):.1f}"
              f" %); exact closer in {closer}, maestro closer in {len(group) - closer - ties}, "
              f"ties {ties}.")

    print()
    stats(both, "All cases with three runtimes")
    stats([r for r in both if not r["dataflow"].startswith("own")], "Library dataflows")
    stats([r for r in both if r["dataflow"].startswith("own")], "MAESTRO's own YX-P blocks")
    if both:
        mac_agree = sum(1 for r in both if r["sim_macs"] == r["exact_macs"])
        mac_agree_m = sum(1 for r in both if r["sim_macs"] == r["maestro_macs"])
        print(f"MACs equal to the simulator's: exact {mac_agree} of {len(both)}, "
              f"maestro {mac_agree_m} of {len(both)}.")
    exact_only = [r for r in rows if r["exact_error_percent"] and not r["maestro_error_percent"]]
    if exact_only:
        m = sum(abs(float(r["exact_error_percent"])) for r in exact_only) / len(exact_only)
        print(f"{len(exact_only)} more cases that only the exact semantics evaluates "
              f"(MAESTRO refuses them): runtime MAPE exact {m:.1f} %.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
