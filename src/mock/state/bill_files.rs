//! The bytes of WeChat Pay's bill files, as it sends them (APIv3 `billdownload/file` and APIv2
//! `downloadbill`/`downloadfundflow` alike): a UTF-8 BOM, a header row, one row per
//! transaction, refund or fund movement with every value prefixed by a backtick (so that Excel
//! keeps long numbers as text), then the summary's header and row; every line ends in CRLF, the
//! last one too. docs/emulator.md ("Bills") names the real bills this follows.

use super::store::{Order, Refund};
use crate::mock::protocol::notification::beijing_time;

/// The UTF-8 byte order mark WeChat Pay's bills start with.
pub(crate) const BOM: &str = "\u{feff}";

const TRADE_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,\
    用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,\
    退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,\
    费率备注";
const TRADE_SUMMARY: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
const FUND_HEADER: &str = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,\
    收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号";
const FUND_SUMMARY: &str = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额";

/// The emulator's service fee rate, as the bill shows it.
const RATE: &str = "0.60%";

/// Fen as yuan with two decimals (`-0.27` for -27).
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// A fee in fen as WeChat Pay's bills write fees: yuan with five decimals (`0.01000`).
fn fee(fen: i64) -> String {
    format!("{}000", yuan(fen))
}

/// The fee on `fen` at 0.60%, rounded half up to the fen.
fn fee_of(fen: i64) -> i64 {
    (fen * 6 + 500) / 1000
}

/// One line: every value behind a backtick, CRLF at the end.
fn row(out: &mut String, values: &[&str]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('`');
        // A comma or a line break would add a column or a row.
        out.push_str(&v.replace([',', '\r', '\n'], " "));
    }
    out.push_str("\r\n");
}

fn time(unix: i64) -> String {
    beijing_time(unix)[..19].replace('T', " ")
}

/// A trade bill: `orders` paid and `refunds` made that day; a refund's row carries its order's
/// fields, found in `all` (the order may be of an earlier day).
pub(crate) fn trade_bill(orders: &[Order], refunds: &[Refund], all: &[Order]) -> Vec<u8> {
    let mut out = format!("{BOM}{TRADE_HEADER}\r\n");
    let (mut total, mut refunded, mut fees) = (0i64, 0i64, 0i64);
    for o in orders {
        let charge = fee_of(o.total);
        (total, fees) = (total + o.total, fees + charge);
        row(
            &mut out,
            &[
                &time(o.success_time.unwrap_or(o.created)),
                &o.appid,
                &o.mchid,
                o.sub_mchid.as_deref().unwrap_or("0"),
                "",
                o.transaction_id.as_deref().unwrap_or(""),
                &o.out_trade_no,
                o.openid.as_deref().unwrap_or(""),
                &o.trade_type,
                "SUCCESS",
                "OTHERS",
                &o.currency,
                &yuan(o.total),
                "0.00",
                "0",
                "0",
                "0.00",
                "0.00",
                "",
                "",
                &o.description,
                o.attach.as_deref().unwrap_or(""),
                &fee(charge),
                RATE,
                &yuan(o.total),
                "0.00",
                "",
            ],
        );
    }
    for r in refunds {
        let order = all
            .iter()
            .find(|o| o.mchid == r.mchid && o.out_trade_no == r.out_trade_no);
        let of = |f: fn(&Order) -> Option<&str>| order.and_then(f).unwrap_or("");
        let sub = Some(of(|o| o.sub_mchid.as_deref())).filter(|s| !s.is_empty());
        // The fee on the refunded part is given back: a negative fee.
        let charge = -fee_of(r.refund);
        (refunded, fees) = (refunded + r.refund, fees + charge);
        row(
            &mut out,
            &[
                &time(r.created),
                of(|o| Some(o.appid.as_str())),
                &r.mchid,
                sub.unwrap_or("0"),
                "",
                &r.transaction_id,
                &r.out_trade_no,
                of(|o| o.openid.as_deref()),
                of(|o| Some(o.trade_type.as_str())),
                "REFUND",
                "OTHERS",
                &r.currency,
                "0.00",
                "0.00",
                &r.refund_id,
                &r.out_refund_no,
                &yuan(r.refund),
                "0.00",
                "ORIGINAL",
                "SUCCESS",
                of(|o| Some(o.description.as_str())),
                of(|o| o.attach.as_deref()),
                &fee(charge),
                RATE,
                "0.00",
                &yuan(r.refund),
                "",
            ],
        );
    }
    out.push_str(TRADE_SUMMARY);
    out.push_str("\r\n");
    row(
        &mut out,
        &[
            &orders.len().to_string(),
            &yuan(total),
            &yuan(refunded),
            "0.00",
            &fee(fees),
            &yuan(total),
            &yuan(refunded),
        ],
    );
    out.into_bytes()
}

/// One movement of the basic account: a payment in or a refund out.
pub(crate) struct Move {
    pub time: i64,
    /// `transaction_id` of a payment, `refund_id` of a refund.
    pub business_no: String,
    /// `out_trade_no` or `out_refund_no`.
    pub voucher: String,
    /// Fen: positive in, negative out.
    pub amount: i64,
    pub mchid: String,
}

/// A fund-flow bill of `moves` (in time order): a running balance from the day's start, and the
/// counts and sums in and out.
pub(crate) fn fundflow_bill(moves: &[Move]) -> Vec<u8> {
    let mut out = format!("{BOM}{FUND_HEADER}\r\n");
    let (mut balance, mut income, mut spent, mut ins) = (0i64, 0i64, 0i64, 0usize);
    for (n, m) in moves.iter().enumerate() {
        balance += m.amount;
        let flow_no = format!("{:028}", n + 1);
        let (amount, balance) = (yuan(m.amount.abs()), yuan(balance));
        if m.amount >= 0 {
            (income, ins) = (income + m.amount, ins + 1);
            row(
                &mut out,
                &[
                    &time(m.time),
                    &m.business_no,
                    &flow_no,
                    "交易",
                    "交易",
                    "收入",
                    &amount,
                    &balance,
                    "system",
                    "缺省",
                    &m.voucher,
                ],
            );
        } else {
            spent -= m.amount;
            row(
                &mut out,
                &[
                    &time(m.time),
                    &m.business_no,
                    &flow_no,
                    "退款",
                    "退款",
                    "支出",
                    &amount,
                    &balance,
                    &format!("{}API", m.mchid),
                    &format!("退款总金额{amount}元;含手续费0.00元"),
                    &m.voucher,
                ],
            );
        }
    }
    out.push_str(FUND_SUMMARY);
    out.push_str("\r\n");
    row(
        &mut out,
        &[
            &moves.len().to_string(),
            &ins.to_string(),
            &yuan(income),
            &(moves.len() - ins).to_string(),
            &yuan(spent),
        ],
    );
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_fees_as_the_bills_write_them() {
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(-27), "-0.27");
        assert_eq!(yuan(129_902), "1299.02");
        assert_eq!(fee(1), "0.01000");
        assert_eq!(fee(-27), "-0.27000");
        assert_eq!(fee_of(300), 2);
        assert_eq!(fee_of(83), 0);
        assert_eq!(fee_of(84), 1);
        let mut line = String::new();
        row(&mut line, &["a,b", "", "c\r\nd"]);
        assert_eq!(line, "`a b,`,`c  d\r\n");
    }

    #[test]
    fn an_empty_day_has_the_header_and_a_zero_summary() {
        let bill = String::from_utf8(trade_bill(&[], &[], &[])).unwrap();
        assert!(bill.starts_with("\u{feff}交易时间,公众账号ID,"));
        assert!(bill.ends_with("申请退款总金额\r\n`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00\r\n"));
        let fund = String::from_utf8(fundflow_bill(&[])).unwrap();
        assert!(fund.starts_with("\u{feff}记账时间,"));
        assert!(fund.ends_with("支出金额\r\n`0,`0,`0.00,`0,`0.00\r\n"));
    }
}
