#!/usr/bin/env bash
# Submits `metronome validate` to Slurm: a job array of SHARDS shards (validate.sbatch), then
# the merge job (--dependency=afterok:<array job>), and prints both job ids.
#
#   validation/cluster/submit.sh SUITE.yaml OUT [SHARDS] [-- SBATCH_OPTIONS...]
#
# SHARDS defaults to 8. SBATCH_OPTIONS (e.g. --partition=p --time=2:00:00 --cpus-per-task=4)
# go to both sbatch commands; do not pass --array (SHARDS sets it). The merge job writes its
# log to OUT/merge-JOBID.out whatever --output says (that is for the shards). Output:
#   array job 1234 (8 shards), merge job 1235
# See validation/cluster/README.md.
set -euo pipefail

die() {
  echo "submit.sh: $*" >&2
  exit 2
}
usage="usage: submit.sh SUITE.yaml OUT [SHARDS] [-- SBATCH_OPTIONS...]"

args=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  case "$1" in
    -h | --help) echo "$usage"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
[ "${1:-}" = -- ] && shift
sbatch_options=("$@")
if [ ${#args[@]} -lt 2 ] || [ ${#args[@]} -gt 3 ]; then die "$usage"; fi
suite=${args[0]}
out=${args[1]}
shards=${args[2]:-8}
case "$shards" in '' | *[!0-9]* | 0*) die "SHARDS: '$shards' is not a whole number >= 1" ;; esac
[ -f "$suite" ] || die "$suite: no such suite file"
command -v sbatch >/dev/null 2>&1 || die "sbatch not found: run this on a Slurm login node"
for o in "${sbatch_options[@]}"; do
  case "$o" in -a | --array | --array=*) die "$o: SHARDS sets the array" ;; esac
done

here=$(cd "$(dirname "$0")" && pwd)
case "$suite" in /*) ;; *) suite=$PWD/$suite ;; esac
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
mkdir -p "$out"

sh_quote() {  # one word, single-quoted for sh (sbatch --wrap runs /bin/sh)
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

array=$(sbatch --parsable --array="0-$((shards - 1))" "${sbatch_options[@]}" \
  "$here/validate.sbatch" --no-merge-job "$suite" "$out")
array=${array%%;*}
merge_command="exec bash $(sh_quote "$here/validate.sbatch") --merge $(sh_quote "$suite")"
merge_command+=" $(sh_quote "$out") $shards"
if [ -n "${METRONOME:-}" ]; then
  metronome=$METRONOME
  case "$metronome" in /*) ;; *) metronome=$PWD/$metronome ;; esac
  merge_command="METRONOME=$(sh_quote "$metronome") $merge_command"
fi
# The options first, so that the merge job's own --output (and name) win over theirs.
if ! merge=$(sbatch --parsable "${sbatch_options[@]}" --job-name=metronome-merge \
  --dependency="afterok:$array" --kill-on-invalid-dep=yes --output="$out/merge-%j.out" \
  --wrap="$merge_command"); then
  scancel "$array" || true
  die "could not submit the merge job; cancelled array job $array"
fi
merge=${merge%%;*}
echo "array job $array ($shards shards), merge job $merge"
