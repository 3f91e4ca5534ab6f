#!/usr/bin/env python3
"""Contention curves of a `metronome sweep` run (validation/README.md, "Sweeps and the NoC study").

usage: plot_sweep.py OUT_DIR

Reads OUT_DIR/sweep.csv (one row per job) and OUT_DIR/knees.csv (one row per curve, with the
knees metronome computed) and writes one figure per layer x dataflow x base hardware (x any
other varied field), OUT_DIR/contention_<figure>.png: runtime (cycles) against the bandwidth
field of the sweep (words per cycle, log2 axis, `unlimited` drawn right of the largest value),
the simulator as solid lines and the model as dashed lines, one colour per series (e.g.
topology; earlier series drawn wider, so that coinciding curves stay visible), and each
simulator knee marked with a star and a dotted vertical line.

Needs matplotlib (Debian: python3-matplotlib). Exits 0 with a message when the sweep varies no
bandwidth field (there are no curves then).
"""

import csv
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator  # noqa: E402


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def number(text):
    """A bandwidth: float, math.inf for `unlimited`, None for an empty cell."""
    if text is None or text == "":
        return None
    if text == "unlimited":
        return math.inf
    return float(text)


def runtime(text):
    return float(text) if text not in (None, "") else None


def safe_name(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:150]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: plot_sweep.py OUT_DIR\n")
        return 2
    out_dir = argv[1]
    rows = read_csv(os.path.join(out_dir, "sweep.csv"))
    knees = read_csv(os.path.join(out_dir, "knees.csv"))
    rows = [r for r in rows if r.get("axis_field")]
    if not rows:
        print("plot_sweep.py: no bandwidth field varied: no contention curves")
        return 0
    axis_field = rows[0]["axis_field"]

    finite = sorted({number(r["axis_value"]) for r in rows} - {math.inf, None})
    largest = finite[-1] if finite else 1.0
    unlimited_x = largest * 2  # one log2 step right of the largest bandwidth

    def x_of(b):
        return unlimited_x if b == math.inf else b

    figures = {}
    for r in rows:
        figures.setdefault(r["figure"], {}).setdefault(r["series"], []).append(r)
    knee_of = {(k["figure"], k["series"]): number(k["sim_knee"]) for k in knees}

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    written = 0
    for figure, series in figures.items():
        fig, ax = plt.subplots(figsize=(7.5, 4.8))
        all_y = []
        n = len(series)
        for i, (name, points) in enumerate(series.items()):
            colour = colours[i % len(colours)]
            # Earlier series are drawn wider, so that curves that coincide stay visible.
            width = 1.0 + 3.0 * (n - 1 - i) / max(n - 1, 1)
            label = name.split("=", 1)[1] if "=" in name else (name or "all")
            points = sorted(points, key=lambda r: x_of(number(r["axis_value"])))
            for engine, style, marker in (("sim", "-", "o"), ("model", "--", "x")):
                xs, ys = [], []
                for r in points:
                    y = runtime(r["%s_runtime_cycles" % engine])
                    if y is None:
                        continue
                    xs.append(x_of(number(r["axis_value"])))
                    ys.append(y)
                all_y += ys
                if xs:
                    ax.plot(xs, ys, style, marker=marker, color=colour, linewidth=width,
                            markersize=3 + width, alpha=0.85, label="%s %s" % (label, engine))
            knee = knee_of.get((figure, name))
            if knee is not None:
                kx = x_of(knee)
                ky = None
                for r in points:
                    if number(r["axis_value"]) == knee:
                        ky = runtime(r["sim_runtime_cycles"])
                ax.axvline(kx, color=colour, linestyle=":", linewidth=1)
                if ky is not None:
                    ax.plot([kx], [ky], marker="*", markersize=13, color=colour,
                            markeredgecolor="black", linestyle="none")
        if _old_matplotlib():
            ax.set_xscale("log", basex=2)
        else:
            ax.set_xscale("log", base=2)
        ticks = finite + [unlimited_x]
        ax.set_xticks(ticks)
        ax.set_xticklabels(["%g" % t for t in finite] + ["unlimited"])
        ax.xaxis.set_minor_locator(NullLocator())
        positive = [y for y in all_y if y > 0]
        if positive and max(positive) / min(positive) > 4:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: "{:,.0f}".format(y)))
        ax.set_xlabel("%s (words per cycle per link)" % axis_field)
        ax.set_ylabel("runtime (cycles)")
        ax.set_title(figure, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], marker="*", color="grey", markeredgecolor="black",
                              markersize=11, linestyle=":"))
        labels.append("knee (sim within 5 % of unlimited)")
        ax.legend(handles, labels, fontsize=7, ncol=2, loc="best")
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "contention_%s.png" % safe_name(figure)), dpi=110)
        plt.close(fig)
        written += 1
    print("plot_sweep.py: %d contention figures in %s" % (written, out_dir))
    return 0


def _old_matplotlib():
    """matplotlib < 3.3 names the log base `basex`."""
    version = tuple(int(p) for p in re.findall(r"\d+", matplotlib.__version__)[:2])
    return version < (3, 3)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
