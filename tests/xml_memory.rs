//! Peak heap of APIv2 XML parsing, measured by a counting global allocator (issue 17: a 2 MB
//! notification of empty elements once peaked at 104 MB, 31 MB at 1.58 GB, an answer within the
//! 32 MiB cap at about 1.7 GB, all before any signature check).
//!
//! Allocation sizes are deterministic, so these are not timed tests. Every case asserts
//! `peak <= K * input + C` (see `bound`); run with `--nocapture` to see the figures.

use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use wechatpay::v2::{notify, xml};

mod support;

/// Counts live heap bytes and their high-water mark. A `realloc` counts the old and the new
/// block as both live until it returns, as a moving `realloc` has them.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::SeqCst) + n;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

fn shrink(n: usize) {
    CURRENT.fetch_sub(n, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size);
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            shrink(new_size);
        } else {
            shrink(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One measurement at a time: the counters are global.
static SERIAL: Mutex<()> = Mutex::new(());

/// Peak heap bytes allocated by `f` above what was live when it started (its result included).
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let out = f();
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(base);
    (out, peak)
}

/// The documented bound (`docs/security.md`, `wechatpay::v2::xml`): a parse holds at most
/// `K` times its input plus a fixed `C` for the fields' table, which the element cap bounds.
const K: usize = 4;
const C: usize = 4 << 20;

fn check(what: &str, input: usize, peak: usize) {
    let ratio = peak as f64 / input.max(1) as f64;
    println!("{what}: input {input} B, peak {peak} B ({ratio:.2}x)");
    assert!(
        peak <= K * input + C,
        "{what}: peak {peak} B for {input} B of input, over {K} x input + {C}"
    );
}

const SECRET: &str = "192006250b4c09247ec02edce69f6a2d";

/// `<xml>` holding empty elements up to `size` bytes; `distinct` names each differently.
fn empty_elements(size: usize, distinct: bool) -> String {
    let mut s = String::with_capacity(size + 64);
    s.push_str("<xml><return_code>SUCCESS</return_code>");
    let mut i = 0u64;
    while s.len() + 16 < size {
        if distinct {
            s.push_str(&format!("<f{i}/>"));
        } else {
            s.push_str("<a/>");
        }
        i += 1;
    }
    s.push_str("</xml>");
    s
}

fn notification(what: &str, body: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (result, peak) = peak_of(|| notify::parse_notification(body.as_bytes(), SECRET));
    assert!(result.is_err(), "{what}: accepted");
    check(what, body.len(), peak);
}

fn parse(what: &str, body: &str) -> bool {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (result, peak) = peak_of(|| xml::from_xml(body).is_ok());
    check(what, body.len(), peak);
    result
}

#[test]
fn a_2_mb_notification_of_empty_elements() {
    notification("2 MB notification, <a/>", &empty_elements(2_000_000, false));
    notification(
        "2 MB notification, distinct names",
        &empty_elements(2_000_000, true),
    );
}

#[test]
fn a_31_mb_notification_of_empty_elements() {
    notification(
        "31 MB notification, <a/>",
        &empty_elements(31_000_000, false),
    );
    notification(
        "31 MB notification, distinct names",
        &empty_elements(31_000_000, true),
    );
}

/// The same document through a real call: the answer is read (up to `max_answer_bytes`, 32 MiB),
/// parsed and refused before its `sign` is looked at. The answer's own buffer counts.
#[test]
fn an_answer_just_under_the_32_mib_cap() {
    let body = empty_elements(32 * 1024 * 1024 - 4096, true);
    let size = body.len();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    );
    let answer: &'static [u8] = Box::leak([head.as_bytes(), body.as_bytes()].concat().into());
    drop(body);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(support::serve(support::fixed(answer)));
    let client = support::client(&base);
    let call = || {
        rt.block_on(
            client
                .chain("v2/pay/orderquery")
                .post(json!({"xml": {"appid": "wxd930ea5d5a258f4f", "mch_id": "1900000001", "out_trade_no": "1"}})),
        )
    };
    // A first call warms the connection pool and the client's lazy state.
    let _ = call();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (result, peak) = peak_of(call);
    let err = result.expect_err("a 32 MiB answer of empty elements was accepted");
    println!("answer refused: {err}");
    check("32 MiB answer, distinct names", size, peak);
}

#[test]
fn other_shapes_stay_within_the_bound() {
    let mb = 4_000_000;
    // One long field: the text is the only copy the parse makes (plus the signature's string).
    let long = format!("<xml><a>{}</a></xml>", "x".repeat(mb));
    assert!(parse("one 4 MB field", &long));
    // Text in many pieces: entities and CDATA sections joined into one string.
    let pieces = format!(
        "<xml><a>{}</a></xml>",
        "&amp;<![CDATA[x]]>&#65;".repeat(mb / 22)
    );
    assert!(parse("4 MB of entities and CDATA", &pieces));
    // Characters XML forbids are removed first, into one copy.
    let dirty = format!("<xml><a>{}</a></xml>", "x\u{1}".repeat(mb / 2));
    assert!(parse("4 MB with forbidden characters", &dirty));
    // A long element name, and the error naming it, stay bounded.
    let name = "n".repeat(mb);
    assert!(parse(
        "a 4 MB element name",
        &format!("<xml><{name}/></xml>")
    ));
    assert!(!parse(
        "an unclosed 4 MB element name",
        &format!("<xml><{name}>")
    ));
    // Deep nesting is refused at its depth bound.
    let deep = format!("{}{}", "<a>".repeat(mb / 3), "</a>".repeat(mb / 3));
    assert!(!parse("4 MB of nesting", &deep));
    // Attributes are entries too.
    let mut attrs = String::from("<xml><a");
    let mut i = 0;
    while attrs.len() < mb {
        attrs.push_str(&format!(" b{i}=\"\""));
        i += 1;
    }
    attrs.push_str("/></xml>");
    assert!(!parse("4 MB of attributes", &attrs));
    // Comments and processing instructions are skipped.
    let comments = format!("<xml>{}<a>1</a></xml>", "<!--c--><?p?>".repeat(mb / 13));
    assert!(parse("4 MB of comments", &comments));
}
