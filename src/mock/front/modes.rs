//! The key mode over the admin API (`GET`/`PUT /__emulator/mode`) and the WeChat Pay keys the
//! config shows in each mode.

use crate::mock::protocol::keys::Mode;
use crate::mock::state::emulator::State;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

/// The WeChat Pay keys the merchant has in the current mode, as the config shows them: the
/// public key unless in certificate mode, the platform certificate unless in public-key mode.
pub(crate) fn keys_json(state: &State) -> Map<String, Value> {
    let keys = &state.keys;
    let mode = keys.mode.get();
    let mut out = Map::new();
    out.insert("mode".into(), mode.as_str().into());
    if mode.has_public_key() {
        out.insert("public_key_id".into(), keys.public_key_id.clone().into());
        let pem = keys.platform_key.public_key().to_pem();
        out.insert("public_key_pem".into(), pem.into());
    }
    if mode.has_certificate() {
        out.insert(
            "platform_serial".into(),
            keys.platform_serial.clone().into(),
        );
        let pem = keys.platform_cert_pem.clone();
        out.insert("platform_certificate_pem".into(), pem.into());
    }
    out
}

/// `GET /__emulator/mode` answers the mode and its key ids; `PUT` (or `POST`) `{"mode": …}`
/// switches it (`public-key`, `certificate` or `both`) and answers the same.
pub(crate) fn admin(state: &State, method: &Method, body: &Value) -> (StatusCode, Value) {
    if *method == Method::PUT || *method == Method::POST {
        let Some(name) = body["mode"].as_str() else {
            return refuse("`mode` is required: public-key, certificate or both");
        };
        match name.parse::<Mode>() {
            Ok(mode) => state.keys.mode.set(mode),
            Err(_) => {
                return refuse(&format!(
                    "`mode` {name} is no key mode: public-key, certificate or both"
                ))
            }
        }
    }
    let mut ids = keys_json(state);
    ids.remove("public_key_pem");
    ids.remove("platform_certificate_pem");
    (StatusCode::OK, Value::Object(ids))
}

fn refuse(why: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({ "code": "PARAM_ERROR", "message": why }),
    )
}
