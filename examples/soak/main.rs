//! A reconciling soak: N calls (orders, queries, refunds, closes; APIv3 and APIv2; async and
//! blocking; retries on) against the emulator in chaos mode over TLS on 127.0.0.1, then each
//! call's result, as the client said it, reconciled with the emulator's journal and ledger.
//!
//! ```sh
//! cargo run --release --example soak --features mock,blocking -- --calls 100000
//! cargo run --example soak --features mock,blocking -- --calls 3000 --seed 7   # CI's short run
//! ```
//!
//! Flags: `--calls N` (100000), `--seed S` (random, printed), `--rate R` (0.01: the share of
//! requests and connections that meet a fault), `--concurrency C` (16: half async tasks, half
//! blocking threads), `--timeout SECONDS` (2: each call's `timeout`; slow answers wait 2 s
//! longer). It exits non-zero on any mismatch, panic, or resident memory that grew past the
//! limit (see `MEMORY_SLACK_KIB`).

mod emulator;
mod reconcile;
mod workload;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use workload::{Record, Said, Shared, CALLS_PER_SCENARIO};

/// How much resident memory may grow from the first checkpoint (10,000 calls) to the end:
/// 8 MiB. Everything the soak itself keeps per call is allocated and touched before the first
/// checkpoint but the text of failed calls' errors (a few hundred KiB at a 1% fault rate); the
/// rest is allocator noise across threads. A client that kept as little as 100 bytes per call
/// would grow 9 MB over the last 90,000 calls of the full run, and fail.
const MEMORY_SLACK_KIB: u64 = 8 * 1024;

static PANICS: AtomicUsize = AtomicUsize::new(0);

struct Args {
    calls: usize,
    seed: u64,
    rate: f64,
    concurrency: usize,
    timeout: f64,
    emulator: bool,
    slow_ms: u64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        calls: 100_000,
        seed: random_seed(),
        rate: 0.01,
        concurrency: 16,
        timeout: 2.0,
        emulator: false,
        slow_ms: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--emulator" {
            a.emulator = true;
            continue;
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--calls" => a.calls = value.parse().map_err(|e| bad(&e))?,
            "--seed" => a.seed = value.parse().map_err(|e| bad(&e))?,
            "--rate" => a.rate = value.parse().map_err(|e| bad(&e))?,
            "--concurrency" => a.concurrency = value.parse().map_err(|e| bad(&e))?,
            "--timeout" => a.timeout = value.parse().map_err(|e| bad(&e))?,
            "--slow-ms" => a.slow_ms = value.parse().map_err(|e| bad(&e))?,
            _ => {
                return Err(format!(
                    "unknown flag {flag} (--calls, --seed, --rate, --concurrency, --timeout)"
                ))
            }
        }
    }
    if a.concurrency < 2
        || a.calls < CALLS_PER_SCENARIO
        || !a.timeout.is_finite()
        || a.timeout <= 0.0
    {
        return Err(
            "--concurrency must be at least 2, --calls at least 3, --timeout positive".into(),
        );
    }
    Ok(a)
}

fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    getrandom::getrandom(&mut b).map_or(1, |_| u64::from_le_bytes(b) >> 12)
}

/// Resident memory (KiB), from `/proc/self/status`.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::from(2);
        }
    };
    if a.emulator {
        return emulator::serve(a.seed, a.rate, Duration::from_millis(a.slow_ms));
    }
    match run(&a) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(a: &Args) -> Result<bool, String> {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::Relaxed);
        eprintln!("soak: panic: {info}");
    }));
    let slow = Duration::from_secs_f64(a.timeout + 2.0);
    println!(
        "soak: seed {} (again: --seed {}), rate {}, {} calls, concurrency {}, timeout {} s",
        a.seed, a.seed, a.rate, a.calls, a.concurrency, a.timeout
    );
    let emu = emulator::Emulator::spawn(a.seed, a.rate, slow)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let client = emu
        .client_builder()
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let scenarios = a.calls.div_ceil(CALLS_PER_SCENARIO);
    let total = scenarios * CALLS_PER_SCENARIO;
    let checkpoint = 10_000.min(total / 3);
    let first_rss = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tick = {
        let first_rss = first_rss.clone();
        move |done: usize| {
            if done == checkpoint {
                first_rss.store(rss_kib(), Ordering::Relaxed);
            }
            if done.is_multiple_of((total / 10).max(1)) {
                eprintln!(
                    "soak: {done}/{total} calls, {:.0} s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
    };
    let pending = Record {
        said: Said::Pending,
        blocking: false,
        answer: 0,
        error: None,
    };
    let shared = Arc::new(Shared {
        seed: a.seed,
        prefix: format!("SK{:08x}", workload::mix(a.seed) as u32),
        mchid: client.mchid().to_string(),
        timeout: a.timeout,
        scenarios,
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        records: (0..total).map(|_| Mutex::new(pending.clone())).collect(),
        admin: emu.admin()?,
        tick: Box::new(tick),
    });
    let blocking = wechatpay::blocking::Client::from(client.clone());
    let threads: Vec<_> = (0..a.concurrency / 2)
        .map(|_| {
            let (shared, blocking, handle) =
                (shared.clone(), blocking.clone(), rt.handle().clone());
            std::thread::spawn(move || workload::run_blocking(shared, blocking, handle))
        })
        .collect();
    let tasks: Vec<_> = (0..a.concurrency - a.concurrency / 2)
        .map(|_| rt.spawn(workload::run_async(shared.clone(), client.clone())))
        .collect();
    let mut worker_panics = 0;
    for t in threads {
        worker_panics += usize::from(t.join().is_err());
    }
    for t in tasks {
        worker_panics += usize::from(rt.block_on(t).is_err());
    }
    let last_rss = rss_kib();
    let elapsed = started.elapsed();
    rt.block_on(shared.admin.chaos_off())?;
    let journal: reconcile::Journal = rt.block_on(shared.admin.get("chaos"))?;
    let ledger: reconcile::Ledger = rt.block_on(shared.admin.get("ledger"))?;
    let emulator_panics = emu.stop();
    let records: Vec<Record> = shared
        .records
        .iter()
        .map(|r| r.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .collect();
    let report = reconcile::reconcile(a.seed, &shared.prefix, &records, &journal, &ledger);
    let panics = PANICS.load(Ordering::Relaxed) + worker_panics + emulator_panics;
    let first = first_rss.load(Ordering::Relaxed);
    let memory_ok = last_rss <= first + MEMORY_SLACK_KIB;
    print_table(
        a,
        &records,
        &report,
        elapsed,
        checkpoint,
        (first, last_rss),
        panics,
    );
    Ok(report.mismatches.is_empty() && panics == 0 && memory_ok)
}

fn print_table(
    a: &Args,
    records: &[Record],
    report: &reconcile::Report,
    elapsed: Duration,
    checkpoint: usize,
    (first, last): (u64, u64),
    panics: usize,
) {
    let blocking = records.iter().filter(|r| r.blocking).count();
    let v2 = (0..records.len())
        .filter(|i| workload::Scenario::plan(a.seed, i / CALLS_PER_SCENARIO).v2)
        .count();
    println!(
        "\ncalls: {} in {:.1} s ({:.0}/s): {} async, {blocking} blocking; {} APIv3, {v2} APIv2",
        report.calls,
        elapsed.as_secs_f64(),
        report.calls as f64 / elapsed.as_secs_f64(),
        report.calls - blocking,
        report.calls - v2,
    );
    let total: usize = report.faults.values().sum();
    println!("\nfaults injected (emulator journal): {total}");
    for (kind, n) in &report.faults {
        println!("  {kind:<22}{n:>8}");
    }
    println!("\noutcomes by the first fault that met the call:");
    print!("  {:<22}", "fault");
    for c in reconcile::COLUMNS {
        print!("{c:>22}");
    }
    println!();
    let mut sums = [0usize; 5];
    for (kind, row) in &report.outcomes {
        print!("  {kind:<22}");
        for (i, n) in row.iter().enumerate() {
            sums[i] += n;
            print!("{n:>22}");
        }
        println!();
    }
    print!("  {:<22}", "all");
    for n in sums {
        print!("{n:>22}");
    }
    println!(
        "\n\nwrites resent with the caller's opt-in and processed again: {} (executed twice: see mismatches)",
        report.resent_writes
    );
    println!("journaled requests matching no call: {}", report.strangers);
    println!("panics: {panics}");
    println!(
        "memory (VmRSS): {} KiB after {checkpoint} calls, {} KiB after {} ({:+} KiB; limit +{MEMORY_SLACK_KIB} KiB)",
        first,
        last,
        report.calls,
        last as i64 - first as i64
    );
    println!("mismatches: {}", report.mismatches.len());
    for (rule, n) in &report.rules {
        println!("  {n:>6}  {rule}");
    }
    for m in report.mismatches.iter().take(40) {
        println!("  - {m}");
    }
    if report.mismatches.len() > 40 {
        println!("  … and {} more", report.mismatches.len() - 40);
    }
}
