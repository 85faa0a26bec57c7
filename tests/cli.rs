//! The `wechatpay` binary: `request --dry-run` prints the signed request and sends nothing.

mod cli_common;
use serde_json::Value;
use std::process::Command;

fn wechatpay(args: &[&str]) -> (i32, String, String) {
    cli_common::run(args, &cli_common::offline())
}

#[test]
fn dry_run_prints_the_signed_v3_request() {
    let (code, out, err) = wechatpay(&[
        "request",
        "--dry-run",
        "--args",
        r#"{"out_trade_no":"N 1/2","query":{"mchid":"1900000001"}}"#,
        "GET",
        "v3/pay/transactions/out-trade-no/{out_trade_no}",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["method"], "GET");
    assert_eq!(
        v["url"],
        "http://127.0.0.1:9/v3/pay/transactions/out-trade-no/N%201%2F2?mchid=1900000001"
    );
    let auth = v["headers"]["authorization"].as_str().unwrap();
    assert!(auth.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",serial_no=\"1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C\""), "{auth}");
    assert!(v["headers"]["user-agent"]
        .as_str()
        .unwrap()
        .starts_with("wechatpay-rust/"));
    assert_eq!(v["body"], Value::Null);
}

#[test]
fn dry_run_accepts_a_dotted_chain_and_a_v2_call() {
    let (code, out, err) = wechatpay(&[
        "request",
        "--dry-run",
        "--args",
        r#"{"out_bill_no":"plfk2020042013","json":{"sub_mchid":"1900001109"}}"#,
        "post",
        "v3.platsolution.ecommerce.mchTransfer.insuranceClaimBills.outBillNo._out_bill_no_.cancel",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        v["url"],
        "http://127.0.0.1:9/v3/platsolution/ecommerce/mch-transfer/insurance-claim-bills/out-bill-no/plfk2020042013/cancel"
    );
    assert_eq!(v["body"], r#"{"sub_mchid":"1900001109"}"#);

    let (code, out, err) = wechatpay(&[
        "request",
        "--dry-run",
        "--args",
        r#"{"xml":{"appid":"wxd930ea5d5a258f4f","mch_id":"1900000001","nonce_str":"ibuaiVcKdpRxkhJA"}}"#,
        "POST",
        "v2/pay/orderquery",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["url"], "http://127.0.0.1:9/pay/orderquery");
    let body = v["body"].as_str().unwrap();
    assert!(
        body.starts_with("<xml><appid>wxd930ea5d5a258f4f</appid>"),
        "{body}"
    );
    assert!(body.contains("<sign>"), "{body}");
}

#[test]
fn refusals_exit_non_zero_with_one_line_naming_the_culprit() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "{}",
            "v3/pay/transactions/id/{transaction_id}",
            "{transaction_id}",
        ),
        (
            r#"{"transaction_id":""}"#,
            "v3/pay/transactions/id/{transaction_id}",
            "{transaction_id}",
        ),
        (r#"{"use_id":"x"}"#, "v3/users/{user_id}", "use_id"),
        (r#"{"xml":{"mch_id":"1"}}"#, "v2/pay/orderquery", "mch_id"),
    ];
    for (args, path, culprit) in cases {
        let (code, out, err) = wechatpay(&["request", "--dry-run", "--args", args, "GET", path]);
        assert_eq!(code, 2, "{path} {args}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(culprit), "{err}");
    }
    let (code, _, err) = wechatpay(&["request", "--args", "not json", "GET", "v3/x"]);
    assert_eq!(code, 2);
    assert!(err.contains("--args"), "{err}");
}

/// `wechatpay mock`'s exports point `wechatpay request` at the emulator: real calls, verified.
#[test]
fn requests_against_the_emulator() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(wechatpay::mock::Server::start()).unwrap();
    let dir = std::env::temp_dir().join(format!("wechatpay-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = server.env_script(&dir).unwrap();
    let vars: Vec<(String, String)> = script
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert!(vars.iter().any(|(k, _)| k == "WECHATPAY_BASE_URI"));
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
            .args(args)
            .env_clear()
            .envs(vars.iter().cloned())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&[
        "request",
        "--args",
        r#"{"out_order_no":"X1","json":{"appid":"wx1","service_id":"1","reason":"r"}}"#,
        "POST",
        "v3.payscore.serviceorder._out_order_no_.cancel",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["out_order_no"], "X1");
    assert!(
        err.starts_with("200 "),
        "status and Request-ID on stderr: {err}"
    );
    // -v traces the call and its attempt, never the placeholder's value.
    let (code, _, err) = run(&[
        "-v",
        "request",
        "--args",
        r#"{"out_order_no":"SECRET-ORDER-9","json":{"appid":"wx1","service_id":"1","reason":"r"}}"#,
        "POST",
        "v3/payscore/serviceorder/{out_order_no}/cancel",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wechatpay.attempt"), "{err}");
    assert!(
        err.contains("template=v3/payscore/serviceorder/{out_order_no}/cancel"),
        "{err}"
    );
    assert!(!err.contains("SECRET-ORDER-9"), "{err}");

    let mchid = &server.merchant().mchid;
    let args = format!(
        r#"{{"security":true,"xml":{{"version":"1.0","appid":"wx1","mch_id":"{mchid}","sign_type":"HMAC-SHA256","out_order_no":"1","reason":"r","service_id":"1"}}}}"#
    );
    let (code, out, err) = run(&["request", "--args", &args, "POST", "v2/wxv/cancelbill"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("APIv2 answers print as JSON");
    assert_eq!(v["result_code"], "SUCCESS");
    let (code, out, err) = run(&[
        "request",
        "--raw",
        "--args",
        &args,
        "POST",
        "v2/wxv/cancelbill",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("<xml>"),
        "--raw prints the XML as it came: {out}"
    );

    server.fault(wechatpay::mock::Fault::BadSignature);
    let (code, out, err) = run(&["request", "POST", "v3/payscore/serviceorder/X2/cancel"]);
    assert_eq!(code, 1, "a failed call (not a refused one) exits 1");
    assert!(out.is_empty());
    assert!(err.contains("signature"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Every outbound class refused by `--dry-run` with exit 2 and one line naming the culprit.
#[test]
fn dry_run_refuses_each_outbound_class_with_exit_2() {
    let cases: [(&str, &str, &str, &str); 13] = [
        ("host", "{}", "https://evil.example/v3/pay", "not a URL"),
        (
            "host {+x}",
            r#"{"u":"https://evil.example/v3/x"}"#,
            "{+u}",
            "evil.example",
        ),
        ("scheme", r#"{"u":"file:///etc/passwd"}"#, "{+u}", "`file:`"),
        (
            "scheme base_uri",
            r#"{"base_uri":"http://api.mch.weixin.qq.com/"}"#,
            "v3/pay/x",
            "clear text",
        ),
        ("segment", "{}", "v3.pay..transactions", "not a path word"),
        ("template", "{}", "v3/../v2/pay/micropay", "`..`"),
        ("query in template", "{}", "v3/pay?x=1", "`?`"),
        ("fragment", "{}", "v3/pay/a#b", "`#`"),
        (
            "header",
            r#"{"headers":{"Host":"evil.example"}}"#,
            "v3/pay/x",
            "headers.Host",
        ),
        (
            "header length",
            r#"{"headers":{"Content-Length":"0"}}"#,
            "v3/pay/x",
            "headers.Content-Length",
        ),
        (
            "number in --args",
            r#"{"transaction_id":4200000000000000000000000000}"#,
            "v3/pay/transactions/id/{transaction_id}",
            "\"4200000000000000000000000000\"",
        ),
        (
            "float id in --args",
            r#"{"transaction_id":1.5}"#,
            "v3/pay/transactions/id/{transaction_id}",
            "not an exact integer",
        ),
        (
            "proxy header",
            r#"{"headers":{"Proxy-Authorization":"x"}}"#,
            "v3/pay/x",
            "headers.Proxy-Authorization",
        ),
    ];
    for (class, args, path, words) in cases {
        let (code, out, err) = wechatpay(&["request", "--dry-run", "--args", args, "GET", path]);
        assert_eq!(code, 2, "{class}: {err}");
        assert!(out.is_empty(), "{class}: printed {out}");
        assert_eq!(err.lines().count(), 1, "{class}: {err}");
        assert!(err.starts_with("error: "), "{class}: {err}");
        assert!(err.contains(words), "{class}: {err}");
    }
}

#[test]
fn help_documents_the_exit_codes() {
    let (code, out, _) = wechatpay(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Exit codes"), "{out}");
    assert!(out.contains("2  nothing was sent"), "{out}");
    assert!(out.contains("3  WeChat Pay refused the call"), "{out}");
    assert!(out.contains("the worst of its attempts"), "{out}");
}

/// The exit code is the call's outcome: a connection that could never be made (the offline
/// profile's base is 127.0.0.1:9, where nothing listens) sent nothing, after every retry: 2.
#[test]
fn a_call_that_could_not_connect_exits_2() {
    let (code, out, err) = wechatpay(&[
        "request",
        "--args",
        r#"{"query":{"mchid":"1900000001"}}"#,
        "GET",
        "v3/pay/transactions/id/4200000000000000000",
    ]);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("could not connect"), "{err}");
    assert_eq!(code, 2, "{err}");
}
