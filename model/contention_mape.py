#!/usr/bin/env python3
"""Runtime error of the model's two NoC models against the simulator (model/README.md, 5b).

For every case (layer x dataflow x topology x link bandwidth on a base machine) runs
`metronome simulate`, `metronome model` and `metronome model --noc-model contention`, and prints
the mean absolute percentage error of each model's runtime_cycles against the simulator's, overall
and per topology, bandwidth, dataflow and layer (Markdown). Cases any engine does not finish with
status ok are left out (and counted).

  model/contention_mape.py --suite noc --jobs 2          # configs/validation/noc.yaml's cases
  model/contention_mape.py --suite edge --jobs 2         # the edge-256 set of model/README.md

Hardware variants are the base YAML with `topology` and `link_words_per_cycle` of both networks
replaced (what `noc.topology` / `noc.link_words_per_cycle` of a sweep do), written to --work.
Simulator results are cached in --work/sim_cache.json by case (delete it after the simulator
changes).
"""
import argparse
import concurrent.futures as cf
import itertools
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPOLOGIES = ['bus', 'crossbar', 'tree', 'mesh', 'systolic']
SUITES = {
    # configs/validation/noc.yaml
    'noc': dict(base='mesh-64',
                layers=[('small', 'conv3x3'), ('small', 'pointwise'), ('small', 'strided'),
                        ('mobilenet_v2', 'bneck6_1_dw')],
                dataflows=['kcp_ws', 'rs', 'yxp_os'],
                bandwidths=['1', '2', '4', '8', '16', '32', '64', 'unlimited']),
    'edge': dict(base='edge-256',
                 layers=[('small', 'conv3x3'), ('small', 'strided'), ('small', 'depthwise'),
                         ('small', 'pointwise'), ('small', 'gemm'), ('mobilenet_v2', 'bneck6_1_dw')],
                 dataflows=['kcp_ws', 'ckp_ws', 'rs', 'tpu_ws'],
                 bandwidths=['1', '4', '16', '64']),
}


def variant(base, topology, bandwidth, work):
    text = open(os.path.join(ROOT, 'configs', 'hardware', base + '.yaml')).read()
    text = re.sub(r'topology: [a-z]+', 'topology: ' + topology, text)
    text = re.sub(r'link_words_per_cycle: [0-9a-z.]+', 'link_words_per_cycle: ' + bandwidth, text)
    path = os.path.join(work, f'{base}-{topology}-bw{bandwidth}.yaml')
    with open(path, 'w') as f:
        f.write(text)
    return path


def run(binary, engine, network, layer, dataflow, hw, extra=()):
    cmd = [binary, engine, os.path.join(ROOT, 'configs', 'networks', network + '.m'), '--layer',
           layer, '--dataflow', dataflow, '--hw', hw, '--json', '-', *extra]
    p = subprocess.run(cmd, capture_output=True, text=True)
    try:
        record = json.loads(p.stdout)[0]
    except (ValueError, IndexError):
        return {'status': 'error', 'note': p.stderr.strip()[:200]}
    return {'status': record.get('status'), 'runtime_cycles': record.get('runtime_cycles')}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--suite', choices=sorted(SUITES), default='noc')
    ap.add_argument('--bin', default=os.path.join(ROOT, 'build', 'release', 'cli', 'metronome'))
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--work', default='/tmp/contention_mape')
    ap.add_argument('--rows', action='store_true', help='also list every case, worst first')
    args = ap.parse_args()
    suite = SUITES[args.suite]
    os.makedirs(args.work, exist_ok=True)
    cache_path = os.path.join(args.work, 'sim_cache.json')
    cache = json.load(open(cache_path)) if os.path.exists(cache_path) else {}

    cases = list(itertools.product(suite['layers'], suite['dataflows'], TOPOLOGIES,
                                   suite['bandwidths']))

    def one(case):
        (network, layer), dataflow, topology, bandwidth = case
        hw = variant(suite['base'], topology, bandwidth, args.work)
        key = '|'.join([suite['base'], network, layer, dataflow, topology, bandwidth])
        sim = cache.get(key) or run(args.bin, 'simulate', network, layer, dataflow, hw)
        simple = run(args.bin, 'model', network, layer, dataflow, hw)
        contention = run(args.bin, 'model', network, layer, dataflow, hw,
                         ['--noc-model', 'contention'])
        return key, sim, simple, contention

    rows, skipped = [], 0
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        for key, sim, simple, contention in pool.map(one, cases):
            cache[key] = sim
            if not all(r['status'] == 'ok' for r in (sim, simple, contention)):
                skipped += 1
                continue
            rows.append((key.split('|'), sim['runtime_cycles'], simple['runtime_cycles'],
                         contention['runtime_cycles']))
    with open(cache_path, 'w') as f:
        json.dump(cache, f)

    def mape(select):
        errors = [(abs(s - r) / r, abs(c - r) / r) for k, r, s, c in rows if select(k)]
        if not errors:
            return None
        n = len(errors)
        return n, 100 * sum(e[0] for e in errors) / n, 100 * sum(e[1] for e in errors) / n

    print(f'{len(rows)} cases ({skipped} left out), base {suite["base"]}\n')
    print('| cases | n | default (`simple`) | `contention` |\n|---|---:|---:|---:|')
    n, a, b = mape(lambda k: True)
    print(f'| all | {n} | {a:.1f} % | {b:.1f} % |')
    for name, index, order in [('topology', 4, TOPOLOGIES),
                               ('link_words_per_cycle', 5, suite['bandwidths']),
                               ('dataflow', 3, suite['dataflows']),
                               ('layer', 2, [l for _, l in suite['layers']])]:
        for value in order:
            m = mape(lambda k: k[index] == value)
            if m:
                print(f'| {name} = {value} | {m[0]} | {m[1]:.1f} % | {m[2]:.1f} % |')
    if args.rows:
        print()
        for k, r, s, c in sorted(rows, key=lambda x: -abs(x[3] - x[1]) / x[1]):
            print(f'{"|".join(k):60s} sim {r:9d} simple {s:9d} contention {c:9d}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
