#!/usr/bin/env bash
# The client against its floor (examples/loadgen/floor.rs: the same verified call through hyper
# directly, same TLS, same signing and verification), alternating run by run so both see the
# same machine. Each run also measures raw RSA signing on its own core. Prints, per
# configuration, the median of ROUNDS runs of each: calls/s, the share of raw signing, client CPU
# per call, and ours against the floor.
#
#   cargo build --release --example loadgen --features mock,blocking
#   benches/floor.sh                    # ROUNDS=5, N=8000 calls per run
set -euo pipefail
cd "$(dirname "$0")/.."
L=./target/release/examples/loadgen
N=${N:-8000}
ROUNDS=${ROUNDS:-5}
one="--client-cores 0 --server-core 1"
# calls/s, share of raw signing (%), client CPU per call (µs) of one run's line.
fields() { sed -E 's/.*: ([0-9]+) calls\/s \(([0-9]+)% of ([0-9]+) raw.*client CPU ([0-9]+) us\/call.*/\1 \2 \4 \3/'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| configuration | client | calls/s | share of raw signing | client CPU/call | raw sig/s | ours / floor (calls/s) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
compare() {
    local label=$1
    shift
    local ours=() floor=() ratios=()
    for r in $(seq "$ROUNDS"); do
        # Who goes first alternates.
        if ((r % 2)); then
            o=$($L --calls "$N" "$@" | fields); f=$($L --calls "$N" --floor "$@" | fields)
        else
            f=$($L --calls "$N" --floor "$@" | fields); o=$($L --calls "$N" "$@" | fields)
        fi
        ours+=("$o"); floor+=("$f")
        ratios+=("$(awk -v a="${o%% *}" -v b="${f%% *}" 'BEGIN {printf "%.3f", a / b}')")
    done
    local ratio
    ratio=$(printf '%s\n' "${ratios[@]}" | median)
    for who in ours floor; do
        local -n runs=$who
        local rate share cpu raw
        rate=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f1 | median)
        share=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f2 | median)
        cpu=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f3 | median)
        raw=$(printf '%s\n' "${runs[@]}" | cut -d' ' -f4 | median)
        echo "| $label | $who | $rate | $share% | $cpu µs | $raw | $([ $who = ours ] && echo "${ratio}×" || echo "") |"
    done
}
compare "c=32, raw HTTP/1.1" $one
compare "c=32, TLS HTTP/2 (emulator)" --server emulator-h2 $one
compare "c=1, TLS HTTP/2 (emulator)" --server emulator-h2 --concurrency 1 $one
