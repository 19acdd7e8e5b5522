#!/usr/bin/env bash
# Print the SHA-256 of every output file of the demo plan, the city preset and every example
# scenario, so that two commits can be compared byte for byte:
#   bash dev/output-digests.sh > before.txt; (change); bash dev/output-digests.sh > after.txt
#   diff before.txt after.txt
# Files that name the program version or the input paths' absolute location are digested too:
# a difference there is a real difference.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
planner demo-data --preset city --seed city -o "$work/city-data" >/dev/null
for scenario in scenarios/*.toml "$work/city-data/scenario.toml"; do
  name=$(basename "$(dirname "$scenario")")-$(basename "$scenario" .toml)
  out="$work/out/$name"
  planner run "$scenario" -o "$out" >/dev/null 2>&1 || echo "$name: run exited $?"
  planner simulate "$scenario" -o "$out/simulation" --reps 200 >/dev/null 2>&1 || echo "$name: simulate exited $?"
  # A scenario whose inputs are absent (the Chicago replay outside the main checkout) has no
  # output folder: the line above says so, and the other scenarios are still digested.
  [ -d "$out" ] || continue
  (cd "$work/out" && find "$name" -type f | LC_ALL=C sort | xargs -r sha256sum)
done
