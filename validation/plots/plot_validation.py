#!/usr/bin/env python3
"""Plots of a `metronome validate` run (validation/README.md, "Plots").

usage: plot_validation.py RESULTS.jsonl OUT_DIR [--model-variant NAME]

Reads the records of results.jsonl (a truncated last line is ignored), pairs the model's and
the simulator's record of each job (layer, dataflow, hardware) where both have status "ok",
and writes to OUT_DIR (with several model variants in the results, the model records of
NAME, e.g. exact/contention; default exact/simple):

  runtime_model_vs_sim.png  log-log scatter of model vs simulated runtime (cycles), one colour
                            per dataflow, with the line y = x and a +-5 % band
  error_by_dataflow.png     runtime error (model - sim) / sim in %, per dataflow: box plot with
                            every job as a point, and the MAPE of each dataflow

Needs matplotlib (Debian: python3-matplotlib). Plots are written even without pairs (they
then say so), so a run always leaves the same files.
"""

import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_records(path):
    records = []
    with open(path, "rb") as f:
        data = f.read().decode("utf-8", errors="replace")
    lines = data.split("\n")
    if lines and lines[-1] != "":
        lines = lines[:-1]  # no trailing newline: a truncated last record
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def variant_of(record):
    """A model record's variant name (validation/README.md, "Model variants")."""
    if record.get("semantics") == "maestro":
        return "maestro"
    return "exact/" + (record.get("noc_model") or "simple")


def pairs_of(records, variant="exact/simple"):
    """[(dataflow, hardware, layer, model_runtime, sim_runtime)] for jobs with both records ok."""
    by_key = {}
    for r in records:
        if r.get("engine") == "model" and variant_of(r) != variant:
            continue
        key = (r.get("layer"), r.get("dataflow"), r.get("hardware"))
        by_key.setdefault(key, {})[r.get("engine")] = r
    pairs = []
    for (layer, dataflow, hardware), engines in sorted(by_key.items(), key=lambda kv: str(kv[0])):
        model, sim = engines.get("model"), engines.get("sim")
        if not model or not sim or model.get("status") != "ok" or sim.get("status") != "ok":
            continue
        m, s = model.get("runtime_cycles"), sim.get("runtime_cycles")
        if m is None or s is None:
            continue
        pairs.append((dataflow, hardware, layer, float(m), float(s)))
    return pairs


def no_data(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=11)


def plot_scatter(pairs, path):
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.set_xlabel("simulated runtime (cycles)")
    ax.set_ylabel("model runtime (cycles)")
    ax.set_title("Runtime: analytical model vs cycle-level simulator")
    positive = [p for p in pairs if p[3] > 0 and p[4] > 0]
    if not positive:
        no_data(ax, "no jobs with ok records from both engines")
    else:
        ax.set_xscale("log")
        ax.set_yscale("log")
        dataflows = sorted({p[0] for p in positive})
        cmap = plt.get_cmap("tab10")
        for i, df in enumerate(dataflows):
            xs = [p[4] for p in positive if p[0] == df]
            ys = [p[3] for p in positive if p[0] == df]
            ax.scatter(xs, ys, s=22, alpha=0.8, color=cmap(i % 10), label=df)
        lo = min(min(p[3], p[4]) for p in positive) / 1.5
        hi = max(max(p[3], p[4]) for p in positive) * 1.5
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=1, label="y = x")
        ax.fill_between([lo, hi], [lo * 0.95, hi * 0.95], [lo * 1.05, hi * 1.05], color="grey",
                        alpha=0.2, label="±5 %")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.legend(title="dataflow", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_errors(pairs, path):
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.set_xlabel("dataflow")
    ax.set_ylabel("runtime error (model − sim) / sim (%)")
    ax.set_title("Runtime error of the model, per dataflow")
    errors = {}
    for df, _hw, _layer, m, s in pairs:
        if s > 0:
            errors.setdefault(df, []).append((m - s) / s * 100.0)
    if not errors:
        no_data(ax, "no jobs with ok records from both engines")
    else:
        dataflows = sorted(errors)
        data = [errors[df] for df in dataflows]
        ax.boxplot(data, showfliers=False)
        for i, values in enumerate(data, start=1):
            n = len(values)
            xs = [i + (0.3 * (j / max(n - 1, 1)) - 0.15 if n > 1 else 0) for j in range(n)]
            ax.scatter(xs, values, s=10, alpha=0.6, color="tab:blue")
        labels = []
        for df, values in zip(dataflows, data):
            mape = sum(abs(v) for v in values) / len(values)
            labels.append(f"{df}\nMAPE {mape:.1f} %\n(n = {len(values)})")
        ax.set_xticks(range(1, len(dataflows) + 1))
        ax.set_xticklabels(labels, fontsize=8)
        ax.axhline(0, color="black", linewidth=1)
        for y in (-5, 5):
            ax.axhline(y, color="grey", linewidth=0.8, linestyle="--")
        if all(math.isfinite(v) for vs in data for v in vs):
            ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv):
    variant = "exact/simple"
    if len(argv) == 5 and argv[3] == "--model-variant":
        variant = argv[4]
    elif len(argv) != 3:
        print("usage: plot_validation.py RESULTS.jsonl OUT_DIR [--model-variant NAME]",
              file=sys.stderr)
        return 2
    results, out_dir = argv[1], argv[2]
    if not os.path.isfile(results):
        print(f"plot_validation.py: {results}: no such file", file=sys.stderr)
        return 2
    os.makedirs(out_dir, exist_ok=True)
    pairs = pairs_of(read_records(results), variant)
    plot_scatter(pairs, os.path.join(out_dir, "runtime_model_vs_sim.png"))
    plot_errors(pairs, os.path.join(out_dir, "error_by_dataflow.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
