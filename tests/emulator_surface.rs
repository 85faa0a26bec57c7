//! Every documented WeChat Pay call (the 1,143 of `src/catalogue/catalogue.json`) sent through the
//! crate's client to the emulator, with the required fields of its tables: each must be
//! answered, verified by the client, and in the documented shape. Then the refusals: a missing
//! nested field, an enum violation, a wrong type, a bad ciphertext, an APIv2 missing field.
#![cfg(feature = "mock")]

use serde_json::{json, Map, Value};
use wechatpay::http::Method;
use wechatpay::mock::{Mode, Server};
use wechatpay::{Client, Error, Media};

const CATALOGUE: &str = include_str!("../src/catalogue/catalogue.json");

/// Calls the crate's client cannot take as documented, each with the reason; every other call
/// must pass every check.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// `[name, type, flags, enum, children]` of the catalogue.
struct Row<'a>(&'a Value);

impl<'a> Row<'a> {
    fn name(&self) -> &'a str {
        self.0[0].as_str().unwrap()
    }
    fn kind(&self) -> &'a str {
        self.0[1].as_str().unwrap()
    }
    fn flags(&self) -> &'a str {
        self.0.get(2).and_then(Value::as_str).unwrap_or("")
    }
    fn required(&self) -> bool {
        self.flags().contains('r')
    }
    fn encrypted(&self) -> bool {
        self.flags().contains('x')
    }
    fn first_enum(&self) -> Option<&'a str> {
        self.0
            .get(3)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
    }
    fn children(&self) -> Vec<Row<'a>> {
        self.0
            .get(4)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(Row).collect())
            .unwrap_or_default()
    }
}

struct Builder<'a> {
    client: &'a Client,
    mchid: String,
    /// The `Wechatpay-Serial` an encrypted field asks for.
    serial: Option<String>,
    /// A day with a bill (`yyyy-MM-dd`), for `bill_date`: the emulator refuses a made-up one
    /// as WeChat Pay does.
    bill_day: String,
    v2: bool,
}

impl Builder<'_> {
    /// An object of the required rows (the first of rows sharing a name), skipping `skip`.
    fn object(&mut self, rows: &[Row], skip: &[&str], text: bool) -> Map<String, Value> {
        let mut out = Map::new();
        for row in rows {
            if !row.required() || out.contains_key(row.name()) || skip.contains(&row.name()) {
                continue;
            }
            let v = self.value(row, text);
            out.insert(row.name().to_string(), v);
        }
        out
    }

    /// An example value of the row's type (text: APIv2 and query values are strings).
    fn value(&mut self, row: &Row, text: bool) -> Value {
        if matches!(row.name(), "mch_id" | "mchid" | "combine_mch_id") {
            return json!(self.mchid);
        }
        if row.name() == "bill_date" && !self.bill_day.is_empty() {
            return json!(if self.v2 {
                self.bill_day.replace('-', "")
            } else {
                self.bill_day.clone()
            });
        }
        let v = match row.kind() {
            "object" => Value::Object(self.object(&row.children(), &[], false)),
            "object[]" => json!([Value::Object(self.object(&row.children(), &[], false))]),
            "string[]" => json!([self.string(row)]),
            "integer[]" | "number[]" => json!([1]),
            "integer" | "number" | "float" => match row.first_enum() {
                Some(e) => serde_json::from_str(e).unwrap_or(json!(1)),
                None => json!(1),
            },
            "boolean" => match row.first_enum() {
                Some("false") => json!(false),
                _ => json!(true),
            },
            _ => Value::String(self.string(row)),
        };
        match (text, v) {
            (true, Value::String(s)) => Value::String(s),
            (true, Value::Object(o)) if !row.children().is_empty() => {
                Value::String(Value::Object(o).to_string())
            }
            (true, other) if !other.is_object() && !other.is_array() => {
                Value::String(other.to_string())
            }
            (true, other) => Value::String(other.to_string()),
            (false, v) => v,
        }
    }

    fn string(&mut self, row: &Row) -> String {
        if let Some(e) = row.first_enum() {
            return e.to_string();
        }
        if row.encrypted() {
            let e = self.client.encrypt("张三").unwrap();
            self.serial = Some(e.serial);
            return e.ciphertext;
        }
        if !row.children().is_empty() {
            return Value::Object(self.object(&row.children(), &[], false)).to_string();
        }
        let name = row.name();
        if matches!(name, "mch_id" | "mchid" | "combine_mch_id") {
            return self.mchid.clone();
        }
        if name.ends_with("appid") {
            return "wxd678efh567hg6787".into();
        }
        "example".into()
    }
}

fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .filter(|s| *s != "empty")
        .collect()
}

/// What is sent for one documented call.
struct Plan {
    method: Method,
    template: String,
    args: Value,
    media: Option<Media>,
}

fn plan(client: &Client, e: &Value, bill_day: &str) -> Plan {
    let method = Method::from_bytes(e[0].as_str().unwrap().to_uppercase().as_bytes()).unwrap();
    let template = e[1].as_str().unwrap();
    let v2 = e[2] == "v2";
    let req = &e[4];
    let mut b = Builder {
        client,
        mchid: client.mchid().to_string(),
        serial: None,
        bill_day: bill_day.to_string(),
        v2,
    };
    let holes = placeholders(template);
    let mut args = Map::new();
    for hole in &holes {
        let row = req["path"]
            .as_array()
            .and_then(|p| p.iter().map(Row).find(|r| r.name() == *hole));
        // APIv2 placeholders stand for literal path words (`secapi/mch/{queryinstitutionsub}`).
        let value = match row.and_then(|r| r.first_enum()) {
            Some(e) => e,
            None if v2 => hole,
            None => "1900000109",
        };
        args.insert(hole.to_string(), json!(value));
    }
    let table = |k: &str| req.get(k).map(|t| Row(t).children());
    if let Some(rows) = table("json") {
        args.insert("json".into(), Value::Object(b.object(&rows, &holes, false)));
    }
    if let Some(rows) = table("query") {
        let mut q = b.object(&rows, &holes, true);
        if v2 && method == Method::GET {
            q.shift_remove("sign");
            q.shift_remove("nonce_str");
            q.insert("mch_id".into(), json!(b.mchid));
        }
        args.insert("query".into(), Value::Object(q));
    }
    if let Some(rows) = table("xml") {
        let mut x = b.object(&rows, &holes, true);
        x.shift_remove("sign");
        x.shift_remove("nonce_str");
        if !["mch_id", "mchid", "combine_mch_id"]
            .iter()
            .any(|k| x.contains_key(*k))
        {
            x.insert("mch_id".into(), json!(b.mchid));
        }
        args.insert("xml".into(), Value::Object(x));
    }
    let mut media = None;
    if let Some(rows) = table("body") {
        let meta = rows
            .iter()
            .find(|r| r.name() == "meta")
            .map(|r| Value::Object(b.object(&r.children(), &[], false)));
        if v2 {
            // APIv2 upload: its signed text fields, sent as the XML (the client has no APIv2
            // multipart form; the emulator reads the fields from either).
            let mut fields = b.object(&rows, &["media", "sign", "nonce_str"], true);
            fields.insert("mch_id".into(), json!(b.mchid));
            fields
                .entry("sign_type")
                .or_insert_with(|| json!("HMAC-SHA256"));
            args.insert("xml".into(), Value::Object(fields));
        } else {
            media = Some(
                Media::new("a.png", b"\x89PNG\r\n\x1a\nemulated".to_vec())
                    .with_meta(meta.unwrap_or(json!({})))
                    .unwrap(),
            );
        }
    }
    let mut headers = Map::new();
    if let Some(rows) = table("headers") {
        for row in rows.iter().filter(|r| r.required()) {
            let value = match row.name() {
                "Wechatpay-Serial" => b
                    .serial
                    .clone()
                    .unwrap_or_else(|| client.encrypt("x").unwrap().serial),
                _ => "emulated-1".to_string(),
            };
            headers.insert(row.name().to_string(), json!(value));
        }
    }
    if let Some(serial) = &b.serial {
        headers.insert("Wechatpay-Serial".into(), json!(serial));
    }
    if !headers.is_empty() {
        args.insert("headers".into(), Value::Object(headers));
    }
    for option in ["security", "nonceless"] {
        if req["options"]
            .as_array()
            .is_some_and(|o| o.iter().any(|r| r[0] == option))
        {
            args.insert(option.into(), json!(true));
        }
    }
    Plan {
        method,
        template: template.replace("{empty}", ""),
        args: Value::Object(args),
        media,
    }
}

/// Why the value does not have the documented shape, if it does not.
fn shape(rows: &[Row], got: &Map<String, Value>, at: &str, text: bool) -> Result<(), String> {
    for row in rows.iter().filter(|r| r.required()) {
        // `coupon_fee_$n` is the documentation's device for `coupon_fee_0`…
        let key = row.name().replace("$n", "0").replace("$m", "0");
        let name = format!("{at}{key}");
        let Some(v) = got.get(&key) else {
            return Err(format!("{name} missing"));
        };
        if text {
            continue;
        }
        let fits = match (row.kind(), v) {
            ("string", Value::String(_)) => true,
            ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
            ("number" | "float", Value::Number(_)) => true,
            ("boolean", Value::Bool(_)) => true,
            ("object", Value::Object(inner)) => {
                shape(&row.children(), inner, &format!("{name}."), false)?;
                true
            }
            ("object[]", Value::Array(items)) => {
                for item in items {
                    let inner = item.as_object().ok_or(format!("{name}[] not objects"))?;
                    shape(&row.children(), inner, &format!("{name}[]."), false)?;
                }
                true
            }
            ("string[]", Value::Array(items)) => items.iter().all(Value::is_string),
            ("integer[]" | "number[]", Value::Array(items)) => items.iter().all(Value::is_number),
            (kind, _) => !matches!(
                kind,
                "string" | "integer" | "number" | "boolean" | "object" | "object[]"
            ),
        };
        if !fits {
            return Err(format!("{name}: expected {}, got {v}", row.kind()));
        }
        if let (Some(_), Value::String(s)) = (row.first_enum(), v) {
            let allowed = row.0[3].as_array().unwrap();
            if !allowed.iter().any(|a| a == s) {
                return Err(format!("{name}: {s} is not a documented value"));
            }
        }
    }
    Ok(())
}

#[derive(Default, Debug)]
struct Counts {
    sent: usize,
    answered: usize,
    verified: usize,
    shaped: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_call_is_answered_verified_and_shaped() {
    // Both key modes: the certificate listing is one of the calls (a merchant with the public
    // key only has no certificate to list). A paid order and same-day bills, so that the bill calls have a day with a bill.
    let server = Server::builder()
        .mode(Mode::Both)
        .same_day_bills(true)
        .start()
        .await
        .unwrap();
    let client = server.client_builder().build().unwrap();
    client
        .chain("v3/pay/transactions/native")
        .post(
            json!({"json": {"appid": "wxd678efh567hg6787", "mchid": client.mchid(),
            "description": "bill", "out_trade_no": "SURFACE-BILL",
            "notify_url": "http://127.0.0.1:9/", "amount": {"total": 1, "currency": "CNY"}}}),
        )
        .await
        .unwrap();
    let paid = server.pay("SURFACE-BILL").unwrap();
    let bill_day = paid["success_time"].as_str().unwrap()[..10].to_string();
    server.clear_journal();
    let endpoints: Vec<Value> = serde_json::from_str(CATALOGUE).unwrap();
    assert_eq!(endpoints.len(), 1143);
    let mut counts = Counts::default();
    let mut problems = Vec::new();
    for batch in endpoints.chunks(24) {
        let calls = batch.iter().map(|e| {
            let client = client.clone();
            let bill_day = bill_day.clone();
            async move {
                let p = plan(&client, e, &bill_day);
                let chain = client.chain(&p.template);
                let res = match &p.media {
                    Some(m) => chain.upload(m, p.args.clone()).await,
                    None => chain.request(p.method.clone(), p.args.clone()).await,
                };
                (e, p, res)
            }
        });
        for (e, p, res) in futures_util::future::join_all(calls).await {
            counts.sent += 1;
            let id = format!("{} {}", p.method, p.template);
            let exception = EXCEPTIONS.iter().any(|(m, t, _)| e[0] == *m && e[1] == *t);
            let res = match res {
                Ok(res) => res,
                Err(err) => {
                    let not_found = matches!(&err, Error::Api { status, .. } if status.as_u16() == 404)
                        || err.to_string().contains("invalid url");
                    if !not_found {
                        counts.answered += 1;
                    }
                    if !exception {
                        problems.push(format!("{id}: {err}"));
                    }
                    continue;
                }
            };
            counts.answered += 1;
            counts.verified += 1;
            let resp = &e[5];
            let rows: Vec<Row> = resp["f"]
                .as_array()
                .map(|a| a.iter().map(Row).collect())
                .unwrap_or_default();
            let shaped = match resp["k"].as_str().unwrap() {
                "json" => res.json().map_err(|e| e.to_string()).and_then(|v| match v {
                    Value::Object(m) => shape(&rows, &m, "", false),
                    other => Err(format!("not an object: {other}")),
                }),
                "xml" => res
                    .xml()
                    .map_err(|e| e.to_string())
                    .and_then(|m| shape(&rows, &m, "", true)),
                "empty" => {
                    let want = resp["s"].as_u64().unwrap();
                    if res.status().as_u16() as u64 == want && res.body().is_empty() {
                        Ok(())
                    } else {
                        Err(format!("expected an empty {want}, got {}", res.status()))
                    }
                }
                _ if !res.body().is_empty() => Ok(()),
                _ => Err("an empty file".into()),
            };
            match shaped {
                Ok(()) => counts.shaped += 1,
                Err(why) => problems.push(format!("{id}: shape: {why}")),
            }
        }
    }
    eprintln!(
        "{} sent, {} answered, {} verified, {} shaped ({} documented exceptions)",
        counts.sent,
        counts.answered,
        counts.verified,
        counts.shaped,
        EXCEPTIONS.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let n = 1143;
    assert_eq!((counts.sent, counts.answered), (n, n));
    assert_eq!(counts.verified, n - EXCEPTIONS.len());
    assert_eq!(counts.shaped, n - EXCEPTIONS.len());
    // Every call was journaled as verified by the emulator too.
    let journal = server.journal();
    assert_eq!(journal.len(), n);
    assert!(journal.iter().all(|r| r.verified), "an unverified request");
}

/// The `code` and `message` of an APIv3 refusal.
fn refusal(res: wechatpay::Result<wechatpay::Response>) -> (u16, String, String) {
    match res {
        Err(Error::Api {
            status,
            code,
            message,
            ..
        }) => (
            status.as_u16(),
            code.unwrap_or_default(),
            message.unwrap_or_default(),
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn jsapi(amount: Value, payer: Value) -> Value {
    json!({"json": {
        "appid": "wxd678efh567hg6787", "mchid": "1900000001", "description": "Image形象店-深圳腾大-QQ公仔",
        "out_trade_no": "1217752501201407033233368018", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
        "amount": amount, "payer": payer,
    }})
}

#[tokio::test]
async fn refusals_name_the_field() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let pay = client.chain("v3/pay/transactions/jsapi");
    let payer = json!({"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"});

    // The good call, then each defect alone.
    let ok = pay
        .post(jsapi(
            json!({"total": 100, "currency": "CNY"}),
            payer.clone(),
        ))
        .await
        .unwrap();
    assert!(ok.json().unwrap()["prepay_id"]
        .as_str()
        .unwrap()
        .starts_with("wx"));

    let (status, code, message) = refusal(
        pay.post(jsapi(json!({"currency": "CNY"}), payer.clone()))
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "PARAM_ERROR"));
    assert!(message.contains("amount.total"), "{message}");

    let (status, code, message) = refusal(
        pay.post(jsapi(json!({"total": "100"}), payer.clone()))
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "PARAM_ERROR"));
    assert!(
        message.contains("amount.total") && message.contains("integer"),
        "{message}"
    );

    let mut args = jsapi(json!({"total": 100}), payer.clone());
    args["json"]["limit_pay"] = json!(["no_credit", "cash"]);
    let (status, code, message) = refusal(pay.post(args).await);
    assert_eq!((status, code.as_str()), (400, "PARAM_ERROR"));
    assert!(
        message.contains("limit_pay[1]") && message.contains("no_balance"),
        "{message}"
    );

    // A sensitive field that the emulator cannot decrypt.
    let serial = client.encrypt("x").unwrap().serial;
    let receiver = |name: &str| {
        json!({"headers": {"Wechatpay-Serial": serial}, "json": {
            "appid": "wxd678efh567hg6787", "type": "MERCHANT_ID", "account": "86693852",
            "name": name, "relation_type": "STORE",
        }})
    };
    let add = client.chain("v3/profitsharing/receivers/add");
    let good = client.encrypt("示例商户全称").unwrap().ciphertext;
    add.post(receiver(&good)).await.unwrap();
    let (status, code, message) = refusal(add.post(receiver("bm90IGNpcGhlcnRleHQ=")).await);
    assert_eq!((status, code.as_str()), (400, "PARAM_ERROR"));
    assert!(
        message.contains("name") && message.contains("RSA-OAEP"),
        "{message}"
    );

    // A scripted answer wins over the checks and the default.
    server.on(
        "POST",
        "v3/pay/transactions/jsapi",
        wechatpay::mock::Answer::json(200, json!({"prepay_id": "wx1"})),
    );
    let res = pay.post(jsapi(json!({}), payer)).await.unwrap();
    assert_eq!(res.json().unwrap(), json!({"prepay_id": "wx1"}));

    // A required header missing.
    let build = client.chain("v3/marketing/partnerships/build");
    let partnership = |headers: Value| {
        json!({"headers": headers, "json": {
            "partner": {"type": "APPID", "appid": "wxd678efh567hg6787"},
            "authorized_data": {"business_type": "FAVOR_STOCK"},
        }})
    };
    build
        .post(partnership(json!({"Idempotency-Key": "12345"})))
        .await
        .unwrap();
    let (status, code, message) = refusal(build.post(partnership(json!({}))).await);
    assert_eq!((status, code.as_str()), (400, "PARAM_ERROR"));
    assert!(message.contains("Idempotency-Key"), "{message}");

    // An undocumented path is 404 NOT_FOUND.
    let (status, code, _) = refusal(client.chain("v3/no/such/call").get(json!({})).await);
    assert_eq!((status, code.as_str()), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn apiv2_refusals_are_fail_answers() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let orderquery = client.chain("v2/pay/orderquery");
    let query = |xml: Value| orderquery.post(json!({ "xml": xml }));
    let good = json!({"appid": "wxd678efh567hg6787", "mch_id": "1900000001", "out_trade_no": "T1"});
    let answer = query(good.clone()).await.unwrap();
    let fields = answer.xml().unwrap();
    assert_eq!(fields["out_trade_no"], "T1");
    let again = query(good.clone()).await.unwrap();
    // The same request, the same fields, but for the time of the call (and so the `sign`).
    let timeless = |mut f: serde_json::Map<String, Value>| {
        f.retain(|k, _| k != "sign" && !k.starts_with("time_"));
        f
    };
    assert_eq!(
        timeless(fields.clone()),
        timeless(again.xml().unwrap()),
        "the same request, the same answer"
    );
    assert_eq!(fields["result_code"], "SUCCESS");

    // A required field missing: a communication failure naming it.
    let missing = json!({"mch_id": "1900000001", "out_trade_no": "T1"});
    match query(missing).await {
        Err(Error::V2Failure { fields, .. }) => {
            assert_eq!(fields["return_code"], "FAIL");
            let msg = fields["return_msg"].as_str().unwrap();
            assert!(msg.contains("appid"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    // A value outside the enum: a business failure, PARAM_ERROR naming it.
    let mut bad = good;
    bad["sign_type"] = json!("MD5");
    let res = client
        .chain("v2/wxv/cancelbill")
        .post(json!({"security": true, "xml": {
            "version": "2.0", "appid": "wx1", "mch_id": "1900000001", "sign_type": "HMAC-SHA256",
            "out_order_no": "1", "reason": "r", "service_id": "1",
        }}))
        .await;
    match res {
        Err(Error::V2Failure { fields, .. }) => {
            assert_eq!(fields["return_code"], "SUCCESS");
            assert_eq!(fields["result_code"], "FAIL");
            assert_eq!(fields["err_code"], "PARAM_ERROR");
            assert!(fields["err_code_des"].as_str().unwrap().contains("version"));
        }
        other => panic!("{other:?}"),
    }
    query(bad).await.unwrap();
}

#[tokio::test]
async fn answers_are_deterministic_and_in_wechat_formats() {
    let server = Server::start().await.unwrap();
    let client = server.client_builder().build().unwrap();
    let by_out_trade_no = client.chain("v3/pay/transactions/out-trade-no/{out_trade_no}");
    let query = || {
        by_out_trade_no.get(
            json!({"out_trade_no": "1217752501201407033233368018", "query": {"mchid": "1900000001"}}),
        )
    };
    let first = query().await.unwrap().json().unwrap();
    let again = query().await.unwrap().json().unwrap();
    // Times are the call's own; everything else is derived from the request.
    let timeless = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut()
            .unwrap()
            .retain(|k, _| !k.ends_with("_time") && !k.starts_with("time_"));
        v
    };
    assert_eq!(
        timeless(&first),
        timeless(&again),
        "the same request, the same answer"
    );
    assert_eq!(first["out_trade_no"], "1217752501201407033233368018");
    assert_eq!(first["mchid"], "1900000001");
    let id = first["transaction_id"].as_str().unwrap();
    assert!(id.len() == 28 && id.starts_with("4200") && id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(first["trade_state"], "SUCCESS");
    let other = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({"out_trade_no": "T2", "query": {"mchid": "1900000001"}}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_ne!(other["transaction_id"], first["transaction_id"]);
    if let Some(t) = first["success_time"].as_str() {
        assert!(t.ends_with("+08:00") && t.len() == 25, "{t}");
    }
    assert!(first["amount"]["total"].is_i64());

    // A sensitive answer field is ciphertext the merchant's key opens.
    let res = client
        .chain("v3/fund-app/mch-transfer/transfer-to-qq-wallet-bills/{out_bill_no}/cancel")
        .post(json!({"out_bill_no": "plfk2020042013"}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(res["out_bill_no"], "plfk2020042013");
    if let Some(name) = res["user_name"].as_str() {
        assert_eq!(client.decrypt(name).unwrap(), "emulated");
    }
}

/// The embedded catalogue matches the documentation tables it was generated from, where they are
/// at hand (CI has `../shared`; `WECHATPAY_ENDPOINTS` names another copy).
#[test]
fn the_catalogue_matches_its_source_when_present() {
    let path = std::env::var("WECHATPAY_ENDPOINTS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/emulator/endpoints.jsonl"
        )
        .to_string()
    });
    let Ok(source) = std::fs::read_to_string(&path) else {
        eprintln!("{path} not found: skipped");
        return;
    };
    let catalogue: Vec<Value> = serde_json::from_str(CATALOGUE).unwrap();
    let mut ours: Vec<(String, String, String)> = catalogue
        .iter()
        .map(|e| (e[0].to_string(), e[1].to_string(), e[2].to_string()))
        .collect();
    let mut theirs: Vec<(String, String, String)> = source
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            (
                e["method"].to_string(),
                e["template"].to_string(),
                e["protocol"].to_string(),
            )
        })
        .collect();
    ours.sort();
    theirs.sort();
    assert_eq!(
        ours, theirs,
        "regenerate with tests/fixtures/catalogue/generate.py"
    );
}
