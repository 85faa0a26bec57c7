#!/usr/bin/env bash
# Where the client's CPU goes in a loadgen run: perf samples of the client's worker thread,
# grouped into RSA (signing and verification), the kernel, libc (malloc, memcpy), this crate with
# its JSON and URL work, the HTTP stack (reqwest, hyper, http, bytes), tokio, and the rest.
#
#   cargo build --release --example loadgen --features mock,blocking
#   benches/profile.sh [loadgen flags]        # default: --calls 8000 --client-cores 0 --server-core 1
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp)
trap 'rm -f "$data"' EXIT
perf record -q -o "$data" ./target/release/examples/loadgen ${@:---calls 8000 --client-cores 0 --server-core 1}
# The client's calls run on its tokio worker thread(s).
perf script -i "$data" -F comm,ip,sym,dso 2>/dev/null | awk '
    $1 != "tokio-rt-worker" { next }
    {
        sym = $3
        for (i = 4; i < NF; i++) sym = sym " " $i
        if ($NF ~ /kernel/) k++
        else if (sym ~ /aws_lc|^bn_|to_words52/) r++
        else if ($NF ~ /libc/) c++
        else if (sym ~ /wechatpay|serde_json|url::|idna|percent_encoding|base64|indexmap/) w++
        else if (sym ~ /hyper|reqwest|http::|httparse|bytes::|h2::|tower|rustls/) h++
        else if (sym ~ /tokio|futures/) t++
        else o++
    }
    END {
        n = k + r + c + w + h + t + o
        printf "%d samples: RSA %.1f%%, kernel %.1f%%, libc %.1f%%, this crate (+JSON, URL) %.1f%%, HTTP stack %.1f%%, tokio %.1f%%, other %.1f%%\n",
            n, 100*r/n, 100*k/n, 100*c/n, 100*w/n, 100*h/n, 100*t/n, 100*o/n
    }'
