//! Query strings from the `query` option: insertion order, RFC 3986 encoding.

use crate::error::{Error, Result};
use crate::util::encode_component;
use crate::util::{exact_integer, json_type};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Builds a query string from a JSON object, in insertion order, RFC 3986 encoded.
///
/// Booleans are `true`/`false` (the WeChat documentation's form); `null` entries are left out;
/// arrays and objects are refused because WeChat Pay has no encoding for them.
pub(crate) fn build_query(query: &Map<String, Value>) -> Result<String> {
    let mut out = String::new();
    for (key, value) in query {
        let text: Cow<'_, str> = match value {
            Value::Null => continue,
            Value::String(s) => Cow::Borrowed(s),
            Value::Number(n) => Cow::Owned(exact_integer(&format!("query.{key}"), n)?),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            other => {
                return Err(Error::argument(
                    format!("query.{key}"),
                    format!(
                        "a query value must be a string, number or boolean, found {}",
                        json_type(other)
                    ),
                ))
            }
        };
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_component(key));
        out.push('=');
        out.push_str(&encode_component(&text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn query_in_order_with_booleans() {
        let q = map(
            json!({"limit": 10, "offset": 0, "q": "a b/c", "flag": true, "no": false, "skip": null}),
        );
        assert_eq!(
            build_query(&q).unwrap(),
            "limit=10&offset=0&q=a%20b%2Fc&flag=true&no=false"
        );
        assert!(build_query(&map(json!({"x": [1]}))).is_err());
    }
}
