#!/usr/bin/env bash
# recipe-series.sh: the engine of the time-series recipes
# (scripts/recipe-births.sh, scripts/recipe-sunspots.sh), which set the
# variables below and run it. For each seed it trains the neural model on
# the training part of the series (validation carved from its end, the
# best validation model kept), scores that model on the test part (the
# last 20%: one step ahead on the true past, standardized and raw NLL,
# CRPS; and from every test origin HORIZON steps ahead by SAMPLES sample
# paths, fair CRPS, coverage), and prints one row per seed, the mean and
# standard deviation, the AR baseline and the seasonal naive forecast
# beside them, and the machine's load (timings under load overstate the
# CPU budget: the training CPU seconds are the process's own).
#
# Variables (the recipes set them; the environment may override):
#   NAME        series name (births, sunspots): ../shared/data/timeseries/NAME.csv
#   COLUMN TIME the value and time columns
#   MODEL       the neural model's train flags (arch, size, head, lags, …)
#   BASELINE    the AR baseline's train flags
#   HORIZON     rolling evaluation horizon; SAMPLES sample paths (≥ 200)
#   SEASON      the seasonal naive baseline's season
#   SEEDS       the seeds ("1 2 3 4 5")
#   FROM FROM_H the chart's forecast origin (a time) and horizon
#   CHARTS      if set, a directory to copy the charts of the first seed to
# usage: scripts/recipe-NAME.sh [outdir]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-recipe-$NAME}
mkdir -p "$out"
shared=${AUTOREG_SHARED:-../shared}
data="$shared/data/timeseries/$NAME.csv"
[ -f "$data" ] || { echo "recipe-$NAME: $data is missing" >&2; exit 1; }
go build -o "$out/autoreg" ./cmd/autoreg
ar=$out/autoreg
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }
echo "machine: $(nproc) cores, load average at start $(load)"

# The baseline: AR with a residual mixture, as the anchors.
# shellcheck disable=SC2086
"$ar" train --arch ar --data "$data" --column "$COLUMN" --time "$TIME" --test-split 0.2 $BASELINE --out "$out/ar.arm" >/dev/null
"$ar" eval --model "$out/ar.arm" --data "$data" --test-split 0.2 --season "$SEASON" --horizon "$HORIZON" \
	--samples "$SAMPLES" --json >"$out/ar.eval.json"

for seed in $SEEDS; do
	m=$out/$NAME.s$seed
	# shellcheck disable=SC2086
	/usr/bin/time -f "%e %U %S" -o "$m.time" "$ar" train --data "$data" --column "$COLUMN" --time "$TIME" \
		--test-split 0.2 $MODEL --seed "$seed" --out "$m.arm" --log "$m.jsonl" 2>"$m.train.log" ||
		{ cat "$m.train.log" >&2; exit 1; }
	"$ar" eval --model "$m.best.arm" --data "$data" --test-split 0.2 --season "$SEASON" --horizon "$HORIZON" \
		--samples "$SAMPLES" --seed "$seed" --json >"$m.eval.json"
	echo "seed $seed: $(tail -1 "$m.train.log" | cut -c1-160)"
done
echo "load average at end $(load)"

python3 - "$out" "$NAME" "$SEEDS" <<'PY'
import json, statistics, sys
out, name, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split()
def lead(r, h):
    return r["rolling"]["leads"][h - 1] if h else r["rolling"]["all"]
ar = json.load(open(f"{out}/ar.eval.json"))
H = ar["rolling"]["horizon"]
rows = []
print(f"\n{name}: test part {ar['points']} values; rolling from {ar['rolling']['origins']} origins, "
      f"{ar['rolling']['samples']} sample paths each (fair CRPS), horizon {H}")
print(f"{'':14} {'NLL std':>8} {'NLL raw':>8} {'CRPS 1':>9} {f'CRPS {H}':>9} {f'CRPS 1-{H}':>10} {'cov50':>6} {'cov90':>6} {'train s':>8} {'CPU s':>7}")
for s in seeds:
    r = json.load(open(f"{out}/{name}.s{s}.eval.json"))
    wall, user, sys_ = map(float, open(f"{out}/{name}.s{s}.time").read().split()[-3:])
    row = (r["nll_std"], r["nll"], r["crps"], lead(r, H)["crps"], lead(r, 0)["crps"], lead(r, 0)["cover50"], lead(r, 0)["cover90"], wall, user + sys_)
    rows.append(row)
    print(f"{'seed ' + s:14} {row[0]:8.4f} {row[1]:8.4f} {row[2]:9.2f} {row[3]:9.2f} {row[4]:10.2f} {row[5]:6.3f} {row[6]:6.3f} {row[7]:8.1f} {row[8]:7.1f}")
cols = list(zip(*rows))
mean = [statistics.mean(c) for c in cols]
sd = [statistics.stdev(c) if len(c) > 1 else 0 for c in cols]
print(f"{'mean':14} {mean[0]:8.4f} {mean[1]:8.4f} {mean[2]:9.2f} {mean[3]:9.2f} {mean[4]:10.2f} {mean[5]:6.3f} {mean[6]:6.3f} {mean[7]:8.1f} {mean[8]:7.1f}")
print(f"{'sd':14} {sd[0]:8.4f} {sd[1]:8.4f} {sd[2]:9.2f} {sd[3]:9.2f} {sd[4]:10.2f}")
a = ar
print(f"{'AR baseline':14} {a['nll_std']:8.4f} {a['nll']:8.4f} {a['crps']:9.2f} {lead(a, H)['crps']:9.2f} {lead(a, 0)['crps']:10.2f} {lead(a, 0)['cover50']:6.3f} {lead(a, 0)['cover90']:6.3f}")
b = {k: lead(a, h)["baseline"] for k, h in (("h", H), ("all", 0))}
print(f"{'seas. naive':14} {'':8} {'':8} {'':9} {b['h']['crps']:9.2f} {b['all']['crps']:10.2f} {b['all']['cover50']:6.3f} {b['all']['cover90']:6.3f}")
print(f"\nbest seed NLL std {min(cols[0]):.4f}; mean ± sd {mean[0]:.4f} ± {sd[0]:.4f} over {len(rows)} seeds")
print(f"CRPS at lead {H}: mean {mean[3]:.2f} (every seed below AR {lead(a, H)['crps']:.2f}: {all(v < lead(a, H)['crps'] for v in cols[3])}; "
      f"below seasonal naive {b['h']['crps']:.2f}: {all(v < b['h']['crps'] for v in cols[3])})")
print(f"CRPS over leads 1-{H}: mean {mean[4]:.2f} (every seed below AR {lead(a, 0)['crps']:.2f}: {all(v < lead(a, 0)['crps'] for v in cols[4])}; "
      f"below seasonal naive {b['all']['crps']:.2f}: {all(v < b['all']['crps'] for v in cols[4])})")
PY

# Charts of the first seed's model: a forecast from inside the test part
# with what happened drawn over it, and the training loss.
first=${SEEDS%% *}
"$ar" forecast --model "$out/$NAME.s$first.best.arm" --data "$data" --from "$FROM" --horizon "$FROM_H" \
	--history "$((3 * FROM_H))" --samples 1000 --out "$out/$NAME.forecast.csv" --plot "$out/$NAME.forecast.png"
if [ -n "${CHARTS:-}" ]; then
	mkdir -p "$CHARTS"
	cp "$out/$NAME.forecast.png" "$CHARTS/$NAME-forecast.png"
	cp "$out/$NAME.s$first.loss.png" "$CHARTS/$NAME.loss.png"
	echo "charts: $CHARTS/$NAME-forecast.png, $CHARTS/$NAME.loss.png"
fi
