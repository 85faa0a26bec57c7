//! `wechatpay list` and `wechatpay show`: the documented calls offline, and `show`'s example
//! line sent as is to the emulator.

mod cli_common;
use serde_json::Value;

use cli_common::run;

/// Splits a shell line with single quotes (what `show` prints).
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

#[test]
fn list_filters_by_title_path_word_and_field_name() {
    let (code, out, err) = run(&["list", "撤销"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().count() >= 5, "{out}");
    assert!(out.lines().all(|l| l.contains("撤销")), "{out}");
    assert!(out.contains("v2/secapi/pay/reverse"), "{out}");

    let (code, out, _) = run(&["list", "refund"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("POST   v3/refund/domestic/refunds"), "{out}");

    let (code, out, _) = run(&["list", "out_refund_no"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("v3/refund/domestic/refunds/{out_refund_no}"),
        "{out}"
    );
    assert!(
        out.contains("v2/pay/refundquery"),
        "a field of an APIv2 body: {out}"
    );

    let (code, out, _) = run(&["list"], &[]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1143 + 55);
    let (_, out, _) = run(&["list", "--v2"], &[]);
    assert_eq!(out.lines().count(), 126);
    let (_, out, _) = run(&["list", "--v3"], &[]);
    assert_eq!(
        out.lines().count(),
        1143 - 126,
        "the brand calls are not APIv3"
    );
    let (_, out, _) = run(&["list", "--json", "brand/"], &[]);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.iter().filter(|r| r["protocol"] == "brand").count(), 55);
    let (code, out, _) = run(
        &[
            "show",
            "GET",
            "brand/marketing/product-coupon/product-coupons/{product_coupon_id}",
        ],
        &[],
    );
    assert_eq!(code, 0);
    assert!(out.contains("WECHATPAY-BRAND-SHA256-RSA2048"), "{out}");

    let (code, out, err) = run(&["list", "refund", "no-such-word"], &[]);
    assert_eq!(code, 1, "nothing matches both: {out}");
    assert!(out.is_empty());
    assert!(err.contains("no documented call"), "{err}");
}

#[test]
fn show_prints_fields_types_enums_and_a_request_line() {
    let (code, out, err) = run(&["show", "post", "v3/refund/domestic/refunds"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("POST v3/refund/domestic/refunds\n"),
        "{out}"
    );
    assert!(out.contains("protocol:  APIv3"), "{out}");
    assert!(out.contains("mTLS:      not needed"), "{out}");
    assert!(
        out.contains("    refund "),
        "nested fields are indented: {out}"
    );
    assert!(
        out.contains("json.out_refund_no='"),
        "ids are quoted strings: {out}"
    );
    assert!(out.contains("json.amount.total:=1"), "{out}");

    // One method: the template alone is enough; APIv2 with mutual TLS and enums.
    let (code, out, err) = run(&["show", "v2/secapi/pay/reverse"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("mTLS:      required"), "{out}");
    assert!(out.contains("one of: "), "{out}");
    assert!(out.contains("security:=true"), "{out}");
    assert!(!out.contains("xml.sign="), "the client signs: {out}");

    // Encrypted fields are named.
    let (_, out, _) = run(&["show", "POST", "v3/applyment4sub/applyment/"], &[]);
    assert!(out.contains("encrypted (RSA-OAEP"), "{out}");
    assert!(out.contains("encrypted: "), "{out}");

    // A dotted chain names the same call.
    let (code, out, err) = run(
        &["show", "get", "v3.refund.domestic.refunds._out_refund_no_"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("GET v3/refund/domestic/refunds/{out_refund_no}\n"),
        "{out}"
    );

    for (args, words) in [
        (
            &["show", "GET", "v3/no/such/call"][..],
            "no documented call",
        ),
        (&["show", "nope"][..], "no documented call"),
    ] {
        let (code, out, err) = run(args, &[]);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty());
        assert!(err.contains(words), "{err}");
    }
}

/// The line `show` prints is a working command: sent to the emulator, it is answered 2xx.
#[test]
fn show_example_lines_are_accepted_by_the_emulator() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(wechatpay::mock::Server::start()).unwrap();
    let dir = std::env::temp_dir().join(format!("wechatpay-cli-cat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vars: Vec<(String, String)> = server
        .env_script(&dir)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mchid = server.merchant().mchid.clone();
    for call in [
        ["POST", "v3/refund/domestic/refunds"],
        ["GET", "v3/pay/transactions/id/{transaction_id}"],
        ["POST", "v3/pay/transactions/native"],
        ["POST", "v2/pay/orderquery"],
    ] {
        let (code, out, err) = run(&["show", call[0], call[1]], &[]);
        assert_eq!(code, 0, "{err}");
        let line = out.lines().last().unwrap().trim();
        let mut args = words(line);
        assert_eq!(args.remove(0), "wechatpay");
        // The emulator knows its own merchant only.
        for a in &mut args {
            *a = a.replace("1900000001", &mchid);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run(&args, &vars);
        assert_eq!(code, 0, "{line}: {err}");
        let _: Value = serde_json::from_str(&out).expect("a JSON answer");
        assert!(err.starts_with("200 "), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The calls `show` gives no `wechatpay request` line for, and why: multipart uploads, which the
/// command cannot send (it has no file form). The walk below fails when this list goes stale.
const NO_LINE: &[&str] = &[
    "brand/card-member/media/image-upload",
    "brand/marketing/product-coupon/media/upload-image",
    "v2/secapi/mch/uploadmedia",
    "v3/ecommerce/account/cancel-applications/media",
    "v3/global/merchant-storage/file/upload",
    "v3/marketing/bank/packages/{package_id}/tasks",
    "v3/marketing/favor/media/image-upload",
    "v3/marketing/partner/product-coupon/media/upload-image",
    "v3/marketing/shopping-receipt/shoppingreceipts",
    "v3/mch-manage/submission-files/sub-mchid/{sub_mchid}/upload",
    "v3/mch-operation-manage/enhanced-due-diligence/{due_diligence_id}/upload",
    "v3/merchant-service/images/upload",
    "v3/merchant/media/upload",
    "v3/merchant/media/video_upload",
    "v3/new-tax-control-fapiao/fapiao-applications/upload-fapiao-file",
    "v3/taxi-invoice/cards/upload-file",
];

/// Every documented call's example line (`list --examples`, the line `show` prints) run by a
/// shell against the emulator, encrypted fields through `$(wechatpay encrypt …)`: each is
/// answered 2xx, and only the calls in `NO_LINE` have a `# ` note instead.
#[test]
fn every_show_example_line_runs_against_the_emulator() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Both key modes: the certificate listing is one of the calls (a merchant with the public
    // key only has no certificate to list).
    let server = rt
        .block_on(
            wechatpay::mock::Server::builder()
                .mode(wechatpay::mock::Mode::Both)
                .same_day_bills(true)
                // The brand lines sign as brand 1001 (`wechatpay mock --brand`).
                .brand(wechatpay::mock::Brand::generate("1001").unwrap())
                .start(),
        )
        .unwrap();
    // The bill lines' example date is years back, a day WeChat Pay hands out no bill of: they
    // run for today, with an order paid and same-day bills.
    let client = server.client_builder().build().unwrap();
    rt.block_on(
        client
            .chain("v3/pay/transactions/native")
            .post(serde_json::json!({"json": {
        "appid": "wxd678efh567hg6787", "mchid": server.merchant().mchid, "description": "bill",
        "out_trade_no": "CATALOGUE-BILL", "notify_url": "http://127.0.0.1:9/",
        "amount": {"total": 1, "currency": "CNY"}}})),
    )
    .unwrap();
    let paid = server.pay("CATALOGUE-BILL").unwrap();
    let today = paid["success_time"].as_str().unwrap()[..10].to_string();
    let dir = std::env::temp_dir().join(format!("wechatpay-cli-cat-sh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut vars: Vec<(String, String)> = server
        .env_script(&dir)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_wechatpay"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    vars.push(("PATH".into(), path));
    let mchid = server.merchant().mchid.clone();
    let (code, calls, err) = run(&["list"], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, examples, err) = run(&["list", "--examples"], &[]);
    assert_eq!(code, 0, "{err}");
    let calls: Vec<(String, String)> = calls
        .lines()
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap().to_string(), w.next().unwrap().to_string())
        })
        .collect();
    let examples: Vec<&str> = examples.lines().collect();
    assert_eq!(calls.len(), examples.len());
    assert!(calls.len() > 1000, "{}", calls.len());
    // `list --examples` prints what `show` prints, over a sample.
    for i in (0..calls.len()).step_by(97) {
        let (m, t) = &calls[i];
        let (_, out, _) = run(&["show", m, t], &[]);
        assert_eq!(out.lines().last().unwrap().trim(), examples[i], "{m} {t}");
    }
    let mut noted: Vec<&str> = calls
        .iter()
        .zip(&examples)
        .filter(|(_, line)| line.starts_with("# "))
        .map(|((_, t), _)| t.as_str())
        .collect();
    // The brand API's lines sign as a brand (`--brand-id`), every one but the uploads.
    let brand = examples
        .iter()
        .filter(|l| l.starts_with("wechatpay --brand-id 1001 request "))
        .count();
    assert_eq!(brand, 53);
    noted.sort_unstable();
    let mut expected = NO_LINE.to_vec();
    expected.sort_unstable();
    assert_eq!(noted, expected, "the calls without a line changed");

    let lines: Vec<String> = examples
        .iter()
        .filter(|l| !l.starts_with("# "))
        .map(|l| l.replace("1900000001", &mchid))
        .map(|l| {
            l.replace(
                "query.bill_date='2019-06-11'",
                &format!("query.bill_date='{today}'"),
            )
            .replace(
                "xml.bill_date='2019-06-11'",
                &format!("xml.bill_date='{}'", today.replace('-', "")),
            )
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(line) = lines.get(i) else { break };
                let out = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(line)
                    .env_clear()
                    .envs(vars.iter().cloned())
                    .output()
                    .unwrap();
                if out.status.code() != Some(0) {
                    let err = String::from_utf8_lossy(&out.stderr).into_owned();
                    failed.lock().unwrap().push(format!("{line}\n  {err}"));
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap();
    assert!(
        failed.is_empty(),
        "{} of {} lines failed:\n{}",
        failed.len(),
        lines.len(),
        failed.join("\n")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn list_and_show_as_json() {
    let (code, out, err) = run(&["list", "--json", "撤销"], &[]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(rows
        .iter()
        .any(|r| r["template"] == "v2/secapi/pay/reverse" && r["protocol"] == "v2"));
    let (_, out, _) = run(&["list", "--json"], &[]);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&out).unwrap().len(),
        1143 + 55
    );

    let (code, out, err) = run(
        &["show", "--json", "POST", "v3/refund/domestic/refunds"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["protocol"], "v3");
    assert_eq!(v["mtls"], false);
    let amount = v["json"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "amount")
        .unwrap();
    assert_eq!(amount["type"], "object");
    assert!(amount["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "refund" && f["required"] == true));
    assert_eq!(v["response"]["kind"], "json");
    assert!(v["example"]
        .as_str()
        .unwrap()
        .starts_with("wechatpay request POST"));
    let (_, out, _) = run(&["show", "--json", "v2/secapi/pay/reverse"], &[]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mtls"], true);
    assert_eq!(v["response"]["kind"], "xml");
    // An upload has no line to print, and says why.
    let (_, out, _) = run(&["show", "--json", "POST", "v3/merchant/media/upload"], &[]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["example"].is_null(), "{v}");
    assert!(
        v["note"].as_str().unwrap().contains("multipart upload"),
        "{v}"
    );
    let (_, out, _) = run(&["show", "POST", "v3/merchant/media/upload"], &[]);
    assert!(out.trim_end().ends_with("with a wechatpay::Media"), "{out}");
}

/// `wechatpay list --json | head -c 100`: the reader closes the pipe long before the catalogue
/// is printed; the tool ends by SIGPIPE, as other command-line tools do, without a panic.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(["list", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}
