#!/usr/bin/env bash
# The load figures of docs/performance.md: each configuration run 3 times, the median run (by
# calls/s) printed as a markdown row. Needs an idle 2-core Linux machine; takes about 5 minutes.
#
#   cargo build --release --example loadgen --features mock,blocking   (mock: the emulator servers)
#   benches/loadgen-matrix.sh            # N=8000 calls per run, RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
L=./target/release/examples/loadgen
N=${N:-8000}
RUNS=${RUNS:-3}
row() {
    local label=$1
    shift
    local lines=()
    for _ in $(seq "$RUNS"); do
        lines+=("$($L --calls "$N" "$@")")
    done
    # The median run by calls/s.
    local median
    median=$(printf '%s\n' "${lines[@]}" | sort -t: -k3 -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
    echo "$median" | sed -E 's/.*: ([0-9]+) calls\/s \(([0-9]+)% of ([0-9]+) raw.*p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, client CPU ([0-9]+) us\/call, server CPU ([0-9]+) us\/call, ([0-9]+) connections, peak RSS ([0-9.]+) MB/| '"$label"' | \1 | \3 | \2% | \4 \/ \5 ms | \6 µs | \7 µs | \8 | \9 MB |/'
}
echo "| configuration (loadgen flags) | calls/s | raw sig/s per core | share | p50 / p99 | client CPU/call | server CPU/call | connections | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
one="--client-cores 0 --server-core 1"
two="--client-cores 0,1 --server-core 1"
row "async, 1 worker, c=1, raw h1 (\`--concurrency 1 $one\`)" --concurrency 1 $one
row "async, 1 worker, c=32, raw h1 (\`$one\`)" $one
row "async, 1 worker, c=32, emulator TLS h1 (\`--server emulator $one\`)" --server emulator $one
row "async, 1 worker, c=32, emulator TLS h2 (\`--server emulator-h2 $one\`)" --server emulator-h2 $one
row "floor (hyper directly), c=32, raw h1 (\`--floor $one\`)" --floor $one
row "floor (hyper directly), c=32, TLS h2 (\`--floor --server emulator-h2 $one\`)" --floor --server emulator-h2 $one
row "cold burst, c=32, TLS h1 forced (\`--server emulator-h2 --http1 --cold $one\`)" --server emulator-h2 --http1 --cold $one
row "cold burst, c=32, TLS h2 (\`--server emulator-h2 --cold $one\`)" --server emulator-h2 --cold $one
row "async, 2 workers, c=32, raw h1 (\`--workers 2 $two\`)" --workers 2 $two
row "async, 2 workers, c=32, TLS h2 (\`--server emulator-h2 --workers 2 $two\`)" --server emulator-h2 --workers 2 $two
row "current-thread runtime, c=32 (\`--current-thread $two\`)" --current-thread $two
row "current-thread + signing pool of 2 (\`--current-thread --signing-pool 2 $two\`)" --current-thread --signing-pool 2 $two
row "blocking, 1 thread (\`--blocking 1 $one\`)" --blocking 1 $one
row "blocking, 2 threads (\`--blocking 2 $two\`)" --blocking 2 $two
row "blocking, 2 threads on one core (\`--blocking 2 $one\`)" --blocking 2 $one
row "blocking, 4 threads on two cores (\`--blocking 4 $two\`)" --blocking 4 $two
row "1,000 in flight, TLS h1 forced (\`--server emulator-h2 --http1 --concurrency 1000 $one\`)" --server emulator-h2 --http1 --concurrency 1000 $one
row "1,000 in flight, TLS h2 (\`--server emulator-h2 --concurrency 1000 $one\`)" --server emulator-h2 --concurrency 1000 $one
$L --idle $one
