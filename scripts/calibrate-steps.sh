#!/usr/bin/env bash
# calibrate-steps.sh AUTOREG BUDGET TOKENS_PER_STEP TRAIN-ARGS...: prints
# how many training steps fit 90% of BUDGET (e.g. 60m) on this machine
# (validation and checkpoints take the rest), so a cosine schedule decays
# with the time. It times 40 steps of the given run (the first 10 left
# out) in a temporary directory.
set -euo pipefail
bin=$1 budget=$2 per=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" train "$@" --steps 40 --out "$tmp/calib.arm" --log "$tmp/calib.jsonl" 2>/dev/null
python3 - "$tmp/calib.jsonl" "$budget" "$per" <<'PY'
import json, re, statistics, sys
secs = sum(float(v) * {"h": 3600, "m": 60, "s": 1}[u] for v, u in re.findall(r"([\d.]+)([hms])", sys.argv[2]))
rates = [json.loads(l)["tokens_per_sec"] for l in open(sys.argv[1])][10:]
print(int(0.90 * secs * statistics.median(rates) / int(sys.argv[3])))
PY
