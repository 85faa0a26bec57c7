//! The emulator's bills byte for byte as WeChat Pay sends them (UTF-8 BOM, CRLF line ends,
//! backtick-prefixed values, header and summary rows), over APIv3 and APIv2. Over real sockets,
//! against `wechatpay::mock`. The `bill_date` refusals: `tests/bill_dates.rs`.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use wechatpay::mock::Server;
use wechatpay::Client;

const TRADE_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const TRADE_SUMMARY: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
const FUND_HEADER: &str = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号";
const FUND_SUMMARY: &str = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额";

/// An emulator that hands out today's bills, with one order (`F1`, 3.00, attach `a1`) paid and
/// refunded in part (`FR1`, 1.00); today's date.
async fn a_day_of_business() -> (Server, Client, String) {
    let server = Server::builder()
        .same_day_bills(true)
        .start()
        .await
        .unwrap();
    let client = server.client_builder().build().unwrap();
    client
        .chain("v3/pay/transactions/jsapi")
        .post(json!({"json": {
            "appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "账单测试",
            "out_trade_no": "F1", "attach": "a1", "notify_url": "http://127.0.0.1:9/",
            "amount": {"total": 300, "currency": "CNY"}, "payer": {"openid": "oF1"},
        }}))
        .await
        .unwrap();
    let paid = server.pay("F1").unwrap();
    client
        .chain("v3/refund/domestic/refunds")
        .post(
            json!({"json": {"out_trade_no": "F1", "out_refund_no": "FR1",
            "amount": {"refund": 100, "total": 300, "currency": "CNY"}}}),
        )
        .await
        .unwrap();
    let today = paid["success_time"].as_str().unwrap()[..10].to_string();
    (server, client, today)
}

/// The file a v3 bill call hands out.
async fn v3_file(client: &Client, path: &str, query: Value) -> Vec<u8> {
    let handed = client
        .chain(path)
        .get(json!({ "query": query }))
        .await
        .unwrap()
        .json()
        .unwrap();
    let digest = json!({"hash_type": handed["hash_type"], "hash_value": handed["hash_value"]});
    client
        .chain("{+download_url}")
        .get(json!({"download_url": handed["download_url"], "digest": digest}))
        .await
        .unwrap()
        .body()
        .to_vec()
}

/// The lines of a bill after checking its framing: a BOM first, every line ended by CRLF (the
/// last one too, no bare LF or CR), the header, `rows` rows of `columns` backticked values, the
/// summary header and its backticked row.
fn lines_of(bill: &[u8], header: &str, summary: &str, columns: usize) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bill).unwrap();
    let body = text.strip_prefix('\u{feff}').expect("a UTF-8 BOM first");
    assert!(body.ends_with("\r\n"), "{body:?}");
    let lines: Vec<&str> = body[..body.len() - 2].split("\r\n").collect();
    for l in &lines {
        assert!(!l.contains(['\r', '\n']), "a bare CR or LF in {l:?}");
    }
    assert_eq!(lines[0], header);
    assert_eq!(lines[lines.len() - 2], summary);
    let values = |l: &str| -> Vec<String> {
        l.split(',')
            .map(|v| {
                v.strip_prefix('`')
                    .unwrap_or_else(|| panic!("a value without its backtick in {l:?}"))
                    .to_string()
            })
            .collect()
    };
    let rows: Vec<Vec<String>> = lines[1..lines.len() - 2]
        .iter()
        .map(|l| values(l))
        .collect();
    for r in &rows {
        assert_eq!(r.len(), columns, "{r:?}");
    }
    let mut out = rows;
    out.push(values(lines[lines.len() - 1]));
    out
}

#[test]
fn the_framing_checked_is_that_of_a_real_bill() {
    // A bill WeChat Pay sent (wechatpay-axios-plugin's fixture): the checks below hold for it.
    let real = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bill.ALL.csv"
    ))
    .unwrap();
    let rows = lines_of(&real, TRADE_HEADER, TRADE_SUMMARY, 27);
    assert_eq!(rows.len(), 46);
}

#[tokio::test]
async fn the_v3_trade_bill_is_wechat_pay_s_file() {
    let (_server, client, today) = a_day_of_business().await;
    let bill = v3_file(
        &client,
        "v3/bill/tradebill",
        json!({"bill_date": today, "bill_type": "ALL"}),
    )
    .await;
    let rows = lines_of(&bill, TRADE_HEADER, TRADE_SUMMARY, 27);
    let (paid, refund, summary) = (&rows[0], &rows[1], &rows[2]);
    assert_eq!(rows.len(), 3);
    assert_eq!(paid[0].len(), 19, "yyyy-MM-dd HH:mm:ss: {paid:?}");
    assert_eq!(
        &paid[1..],
        [
            "wxd678efh567hg6787",
            "1900000001",
            "0",
            "",
            &paid[5],
            "F1",
            "oF1",
            "JSAPI",
            "SUCCESS",
            "OTHERS",
            "CNY",
            "3.00",
            "0.00",
            "0",
            "0",
            "0.00",
            "0.00",
            "",
            "",
            "账单测试",
            "a1",
            "0.02000",
            "0.60%",
            "3.00",
            "0.00",
            "",
        ]
    );
    // A refund's row carries its order's fields, and gives back the fee on the part refunded.
    assert_eq!(
        &refund[1..],
        [
            "wxd678efh567hg6787",
            "1900000001",
            "0",
            "",
            &paid[5],
            "F1",
            "oF1",
            "JSAPI",
            "REFUND",
            "OTHERS",
            "CNY",
            "0.00",
            "0.00",
            &refund[14],
            "FR1",
            "1.00",
            "0.00",
            "ORIGINAL",
            "SUCCESS",
            "账单测试",
            "a1",
            "-0.01000",
            "0.60%",
            "0.00",
            "1.00",
            "",
        ]
    );
    assert_eq!(
        summary,
        &["1", "3.00", "1.00", "0.00", "0.01000", "3.00", "1.00"]
    );
    // SUCCESS and REFUND bills: the same file with the other rows left out.
    let success = v3_file(
        &client,
        "v3/bill/tradebill",
        json!({"bill_date": today, "bill_type": "SUCCESS"}),
    )
    .await;
    assert_eq!(lines_of(&success, TRADE_HEADER, TRADE_SUMMARY, 27).len(), 2);
}

#[tokio::test]
async fn the_v3_fund_flow_bill_is_wechat_pay_s_file() {
    let (_server, client, today) = a_day_of_business().await;
    let bill = v3_file(&client, "v3/bill/fundflowbill", json!({"bill_date": today})).await;
    let rows = lines_of(&bill, FUND_HEADER, FUND_SUMMARY, 11);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        &rows[0][3..],
        ["交易", "交易", "收入", "3.00", "3.00", "system", "缺省", "F1"]
    );
    assert_eq!(
        &rows[1][3..],
        [
            "退款",
            "退款",
            "支出",
            "1.00",
            "2.00",
            "1900000001API",
            "退款总金额1.00元;含手续费0.00元",
            "FR1"
        ]
    );
    assert_eq!(rows[2], ["2", "1", "3.00", "1", "1.00"]);
}

#[tokio::test]
async fn the_v2_bills_are_the_same_files() {
    let (_server, client, today) = a_day_of_business().await;
    let v3 = v3_file(
        &client,
        "v3/bill/tradebill",
        json!({"bill_date": today, "bill_type": "ALL"}),
    )
    .await;
    let compact = today.replace('-', "");
    let v2 = client
        .chain("v2/pay/downloadbill")
        .post(
            json!({"xml": {"appid": "wxd678efh567hg6787", "mch_id": "1900000001",
            "bill_date": compact, "bill_type": "ALL"}}),
        )
        .await
        .unwrap();
    assert_eq!(v2.body().as_ref(), v3.as_slice());
    let fund_v3 = v3_file(&client, "v3/bill/fundflowbill", json!({"bill_date": today})).await;
    let fund_v2 = client
        .chain("v2/pay/downloadfundflow")
        .post(
            json!({"security": true, "xml": {"appid": "wxd678efh567hg6787",
            "mch_id": "1900000001", "sign_type": "HMAC-SHA256", "bill_date": compact,
            "account_type": "Basic"}}),
        )
        .await
        .unwrap();
    assert_eq!(fund_v2.body().as_ref(), fund_v3.as_slice());
    lines_of(fund_v2.body(), FUND_HEADER, FUND_SUMMARY, 11);
}
