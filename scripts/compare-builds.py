#!/usr/bin/env python3
"""Do two builds of metronome simulate give the same records?

A simulator change meant to make runs faster must leave every record as it was (timing fields
aside): this runs a fixed set of simulations with both binaries and compares the records field by
field. It also compares the new binary's default runs with its --cycle-exact runs on the
machines of CYCLE_EXACT_MACHINES.

    scripts/compare-builds.py OLD_BIN NEW_BIN [--jobs 2] [--quick] [--keep DIR]

The set: configs/networks/small.m x every library dataflow on every shipped machine and on
variants that reach other paths (an L2 too small to keep the outputs; one too small for some
steps' working sets, run with --unbounded-buffers; no multicast and no in-network reduction on
narrow links; 3 MACs per cycle), plus four MobileNetV2 layers of 65 k to 175 k cycles
on edge-256 (left out by --quick). Exit status: 0 all equal, 1 some record
differs (each difference printed), 2 bad arguments or a run that failed in one binary only.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMING_FIELDS = {"wall_seconds", "sim_cycles_per_second"}

# Hardware variants: (name, base machine, text appended to the base's YAML, which overrides its
# keys). Flow-style maps replace the whole map, so each override restates it.
VARIANTS = [
    ("edge-256-small-l2", "edge-256",
     "l2: { bytes: 1024, banks: 16, words_per_bank_per_cycle: 2 }\n"),
    ("edge-256-tiny-l2", "edge-256",  # run with --unbounded-buffers: some steps do not fit
     "l2: { bytes: 512, banks: 16, words_per_bank_per_cycle: 2 }\n"),
    ("edge-256-unicast", "edge-256",
     "noc:\n"
     "  distribution: { topology: tree, link_words_per_cycle: 4, hop_latency: 1,"
     " multicast: false }\n"
     "  reduction:    { topology: tree, link_words_per_cycle: 4, hop_latency: 2,"
     " in_network: false }\n"),
    ("mesh-64-3macs", "mesh-64", None),  # pe.macs_per_cycle set to 3 below
]
MACHINES = ["ideal", "edge-256", "mesh-64", "systolic-16x16", "bus-64", "maestro-default"]
CYCLE_EXACT_MACHINES = ["edge-256", "mesh-64", "edge-256-unicast", "mesh-64-3macs"]
MID_LAYERS = ["bneck4_1_dw", "bneck4_2_dw", "bneck6_1_dw", "bneck4_1_project"]


def make_variants(directory):
    """Writes the variant machines into `directory`; returns {name: path}."""
    paths = {m: str(ROOT / "configs" / "hardware" / f"{m}.yaml") for m in MACHINES}
    for name, base, extra in VARIANTS:
        text = (ROOT / "configs" / "hardware" / f"{base}.yaml").read_text()
        lines = [l for l in text.splitlines() if not l.startswith("name:")]
        if name == "mesh-64-3macs":
            lines = [l.replace("macs_per_cycle: 1", "macs_per_cycle: 3") for l in lines]
        if extra:
            keys = {e.split(":")[0] for e in extra.splitlines() if not e.startswith(" ")}
            kept, skipping = [], False
            for l in lines:  # drop the base's blocks that the override restates
                top = l.split(":")[0] if l and not l.startswith((" ", "#")) else None
                if top is not None:
                    skipping = top in keys
                if not skipping:
                    kept.append(l)
            lines = kept + extra.splitlines()
        path = Path(directory) / f"{name}.yaml"
        path.write_text(f"name: {name}\n" + "\n".join(lines) + "\n")
        paths[name] = str(path)
    return paths


def cases(machines, quick):
    """(label, arguments after `metronome simulate`) of every run."""
    small = str(ROOT / "configs" / "networks" / "small.m")
    out = []
    for name, path in machines.items():
        extra = ["--unbounded-buffers"] if name == "edge-256-tiny-l2" else []
        out.append((f"small.m on {name}", [small, "--dataflow", "all", "--hw", path] + extra))
        if name in CYCLE_EXACT_MACHINES:
            out.append((f"small.m on {name} --cycle-exact",
                        [small, "--dataflow", "all", "--hw", path, "--cycle-exact"] + extra))
    if not quick:
        mnv2 = str(ROOT / "configs" / "networks" / "mobilenet_v2.m")
        for layer in MID_LAYERS:
            out.append((f"mobilenet_v2/{layer} on edge-256",
                        [mnv2, "--layer", layer, "--dataflow", "all", "--hw",
                         machines["edge-256"]]))
    return out


def run(binary, args, directory, tag):
    """The records of one run (a list), or the run's stderr (a str) when it failed."""
    out = Path(directory) / f"{tag}.json"
    p = subprocess.run([binary, "simulate", *args, "--json", str(out)], capture_output=True,
                       text=True)
    if p.returncode != 0 or not out.exists():
        return f"exit {p.returncode}: {p.stderr.strip()[-400:]}"
    return json.loads(out.read_text())


def strip(record):
    return {k: v for k, v in record.items() if k not in TIMING_FIELDS}


def differences(label, old, new):
    """Lines describing how two runs' records differ (none when equal)."""
    if isinstance(old, str) or isinstance(new, str):
        if isinstance(old, str) and isinstance(new, str):
            return [] if old == new else [f"{label}: both failed, differently: {old} / {new}"]
        return [f"{label}: one binary failed: old {old if isinstance(old, str) else 'ok'}; "
                f"new {new if isinstance(new, str) else 'ok'}"]
    lines = []
    if len(old) != len(new):
        return [f"{label}: {len(old)} records, then {len(new)}"]
    for a, b in zip(old, new):
        a, b = strip(a), strip(b)
        if a == b:
            continue
        key = f"{a.get('layer')} x {a.get('dataflow')}"
        fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        for k in fields[:6]:
            lines.append(f"{label}: {key}: {k}: {json.dumps(a.get(k))[:160]} -> "
                         f"{json.dumps(b.get(k))[:160]}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", help="metronome binary of the base commit")
    parser.add_argument("new", help="metronome binary of the change")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--quick", action="store_true", help="small.m only")
    parser.add_argument("--keep", help="write the records into this directory and keep them")
    opts = parser.parse_args()
    for b in (opts.old, opts.new):
        if not os.access(b, os.X_OK):
            print(f"compare-builds: {b}: not an executable file (expected a metronome binary)",
                  file=sys.stderr)
            return 2

    with tempfile.TemporaryDirectory() as tmp:
        directory = opts.keep or tmp
        os.makedirs(directory, exist_ok=True)
        machines = make_variants(directory)
        runs = cases(machines, opts.quick)
        jobs = []
        for i, (label, args) in enumerate(runs):
            jobs.append((label, "old", opts.old, args, f"{i}-old"))
            jobs.append((label, "new", opts.new, args, f"{i}-new"))
        with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
            results = list(pool.map(lambda j: run(j[2], j[3], directory, j[4]), jobs))
        by_label = {}
        for (label, which, *_), result in zip(jobs, results):
            by_label.setdefault(label, {})[which] = result
        lines, records, failed_both = [], 0, 0
        for label, _ in runs:
            old, new = by_label[label]["old"], by_label[label]["new"]
            lines += differences(label, old, new)
            records += len(old) if isinstance(old, list) else 0
            failed_both += 1 if isinstance(old, str) and isinstance(new, str) else 0
            if label.endswith("--cycle-exact"):  # the new build: default vs --cycle-exact
                base = by_label[label.removesuffix(" --cycle-exact")]["new"]
                lines += differences(f"{label} vs default", base, new)
        for line in lines:
            print(line)
        print(f"compare-builds: {len(runs)} runs, {records} records per binary, "
              f"{failed_both} runs refused by both, {len(lines)} differences")
        if any("one binary failed" in l for l in lines):
            return 2
        return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
