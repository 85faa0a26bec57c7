//! The field checks against hand-made tables: the documentation defects, nested names.

use super::*;
use serde_json::json;

fn field(name: &str, kind: &str, required: bool, children: Vec<Field>) -> Field {
    Field {
        name: name.into(),
        kind: kind.into(),
        required,
        children,
        ..Field::default()
    }
}

fn check_rows(fields: &[Field], sent: Value, form: Form) -> Checked {
    let key = crate::crypto::PrivateKey::from_pem(include_str!(
        "../../../tests/fixtures/client/wechatpay_key.pem"
    ))
    .unwrap();
    let public = key.public_key();
    let sensitive = Sensitive::Rsa {
        merchant: &public,
        platform: &key,
    };
    let ctx = Ctx {
        key: &sensitive,
        encrypted_seen: std::cell::Cell::new(false),
        placeholders: vec!["out_batch_no"],
    };
    rows(&ctx, fields, sent.as_object().unwrap(), "", form, true)
}

#[test]
fn documentation_defects_never_refuse() {
    // A placeholder listed as a query row: its value is in the path.
    let placeholder = [field("out_batch_no", "string", true, vec![])];
    assert!(check_rows(&placeholder, json!({}), Form::Text).is_ok());
    // Alternative rows sharing a name: the second's shape is not held against the first.
    let scene = [
        field("scene_info", "string", true, vec![]),
        field("scene_info", "object", true, vec![]),
    ];
    assert!(check_rows(&scene, json!({"scene_info": "{}"}), Form::Text).is_ok());
    assert!(
        check_rows(&scene, json!({}), Form::Text)
            .unwrap_err()
            .missing
    );
    // `out_trade_no` stands in for a `transaction_id` marked required.
    let ids = [
        field("transaction_id", "string", true, vec![]),
        field("out_trade_no", "string", false, vec![]),
    ];
    assert!(check_rows(&ids, json!({"out_trade_no": "T1"}), Form::Text).is_ok());
    assert!(check_rows(&ids, json!({}), Form::Text).is_err());
    // The APIv2 `sign` and `nonce_str` rows are the client's.
    let signed = [field("sign", "string", true, vec![])];
    assert!(check_rows(&signed, json!({}), Form::Text).is_ok());
}

#[test]
fn refusals_name_nested_fields() {
    let goods = field(
        "goods",
        "object[]",
        true,
        vec![field("quantity", "integer", true, vec![])],
    );
    let detail = [field("detail", "object", true, vec![goods])];
    let err = check_rows(&detail, json!({"detail": {"goods": [{}]}}), Form::Json).unwrap_err();
    assert_eq!(err.field, "detail.goods[0].quantity");
    assert!(err.missing);
    let err = check_rows(
        &detail,
        json!({"detail": {"goods": [{"quantity": 1.5}]}}),
        Form::Json,
    )
    .unwrap_err();
    assert_eq!(err.field, "detail.goods[0].quantity");
    assert!(err.why.contains("integer"), "{}", err.why);
    // `number` takes integers; text is judged by its digits.
    let amount = [field("amount", "number", true, vec![])];
    assert!(check_rows(&amount, json!({"amount": 100}), Form::Json).is_ok());
    assert!(check_rows(&amount, json!({"amount": "100"}), Form::Text).is_ok());
    assert!(check_rows(&amount, json!({"amount": "1O0"}), Form::Text).is_err());
    // A JSON-encoded string is checked inside when it parses.
    let mut encoded = field("detail", "string", true, vec![]);
    encoded.children = vec![field("cost_price", "integer", true, vec![])];
    let sent = json!({"detail": "{\"cost_price\":\"1\"}"});
    let err = check_rows(std::slice::from_ref(&encoded), sent, Form::Json).unwrap_err();
    assert_eq!(err.field, "detail.cost_price");
    let sent = json!({"detail": "not json"});
    assert!(check_rows(&[encoded], sent, Form::Json).is_ok());
}
