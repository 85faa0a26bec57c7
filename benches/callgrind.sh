#!/usr/bin/env bash
# Instructions and heap allocations per verified call, counted by valgrind (callgrind), not timed:
# the same on a loaded machine as on an idle one. Each client (ours, then the floor) runs twice,
# with N1 and N2 calls; the difference divided by N2 - N1 leaves setup out. Instructions are
# split into aws-lc (RSA, SHA-256, AES-GCM: the same work in both) and the rest. valgrind hides
# AVX-512 from aws-lc, so its share here is larger than on the machine itself.
#
#   cargo build --release --example loadgen --features mock,blocking
#   benches/callgrind.sh [loadgen flags]     # default: --server emulator-h2 (TLS, HTTP/2), c=32
set -euo pipefail
cd "$(dirname "$0")/.."
L=${L:-./target/release/examples/loadgen}
N1=${N1:-200}
N2=${N2:-600}
flags=${*:---server emulator-h2}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Instructions in total and in aws-lc, and calls into the Rust allocator, of one run.
count() {
    valgrind --tool=callgrind --callgrind-out-file="$dir/out" "$L" --calls "$1" $flags "${@:2}" >/dev/null 2>&1
    callgrind_annotate --threshold=100 --tree=caller "$dir/out" 2>/dev/null | python3 -c '
import re, sys
total = lc = allocs = 0
callers = 0
for line in sys.stdin:
    m = re.match(r"\s*([0-9,]+) \([ 0-9.]+%\)\s+(\*|<|>)?\s*(.*)", line)
    if not m:
        continue
    n, mark, name = int(m.group(1).replace(",", "")), m.group(2), m.group(3)
    if "PROGRAM TOTALS" in name:
        total = n
    elif mark == "<":
        c = re.search(r"\(([0-9,]+)x\)", name)
        callers += int(c.group(1).replace(",", "")) if c else 0
    elif mark == "*":
        if re.search(r"aws_lc|jent_|rol64|xoshiro|uint32rotl|ptr_to_le|keccak|_aesni|aes_hw|gcm_", name):
            lc += n
        if re.search(r"__rustc::__rdl_alloc ", name):
            allocs = callers
        callers = 0
print(total, lc, allocs)'
}
echo "| client | instructions per call | of which aws-lc | the rest | Rust heap allocations per call |"
echo "| --- | --- | --- | --- | --- |"
for who in ${WHO:-ours floor}; do
    extra=()
    [ "$who" = floor ] && extra=(--floor)
    read -r t1 a1 m1 <<<"$(count "$N1" "${extra[@]}")"
    read -r t2 a2 m2 <<<"$(count "$N2" "${extra[@]}")"
    awk -v w="$who" -v n=$((N2 - N1)) -v t=$((t2 - t1)) -v a=$((a2 - a1)) -v m=$((m2 - m1)) \
        'BEGIN { printf "| %s | %.0f | %.0f | %.0f | %.0f |\n", w, t / n, a / n, (t - a) / n, m / n }'
done
