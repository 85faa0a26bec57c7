//! The three key modes of the emulator against our own client, over real sockets: public key,
//! platform certificate (the keyring built from `v3/certificates`), and both (the switch, where
//! WeChat Pay signs each answer with the key its request names in `Wechatpay-Serial`); a
//! request naming an unknown key; the mode switched from the admin API.
#![cfg(feature = "mock")]

use serde_json::{json, Value};
use wechatpay::mock::{Mode, Server};
use wechatpay::{Client, Error};

const QUERY: &str = "v3/pay/transactions/id/{transaction_id}";

fn query(serial: Option<&str>) -> Value {
    let mut args = json!({ "transaction_id": "4200000001", "query": { "mchid": "1900000001" } });
    if let Some(serial) = serial {
        args["headers"] = json!({ "Wechatpay-Serial": serial });
    }
    args
}

/// The `Wechatpay-Serial` of the verified answer to a query naming `serial` (or the client's
/// own choice).
async fn answered_under(client: &Client, serial: Option<&str>) -> String {
    let res = client.chain(QUERY).get(query(serial)).await.unwrap();
    res.headers()["Wechatpay-Serial"]
        .to_str()
        .unwrap()
        .to_string()
}

/// The refusal of a query naming `serial`: (status, code, message, verified).
async fn refusal(client: &Client, serial: &str) -> (u16, String, String, bool) {
    match client.chain(QUERY).get(query(Some(serial))).await {
        Err(Error::Api {
            status,
            code,
            message,
            verified,
            ..
        }) => (
            status.as_u16(),
            code.unwrap_or_default(),
            message.unwrap_or_default(),
            verified,
        ),
        other => panic!("{other:?}"),
    }
}

const UNKNOWN: &str = "PUB_KEY_ID_0119000000012026000000000000";

#[tokio::test]
async fn both_mode_signs_each_answer_with_the_key_its_request_names() {
    let server = Server::builder().mode(Mode::Both).start().await.unwrap();
    let (public_id, serial) = (server.public_key_id(), server.platform_serial());
    // The builder's client holds both keys and names the public key on every request (as the
    // switch asks), so its answers come under the public key.
    let client = server.client_builder().build().unwrap();
    assert_eq!(client.keyring().len(), 2);
    assert_eq!(answered_under(&client, None).await, public_id);
    let sent = server.journal().pop().unwrap();
    assert_eq!(sent.headers["wechatpay-serial"], public_id);
    // A request naming each key gets an answer signed with that key.
    assert_eq!(answered_under(&client, Some(public_id)).await, public_id);
    assert_eq!(answered_under(&client, Some(serial)).await, serial);

    // The two are different key pairs: the certificate's key under the public key's id fails.
    let confused = server
        .client_builder()
        .public_key(public_id, server.platform_certificate_pem())
        .build()
        .unwrap();
    assert_eq!(answered_under(&confused, Some(serial)).await, serial);
    match confused.chain(QUERY).get(query(Some(public_id))).await {
        Err(Error::Signature(_)) => {}
        other => panic!("an answer under the public key verified with the certificate: {other:?}"),
    }

    // A merchant's client from before public keys: it downloads the listing (naming no key:
    // answered under the certificate) and names the certificate from then on.
    let certificates_only = certificate_client(&server).await;
    assert_eq!(answered_under(&certificates_only, None).await, serial);

    // A serial naming no key of the merchant: refused in WeChat Pay's words, the refusal signed.
    let (status, code, message, verified) = refusal(&client, UNKNOWN).await;
    assert_eq!(
        (status, code.as_str(), verified),
        (400, "PARAM_ERROR", true)
    );
    assert!(message.contains("Wechatpay-Serial"), "{message}");
}

/// A client of `server` with no WeChat Pay key given, its keyring filled from `v3/certificates`.
async fn certificate_client(server: &Server) -> Client {
    let mut b = server.client_builder();
    if server.mode().has_public_key() {
        // The builder adds the public key in these modes; start from the merchant alone.
        let m = server.merchant();
        b = Client::builder()
            .mchid(&m.mchid)
            .serial(&m.serial)
            .private_key(m.private_key_pem.as_bytes())
            .apiv3_key(m.apiv3_key.as_bytes())
            .base_uri(server.url())
            .add_root_certificate(server.ca_pem());
    }
    let client = b.build().unwrap();
    assert!(client.keyring().is_empty());
    let certs = client.download_certificates().await.unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(client.keyring().ids(), [server.platform_serial()]);
    client
}

#[tokio::test]
async fn certificate_mode_with_a_keyring_from_the_listing() {
    let server = Server::builder()
        .mode(Mode::Certificate)
        .start()
        .await
        .unwrap();
    let client = certificate_client(&server).await;
    assert_eq!(
        answered_under(&client, None).await,
        server.platform_serial()
    );
    let sent = server.journal().pop().unwrap();
    assert_eq!(sent.headers["wechatpay-serial"], server.platform_serial());
    // The merchant has no public key in this mode: naming it is naming an unknown key.
    let (status, code, _, verified) = refusal(&client, server.public_key_id()).await;
    assert_eq!(
        (status, code.as_str(), verified),
        (400, "PARAM_ERROR", true)
    );
    let (status, _, _, _) = refusal(&client, UNKNOWN).await;
    assert_eq!(status, 400);
    // Notifications come signed with the certificate too.
    let (headers, _) = server
        .notification("TRANSACTION.SUCCESS", &json!({ "out_trade_no": "T1" }))
        .unwrap();
    assert_eq!(headers["Wechatpay-Serial"], server.platform_serial());
}

#[tokio::test]
async fn public_key_mode_has_no_certificate_to_download() {
    let server = Server::start().await.unwrap();
    assert_eq!(server.mode(), Mode::PublicKey);
    let client = server.client_builder().build().unwrap();
    assert_eq!(client.keyring().ids(), [server.public_key_id()]);
    assert_eq!(answered_under(&client, None).await, server.public_key_id());
    // What WeChat Pay answers a merchant with the public key only, signed with that key.
    match client.chain("v3/certificates").get(json!({})).await {
        Err(Error::Api {
            status,
            code,
            message,
            verified,
            ..
        }) => {
            assert_eq!(status, 404);
            assert_eq!(code.as_deref(), Some("RESOURCE_NOT_EXISTS"));
            assert!(message.unwrap().contains("无可用的平台证书"));
            assert!(verified);
        }
        other => panic!("{other:?}"),
    }
    // The certificate's serial names no key of this merchant.
    let (status, code, _, _) = refusal(&client, server.platform_serial()).await;
    assert_eq!((status, code.as_str()), (400, "PARAM_ERROR"));
    let (headers, _) = server
        .notification("TRANSACTION.SUCCESS", &json!({ "out_trade_no": "T1" }))
        .unwrap();
    assert_eq!(headers["Wechatpay-Serial"], server.public_key_id());
}

async fn read(res: reqwest::Response) -> Value {
    serde_json::from_slice(&res.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn the_mode_switches_from_the_admin_api() {
    let server = Server::start().await.unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge([reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let admin = format!("{}__emulator/", server.url());
    let get = |path: &str| http.get(format!("{admin}{path}")).send();
    let now: Value = read(get("mode").await.unwrap()).await;
    assert_eq!(now["mode"], "public-key");
    assert_eq!(now["public_key_id"], server.public_key_id());
    assert!(now.get("platform_serial").is_none(), "{now}");
    let config: Value = read(get("config").await.unwrap()).await;
    assert!(config.get("platform_certificate_pem").is_none());

    let put = |body: Value| {
        http.put(format!("{admin}mode"))
            .body(body.to_string())
            .send()
    };
    let res = put(json!({ "mode": "both" })).await.unwrap();
    assert_eq!(res.status(), 200);
    let now: Value = read(res).await;
    assert_eq!(now["mode"], "both");
    assert_eq!(now["platform_serial"], server.platform_serial());
    assert_eq!(server.mode(), Mode::Both);
    let config: Value = read(get("config").await.unwrap()).await;
    assert_eq!(config["mode"], "both");
    assert_eq!(
        config["platform_certificate_pem"],
        server.platform_certificate_pem()
    );
    assert_eq!(config["public_key_id"], server.public_key_id());
    // A client built now holds both keys, and the listing has the certificate.
    let client = server.client_builder().build().unwrap();
    let serial = server.platform_serial();
    assert_eq!(answered_under(&client, Some(serial)).await, serial);
    assert_eq!(client.download_certificates().await.unwrap().len(), 1);

    let res = put(json!({ "mode": "certificates" })).await.unwrap();
    assert_eq!(res.status(), 400);
    let why: Value = read(res).await;
    assert!(
        why["message"]
            .as_str()
            .unwrap()
            .contains("public-key, certificate or both"),
        "{why}"
    );
    assert_eq!(
        server.mode(),
        Mode::Both,
        "a refused switch changes nothing"
    );
    let res = put(json!({ "mode": "certificate" })).await.unwrap();
    assert_eq!(res.status(), 200);
    let config: Value = read(get("config").await.unwrap()).await;
    assert!(config.get("public_key_id").is_none(), "{config}");
    // The public key is gone with the mode: the client still naming it is refused.
    let (status, _, _, _) = refusal(&client, server.public_key_id()).await;
    assert_eq!(status, 400);
}

#[test]
fn modes_read_as_the_command_line_writes_them() {
    for mode in [Mode::PublicKey, Mode::Certificate, Mode::Both] {
        assert_eq!(mode.as_str().parse::<Mode>().unwrap(), mode);
    }
    assert_eq!("PublicKey".parse::<Mode>().unwrap(), Mode::PublicKey);
    let e = "platform".parse::<Mode>().unwrap_err().to_string();
    assert!(
        e.contains("mode") && e.contains("public-key, certificate or both"),
        "{e}"
    );
}

/// Sensitive fields in the switch: each client encrypts with the key it names, and the emulator
/// opens the field with the key the request names.
#[cfg(feature = "catalogue")]
#[tokio::test]
async fn both_mode_decrypts_a_sensitive_field_with_the_key_the_request_names() {
    let server = Server::builder().mode(Mode::Both).start().await.unwrap();
    let receiver = |client: &Client| {
        let name = client.encrypt("张三").unwrap();
        let args = json!({
            "headers": { "Wechatpay-Serial": name.serial },
            "json": { "appid": "wx8888888888888888", "type": "PERSONAL_OPENID",
                      "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "name": name.ciphertext,
                      "relation_type": "STORE" },
        });
        (name.serial, args)
    };
    let public = server.client_builder().build().unwrap();
    let certificate = certificate_client(&server).await;
    for (client, expected) in [
        (&public, server.public_key_id()),
        (&certificate, server.platform_serial()),
    ] {
        let (serial, args) = receiver(client);
        assert_eq!(serial, expected);
        let res = client
            .chain("v3/profitsharing/receivers/add")
            .post(args)
            .await
            .unwrap_or_else(|e| panic!("{expected}: {e}"));
        assert_eq!(res.headers()["Wechatpay-Serial"], expected);
        // The answer's sensitive field holds the value sent, so the emulator opened it.
        let name = res.json().unwrap()["name"].as_str().unwrap().to_string();
        assert_eq!(client.decrypt(&name).unwrap(), "张三", "{expected}");
    }
    // Under the other key than the one named, it does not open: refused, naming the field.
    let (_, mut args) = receiver(&public);
    args["headers"]["Wechatpay-Serial"] = json!(server.platform_serial());
    let e = public
        .chain("v3/profitsharing/receivers/add")
        .post(args)
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{e}");
    assert!(e.to_string().contains("name"), "{e}");
}
