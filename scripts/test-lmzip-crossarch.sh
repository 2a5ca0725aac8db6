#!/usr/bin/env bash
# test-lmzip-crossarch.sh — the compressor's determinism across builds and
# architectures: the golden files (written on linux/amd64) must decode, and
# be reproduced byte for byte, under -tags noasm and on arm64 (run under
# qemu-user: apt-get install -y qemu-user), and so must the golden hashes of
# the exact kernels and the bit-exact pieces of internal/exact (the neural
# families' bit-exact states and lmzip's online networks are built on them),
# and the golden files of WAV files through the PCM codec (integer kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 -tags noasm ./arith ./lmzip/...
go test -count=1 -tags noasm ./internal/exact
go test -count=1 -tags noasm -run 'Exact|Int16' ./internal/kernels ./gpt ./rnn ./wavenet
if ! command -v qemu-aarch64 > /dev/null; then
	echo "qemu-aarch64 not found: apt-get install -y qemu-user" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOARCH=arm64 go test -c -o "$tmp/arith.test" ./arith
GOARCH=arm64 go test -c -o "$tmp/kernels.test" ./internal/kernels
GOARCH=arm64 go test -c -o "$tmp/exact.test" ./internal/exact
GOARCH=arm64 go test -c -o "$tmp/lmzip.test" ./lmzip
GOARCH=arm64 go test -c -o "$tmp/cm.test" ./lmzip/internal/cm
GOARCH=arm64 go test -c -tags noasm -o "$tmp/lmzip-noasm.test" ./lmzip
qemu-aarch64 "$tmp/arith.test" -test.run 'RoundTrip|Overhead|BuildCDF'
(cd internal/kernels && qemu-aarch64 "$tmp/kernels.test" -test.run 'Exact|Int16')
(cd internal/exact && qemu-aarch64 "$tmp/exact.test")
(cd lmzip && qemu-aarch64 "$tmp/lmzip.test" -test.run 'Golden|Static|Quantize|RoundTripAdaptive/ngram' -test.short)
(cd lmzip/internal/cm && qemu-aarch64 "$tmp/cm.test")
(cd lmzip && qemu-aarch64 "$tmp/lmzip-noasm.test" -test.run 'Golden' -test.short)
# A 32-bit platform (int is 32 bits there): ARMv7 under qemu-arm.
GOARCH=arm GOARM=7 go test -c -o "$tmp/lmzip-arm.test" ./lmzip
GOARCH=arm GOARM=7 go test -c -o "$tmp/cm-arm.test" ./lmzip/internal/cm
GOARCH=arm GOARM=7 go test -c -o "$tmp/kernels-arm.test" ./internal/kernels
GOARCH=arm GOARM=7 go test -c -o "$tmp/exact-arm.test" ./internal/exact
(cd lmzip && qemu-arm "$tmp/lmzip-arm.test" -test.run 'Golden|Quantize' -test.short)
(cd lmzip/internal/cm && qemu-arm "$tmp/cm-arm.test")
(cd internal/kernels && qemu-arm "$tmp/kernels-arm.test" -test.run 'Exact|Int16')
(cd internal/exact && qemu-arm "$tmp/exact-arm.test")
echo "cross-arch: OK (amd64 golden files, media goldens included, and exact-kernel hashes reproduced under noasm, arm64 and 32-bit arm)"
