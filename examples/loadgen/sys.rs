//! What the load generator asks of Linux: pinning to cores, CPU time, peak memory.

/// Pins the calling thread (and the threads it starts afterwards) to `cores`.
pub fn pin(cores: &[usize]) {
    if cores.is_empty() {
        return;
    }
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes within it; the call only
    // reads the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cores {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// CPU seconds this process has used (user + system).
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// CPU seconds another process has used, from /proc (clock ticks of 10 ms).
pub fn cpu_seconds_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) start after its `)`.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the `)`.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory (VmHWM) in MB.
pub fn peak_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Resident memory now (VmRSS) in MB.
pub fn resident_mb() -> f64 {
    status_mb("VmRSS:")
}

fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resident memory now, split as /proc/self/status splits it: `VmRSS` and its anonymous (heap,
/// stacks), file-backed (the binary's and libraries' pages touched) and shared parts, in MB.
pub fn resident_breakdown() -> String {
    let mb = |f: &str| status_mb(f);
    format!(
        "{:.1} MB (anon {:.1}, file {:.1}, shmem {:.1})",
        mb("VmRSS:"),
        mb("RssAnon:"),
        mb("RssFile:"),
        mb("RssShmem:")
    )
}
