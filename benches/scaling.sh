#!/usr/bin/env bash
# Two client cores against one, in one run: each pair of runs (one core, then two, or the other
# way round every other round) is taken back to back, and the ratio of their calls/s is the
# figure. The server is pinned to core 1, so with two client cores it shares core 1 with a
# client worker: on a two-core machine the client never has two whole cores.
#
#   cargo build --release --example loadgen --features mock,blocking
#   benches/scaling.sh                  # ROUNDS=5, N=8000 calls per run
set -euo pipefail
cd "$(dirname "$0")/.."
L=./target/release/examples/loadgen
N=${N:-8000}
ROUNDS=${ROUNDS:-5}
rate() { $L --calls "$N" "$@" | sed -E 's/.*: ([0-9]+) calls\/s.*/\1/'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| client | one core (calls/s) | two cores (calls/s) | two / one (median of rounds) | range |"
echo "| --- | --- | --- | --- | --- |"
pair() {
    local label=$1 one=$2 two=$3
    local ones=() twos=() ratios=()
    for r in $(seq "$ROUNDS"); do
        if ((r % 2)); then
            a=$(rate $one); b=$(rate $two)
        else
            b=$(rate $two); a=$(rate $one)
        fi
        ones+=("$a"); twos+=("$b")
        ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')")
    done
    local lo hi
    lo=$(printf '%s\n' "${ratios[@]}" | sort -n | head -1)
    hi=$(printf '%s\n' "${ratios[@]}" | sort -n | tail -1)
    echo "| $label | $(printf '%s\n' "${ones[@]}" | median) | $(printf '%s\n' "${twos[@]}" | median) | $(printf '%s\n' "${ratios[@]}" | median)× | $lo–$hi× |"
}
h2="--server emulator-h2"
pair "async, TLS HTTP/2, c=32: 1 worker / 2 workers" \
    "$h2 --client-cores 0 --server-core 1" "$h2 --workers 2 --client-cores 0,1 --server-core 1"
pair "async, raw HTTP/1.1, c=32: 1 worker / 2 workers" \
    "--client-cores 0 --server-core 1" "--workers 2 --client-cores 0,1 --server-core 1"
pair "blocking, TLS HTTP/2: 1 thread / 2 threads" \
    "$h2 --blocking 1 --client-cores 0 --server-core 1" "$h2 --blocking 2 --client-cores 0,1 --server-core 1"
pair "blocking, TLS HTTP/2: 2 threads / 4 threads" \
    "$h2 --blocking 2 --client-cores 0 --server-core 1" "$h2 --blocking 4 --client-cores 0,1 --server-core 1"
