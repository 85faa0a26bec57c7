//! What `wechatpay request` was given, and how it becomes a method, a path and an argument map:
//! shared by the ordinary path (`request`) and split signing (`split`).

use serde_json::Value;
use wechatpay::http::Method;
use wechatpay::Error;

/// Numbers in `--args` that JSON parsing would change: an integer beyond 64 bits (an id typed
/// without quotes becomes `4.2e27`) or a decimal with more digits than a double holds.
pub(crate) fn check_numbers(text: &str) -> Result<(), Error> {
    let bytes = text.as_bytes();
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            let token = &text[start..i];
            let integer = !token.contains(['.', 'e', 'E']);
            let exact = if integer {
                token.parse::<i64>().is_ok() || token.parse::<u64>().is_ok()
            } else {
                let mantissa = token.split(['e', 'E']).next().unwrap_or("");
                mantissa
                    .bytes()
                    .filter(u8::is_ascii_digit)
                    .skip_while(|d| *d == b'0')
                    .count()
                    <= 15
            };
            if !exact {
                return Err(Error::Argument {
                    name: "--args".into(),
                    reason: format!(
                        "the number {token} would not survive JSON parsing (it would be sent as a rounded float): \
                         write it as a string, \"{token}\""
                    ),
                });
            }
            continue;
        }
        i += 1;
    }
    Ok(())
}

/// The two chains `request` builds on: the blocking one, and the async one that split signing
/// sends from.
pub(crate) trait Chain: Sized {
    fn seg(self, segment: &str) -> Self;
    fn chain(self, template: &str) -> Self;
}

impl Chain for wechatpay::Chain {
    fn seg(self, segment: &str) -> Self {
        wechatpay::Chain::seg(self, segment)
    }
    fn chain(self, template: &str) -> Self {
        wechatpay::Chain::chain(self, template)
    }
}

impl Chain for wechatpay::blocking::Chain {
    fn seg(self, segment: &str) -> Self {
        wechatpay::blocking::Chain::seg(self, segment)
    }
    fn chain(self, template: &str) -> Self {
        wechatpay::blocking::Chain::chain(self, template)
    }
}

/// `path` from `root`: a template if it has a slash or a placeholder, else a dotted chain of
/// segments.
pub(crate) fn chain_for<C: Chain>(root: C, path: &str) -> C {
    if path.contains(['/', '{', '<']) {
        root.chain(path)
    } else {
        path.split('.').fold(root, |c, s| c.seg(s))
    }
}

/// What `wechatpay request` was given.
pub(crate) struct Options {
    pub dry_run: bool,
    pub args: String,
    pub include: bool,
    pub raw: bool,
    pub method: String,
    pub path: String,
    pub pairs: Vec<String>,
    pub sel: crate::config::Selection,
    pub string_to_sign: bool,
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
}

fn argument(name: &str, reason: String) -> Error {
    Error::Argument {
        name: name.into(),
        reason,
    }
}

/// Adds `key=value` (a string) and `key:=JSON` pairs to the argument map; dots nest.
pub(crate) fn apply_pairs(args: &mut Value, pairs: &[String]) -> Result<(), Error> {
    for pair in pairs {
        let Some(eq) = pair.find('=') else {
            return Err(argument(
                pair,
                "not `key=value` (a string) or `key:=JSON` (raw JSON)".into(),
            ));
        };
        let (key, raw) = match pair[..eq].strip_suffix(':') {
            Some(key) => (key, true),
            None => (&pair[..eq], false),
        };
        let text = &pair[eq + 1..];
        let value = if raw {
            check_numbers(text).map_err(|e| match e {
                Error::Argument { reason, .. } => argument(key, reason),
                other => other,
            })?;
            serde_json::from_str(text)
                .map_err(|e| argument(key, format!("`:=` takes JSON: {e}")))?
        } else {
            Value::String(text.to_string())
        };
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(argument(pair, "an empty key or key part".into()));
        }
        let mut node = &mut *args;
        let parts: Vec<&str> = key.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let Value::Object(map) = node else {
                return Err(argument(
                    key,
                    format!(
                        "`{}` is already set to a value that is not an object",
                        parts[..i].join(".")
                    ),
                ));
            };
            if i + 1 == parts.len() {
                map.insert(part.to_string(), value);
                break;
            }
            node = map
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Default::default()));
        }
    }
    Ok(())
}

pub(crate) fn method(name: &str) -> Result<Method, Error> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        other => {
            return Err(argument(
                "METHOD",
                format!("`{other}` is not one of GET, POST, PUT, PATCH, DELETE"),
            ))
        }
    })
}

/// The `--args` text (or file) and the pairs, as one argument map.
pub(crate) fn args_map(args: &str, pairs: &[String]) -> Result<Value, Error> {
    let args = crate::text_or_file("--args", args)?;
    check_numbers(&args)?;
    let mut args: Value = serde_json::from_str(&args)
        .map_err(|e| argument("--args", format!("not valid JSON: {e}")))?;
    if !args.is_object() {
        return Err(argument("--args", "not a JSON object".into()));
    }
    apply_pairs(&mut args, pairs)?;
    Ok(args)
}
