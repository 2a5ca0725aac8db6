#!/usr/bin/env bash
# bench-ar-vs-statsmodels.sh: AR order selection plus fit on the births
# training part (../shared/data/timeseries, see its README), autoreg's ar
# package against statsmodels, side by side in one run.
#
#   apt-get install -y python3-statsmodels     # Debian's, once
#   scripts/bench-ar-vs-statsmodels.sh          # 7 interleaved rounds
#   ROUNDS=15 scripts/bench-ar-vs-statsmodels.sh
#
# Both sides do the same work: choose the order in 0..60 by AIC on the
# common sample (the first 60 points held back), then fit AR(57) with a
# constant on the 5,844 training points, data already in memory:
#   statsmodels: ar_select_order(y, maxlag=60, ic='aic', trend='c'), then
#                sel.model.fit()
#   autoreg:     ar.Fit(ctx, [][]float64{y}, ar.Options{MaxLag: 60,
#                Criterion: ar.AIC}) (BenchmarkSelectFitBirths)
# Each round times one statsmodels run (best of 3 calls) and one Go
# benchmark run (mean of 20 calls), one after the other, so that both see
# the same machine load; the script prints every round, the medians and
# their ratio. The machine may be shared: compare medians, and quote the
# load it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-7}
shared=${AUTOREG_SHARED:-../shared}
births="$shared/data/timeseries/births.csv"
[ -f "$births" ] || { echo "bench-ar-vs-statsmodels: $births is missing" >&2; exit 1; }
export AUTOREG_SHARED
AUTOREG_SHARED=$(cd "$shared" && pwd)
if ! /usr/bin/python3 -c 'import statsmodels' 2>/dev/null; then
	echo "bench-ar-vs-statsmodels: Debian's python3-statsmodels is needed (apt-get install -y python3-statsmodels)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/ar.test" ./ar

cat >"$tmp/sm.py" <<'PY'
import sys, time, warnings
import numpy as np
from statsmodels.tsa.ar_model import ar_select_order
warnings.simplefilter("ignore")
y = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=1)[:5844]
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    sel = ar_select_order(y, maxlag=60, ic="aic", trend="c")
    res = sel.model.fit()
    best = min(best, time.perf_counter() - t)
assert sel.ar_lags[-1] == 57, sel.ar_lags
print(f"{best:.6f}")
PY

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
sm=$(/usr/bin/python3 -c 'import statsmodels, numpy, platform; print(f"statsmodels {statsmodels.__version__}, numpy {numpy.__version__}, Python {platform.python_version()}")')
echo "== AR order selection (0..60, AIC) + fit of AR(57), births training part (5,844 points)"
echo "$(date -u +%FT%TZ); $cpu, $(nproc) CPUs; $(go version | cut -d' ' -f3); $sm"
printf "%5s %14s %14s %8s %s\n" round statsmodels autoreg ratio load
sms=() gos=()
for r in $(seq "$ROUNDS"); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	s=$(/usr/bin/python3 "$tmp/sm.py" "$births")
	ns=$(cd ar && "$tmp/ar.test" -test.run '^$' -test.bench '^BenchmarkSelectFitBirths$' -test.benchtime 20x | awk '/^BenchmarkSelectFitBirths/ {print $3}')
	g=$(awk -v ns="$ns" 'BEGIN {printf "%.6f", ns/1e9}')
	sms+=("$s") gos+=("$g")
	printf "%5d %12.1f ms %12.1f ms %7.1f× %s\n" "$r" "$(awk -v x="$s" 'BEGIN{print x*1000}')" "$(awk -v x="$g" 'BEGIN{print x*1000}')" "$(awk -v a="$s" -v b="$g" 'BEGIN{print a/b}')" "$load"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ms=$(median "${sms[@]}")
mg=$(median "${gos[@]}")
printf "%5s %12.1f ms %12.1f ms %7.1f×\n" median "$(awk -v x="$ms" 'BEGIN{print x*1000}')" "$(awk -v x="$mg" 'BEGIN{print x*1000}')" "$(awk -v a="$ms" -v b="$mg" 'BEGIN{print a/b}')"
