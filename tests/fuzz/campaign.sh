#!/bin/sh
# One campaign of a fuzz target on its corpus, with the limits every campaign shares:
#
#   campaign.sh [--fresh] FUZZER CORPUS OUT DICT [libFuzzer options...]
#
# The corpus is only read. Inputs that reach new code go to OUT/new (emptied first with --fresh,
# so that a bounded campaign starts from the corpus alone and runs the same every time), to be
# merged into the corpus by hand; the reproducer of a finding goes to OUT/findings/.
set -eu
fresh=false
if [ "${1:-}" = "--fresh" ]; then fresh=true; shift; fi
if [ $# -lt 4 ]; then
  sed -n '4p' "$0" | sed 's/^# *//' >&2
  exit 2
fi
fuzzer=$1 corpus=$2 out=$3 dict=$4
shift 4
# An input much longer than the repository's longest scenario (13 kB) adds nothing but time. A
# decode that takes half a minute or gigabytes is a finding (hang, out of memory); a sweep of every
# regression scenario (`bases: ../regression`) takes 5 s under the sanitizers on a busy machine.
max_len=16384 rss_limit_mb=2048 timeout_s=30
if [ ! -x "$fuzzer" ]; then
  echo "campaign.sh: no fuzz target at $fuzzer (is the build done?)" >&2
  exit 1
fi
if $fresh; then rm -rf "$out/new"; fi
mkdir -p "$out/new" "$out/findings"
# Without address randomisation, so that one seed runs the same campaign every time: yaml-cpp
# keeps its nodes in sets ordered by address, and the paths through them count as coverage.
fixed_addresses=""
if setarch "$(uname -m)" -R true 2>/dev/null; then fixed_addresses="setarch $(uname -m) -R"; fi
exec $fixed_addresses "$fuzzer" -dict="$dict" -max_len=$max_len -rss_limit_mb=$rss_limit_mb -timeout=$timeout_s \
  -artifact_prefix="$out/findings/" -print_final_stats=1 "$@" "$out/new" "$corpus"
