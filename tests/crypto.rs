//! The crypto layer against fixed vectors (php-sdk-behaviour.md §6.1, §6.2, §6.9) and against the
//! openssl CLI, on every compiled backend (run with `--features rustcrypto` for both).
//!
//! The keys in tests/fixtures/keys/ are test-only, made by tests/fixtures/keys/generate.sh.

use base64::Engine as _;
use wechatpay::crypto::aes::{aes_256_gcm_decrypt, aes_256_gcm_encrypt};
use wechatpay::crypto::cert::{pkcs1_to_spki, serial_hex};
use wechatpay::crypto::{
    decrypt_sensitive, encrypt_sensitive, sha1_hex, sha256_hex, Backend, Certificate, PrivateKey,
    PublicKey, Signer, Verifier,
};
use wechatpay::Error;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/");
const PASSPHRASE: &[u8] = b"wechatpay-test-passphrase";

fn path(name: &str) -> String {
    format!("{DIR}{name}")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .unwrap()
}

/// The error of a key-loading failure, checked to be an `Error::Key`, as its message.
fn key_error<T: std::fmt::Debug>(result: wechatpay::Result<T>) -> String {
    match result {
        Err(e @ Error::Key { .. }) => e.to_string(),
        other => panic!("expected Error::Key, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------------
// AES-256-GCM (§6.2)

const APIV3_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
const GCM_TEXT: &str = "hello wechatpay 你好 微信支付";

/// (plaintext, iv, aad, base64(ciphertext ‖ tag)) from §6.2, cross-checked there with Python.
const GCM_VECTORS: [(&str, &[u8], &[u8], &str); 3] = [
    (
        GCM_TEXT,
        b"0123456789ab",
        b"certificate",
        "8cyLVizq736WbULJw2UFB6Y7dCqydUqOmiErpmgeDQbOxP/z/JKqUOKnGFY/hwPRUEBg",
    ),
    (
        GCM_TEXT,
        b"0123456789abcdef",
        b"",
        "APoZlYqc0/fwsIdBd7P+YaZ5vgoh6IA9yUm/8fnAJA880AU8aGbehxPc8/0y+0oTA/ym",
    ),
    (
        r#"{"a":1}"#,
        b"0123456789ab",
        b"transaction",
        "4ouGGHn75QwOTQ6x5UH1WuPJdsyhTfs=",
    ),
];

#[test]
fn aes_gcm_vectors_encrypt_byte_exact() {
    for (plain, iv, aad, expected) in GCM_VECTORS {
        let got = aes_256_gcm_encrypt(APIV3_KEY, iv, aad, plain.as_bytes()).unwrap();
        assert_eq!(got, expected, "iv {:?}", std::str::from_utf8(iv));
    }
}

#[test]
fn aes_gcm_vectors_decrypt() {
    for (plain, iv, aad, ciphertext) in GCM_VECTORS {
        let got = aes_256_gcm_decrypt(APIV3_KEY, iv, aad, ciphertext).unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), plain);
    }
}

#[test]
fn aes_gcm_round_trip_empty_plaintext() {
    let sealed = aes_256_gcm_encrypt(APIV3_KEY, b"0123456789ab", b"", b"").unwrap();
    assert_eq!(unb64(&sealed).len(), 16);
    assert_eq!(
        aes_256_gcm_decrypt(APIV3_KEY, b"0123456789ab", b"", &sealed).unwrap(),
        b""
    );
}

fn crypto_error<T: std::fmt::Debug>(result: wechatpay::Result<T>) -> String {
    match result {
        Err(e @ Error::Crypto(_)) => e.to_string(),
        other => panic!("expected Error::Crypto, got {other:?}"),
    }
}

#[test]
fn aes_gcm_refuses_wrong_key_tamper_and_wrong_aad() {
    let (_, iv, aad, ciphertext) = GCM_VECTORS[0];
    let wrong_key = b"0123456789abcdef0123456789abcdeF";
    let err = crypto_error(aes_256_gcm_decrypt(wrong_key, iv, aad, ciphertext));
    assert!(
        err.contains("wrong APIv3 key or tampered ciphertext"),
        "{err}"
    );

    let mut bytes = unb64(ciphertext);
    bytes[3] ^= 1;
    let err = crypto_error(aes_256_gcm_decrypt(APIV3_KEY, iv, aad, &b64(&bytes)));
    assert!(err.contains("tampered"), "{err}");

    let mut bytes = unb64(ciphertext);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80; // the tag itself
    assert!(aes_256_gcm_decrypt(APIV3_KEY, iv, aad, &b64(&bytes)).is_err());

    assert!(aes_256_gcm_decrypt(APIV3_KEY, iv, b"transaction", ciphertext).is_err());
    assert!(aes_256_gcm_decrypt(APIV3_KEY, b"0123456789ac", aad, ciphertext).is_err());
}

#[test]
fn aes_gcm_argument_errors() {
    let (_, iv, aad, ciphertext) = GCM_VECTORS[0];
    let err = crypto_error(aes_256_gcm_decrypt(&APIV3_KEY[..31], iv, aad, ciphertext));
    assert!(
        err.contains("the APIv3 key must be 32 bytes, got 31"),
        "{err}"
    );
    let err = crypto_error(aes_256_gcm_encrypt(b"short", iv, aad, b"x"));
    assert!(
        err.contains("the APIv3 key must be 32 bytes, got 5"),
        "{err}"
    );

    let err = crypto_error(aes_256_gcm_decrypt(APIV3_KEY, b"", aad, ciphertext));
    assert!(err.contains("nonce is empty"), "{err}");
    let err = crypto_error(aes_256_gcm_encrypt(APIV3_KEY, b"", aad, b"x"));
    assert!(err.contains("nonce is empty"), "{err}");
    let err = crypto_error(aes_256_gcm_decrypt(
        APIV3_KEY,
        b"0123456789abc",
        aad,
        ciphertext,
    ));
    assert!(err.contains("must be 12 bytes (or 16), got 13"), "{err}");

    match aes_256_gcm_decrypt(APIV3_KEY, iv, aad, "not*base64") {
        Err(Error::Decode { what, .. }) => assert!(what.contains("AES-GCM"), "{what}"),
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    let err = crypto_error(aes_256_gcm_decrypt(APIV3_KEY, iv, aad, "AAAA"));
    assert!(err.contains("shorter than its 16-byte tag"), "{err}");
}

// ------------------------------------------------------------------------------------------------
// pkcs1ToSpki (§6.1) and the getpublickey key

/// `pub_key` of tests/fixtures/getpublickey.response.sample.xml, newlines removed.
const GETPUBLICKEY_PKCS1: &str = "MIIBCgKCAQEArT82k67xybiJS9AD8nNAeuDYdrtCRaxkS6cgs8L9h83eqlDTlrdw\
zBVSv5V4imTq/URbXn4K0V/KJ1TwDrqOI8hamGB0fvU13WW1NcJuv41RnJVua0QA\
lS3tS1JzOZpMS9BEGeFvyFF/epbi/m9+2kUWG94FccArNnBtBqqvFncXgQsm98JB\
3a62NbS1ePP/hMI7Kkz+JNMyYsWkrOUFDCXAbSZkWBJekY4nGZtK1erqGRve8Jbx\
TWirAm/s08rUrjOuZFA21/EI2nea3DidJMTVnXVPY2qcAjF+595shwUKyTjKB8v1\
REPB3hPF1Z75O6LwuLfyPiCrCTmVoyfqjwIDAQAB";

const GETPUBLICKEY_SPKI: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArT82k67xybiJS9AD8nNAeuDYdrtCRaxkS6cgs8L9h83eqlDTlrdwzBVSv5V4imTq/URbXn4K0V/KJ1TwDrqOI8hamGB0fvU13WW1NcJuv41RnJVua0QAlS3tS1JzOZpMS9BEGeFvyFF/epbi/m9+2kUWG94FccArNnBtBqqvFncXgQsm98JB3a62NbS1ePP/hMI7Kkz+JNMyYsWkrOUFDCXAbSZkWBJekY4nGZtK1erqGRve8JbxTWirAm/s08rUrjOuZFA21/EI2nea3DidJMTVnXVPY2qcAjF+595shwUKyTjKB8v1REPB3hPF1Z75O6LwuLfyPiCrCTmVoyfqjwIDAQAB";

#[test]
fn pkcs1_to_spki_vector() {
    assert_eq!(
        pkcs1_to_spki(GETPUBLICKEY_PKCS1).unwrap(),
        GETPUBLICKEY_SPKI
    );
    // The same key as an `RSA PUBLIC KEY` PEM, as getpublickey returns it, loads to that SPKI.
    let mut pem = String::from("-----BEGIN RSA PUBLIC KEY-----\n");
    for line in GETPUBLICKEY_PKCS1.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END RSA PUBLIC KEY-----\n");
    let key = PublicKey::load(&pem).unwrap();
    assert_eq!(b64(key.spki_der()), GETPUBLICKEY_SPKI);
    assert_eq!(PublicKey::from_base64(GETPUBLICKEY_SPKI).unwrap(), key);
    assert_eq!(key.bits(), 2048);
}

#[test]
fn pkcs1_to_spki_matches_openssl_for_the_fixture_key() {
    assert_eq!(
        pkcs1_to_spki(&text("rsa.pkcs1.pub.b64")).unwrap(),
        text("rsa.spki.b64")
    );
    assert!(matches!(
        pkcs1_to_spki("not base64!"),
        Err(Error::Decode { .. })
    ));
    assert!(key_error(pkcs1_to_spki(&text("rsa.spki.b64"))).contains("not a PKCS#1 RSAPublicKey"));
}

// ------------------------------------------------------------------------------------------------
// Certificates (§6.9)

#[test]
fn serial_numbers_in_wechat_form() {
    for (file, serial) in [
        ("serial.1.crt", "01"),
        ("serial.255.crt", "FF"),
        ("serial.256.crt", "0100"),
        ("serial.2147483647.crt", "7FFFFFFF"),
        // 20 bytes with the top bit set: DER carries 21, the leading zero is dropped.
        (
            "serial.20byte.crt",
            "F1DE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
        ),
        ("rsa.crt", "5E6D2B1F0C93A7D4E8F01234567890ABCDEF0123"),
        ("rsa.v1.crt", "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"),
    ] {
        let cert = Certificate::from_pem(fixture(file)).unwrap();
        assert_eq!(cert.serial_no(), serial, "{file}");
    }
    assert_eq!(serial_hex(&[0x01]), "01");
    assert_eq!(serial_hex(&[0x00, 0xFF]), "FF");
    assert_eq!(serial_hex(&[0x01, 0x00]), "0100");
    assert_eq!(serial_hex(&[0x7F, 0xFF, 0xFF, 0xFF]), "7FFFFFFF");
}

#[test]
fn certificate_subject_validity_and_key() {
    let cert = Certificate::from_pem(fixture("rsa.crt")).unwrap();
    assert_eq!(
        cert.subject(),
        "C=CN, ST=Shanghai, O=WeChatPay Community, CN=WeChatPay Community CI"
    );
    assert_eq!(
        cert.subject_common_name().as_deref(),
        Some("WeChatPay Community CI")
    );
    // From `openssl x509 -noout -startdate -enddate`: Nov 23 08:05:13 2026 / Nov 20 08:05:13 2036 GMT.
    assert_eq!(cert.not_before(), 1_795_421_113);
    assert_eq!(cert.not_after(), 2_110_781_113);
    assert!(!cert.is_valid_at(1_795_421_112));
    assert!(cert.is_valid_at(1_795_421_113));
    assert!(cert.is_valid_at(2_110_781_113));
    assert!(!cert.is_valid_at(2_110_781_114));
    assert_eq!(
        cert.public_key(),
        &PublicKey::from_pem(fixture("rsa.spki.pem")).unwrap()
    );
    assert_eq!(cert.to_pem(), text("rsa.crt"));
    assert!(format!("{cert:?}").contains("5E6D2B1F0C93A7D4E8F01234567890ABCDEF0123"));

    let v1 = Certificate::from_pem(fixture("rsa.v1.crt")).unwrap();
    assert_eq!(v1.not_after() - v1.not_before(), 86_400);

    // The same certificate as DER, CRLF PEM, and with a private key block before it.
    let der = unb64(
        &text("rsa.crt")
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>(),
    );
    assert_eq!(
        Certificate::from_der(&der).unwrap().serial_no(),
        cert.serial_no()
    );
    let crlf = text("rsa.crt").replace('\n', "\r\n");
    assert_eq!(
        Certificate::from_pem(crlf).unwrap().serial_no(),
        cert.serial_no()
    );
    let bundle = text("rsa.pkcs8.key") + &text("rsa.crt");
    assert_eq!(
        Certificate::from_pem(bundle).unwrap().serial_no(),
        cert.serial_no()
    );
}

#[test]
fn certificate_errors() {
    let err = key_error(Certificate::from_pem(fixture("rsa.pkcs8.key")));
    assert!(err.starts_with("cannot load a certificate"), "{err}");
    assert!(
        err.contains("found a PRIVATE KEY block — that is a private key"),
        "{err}"
    );
    let err = key_error(Certificate::from_pem(fixture("rsa.spki.pem")));
    assert!(err.contains("bare public key"), "{err}");
    let err = key_error(Certificate::from_der(b"\x30\x03\x02\x01\x01"));
    assert!(err.contains("not an X.509 certificate"), "{err}");
}

// ------------------------------------------------------------------------------------------------
// Every key form, on every backend

fn private_forms() -> Vec<(&'static str, PrivateKey)> {
    let whitespace = format!("\n\n  {}  \n\n", text("rsa.pkcs8.key"));
    vec![
        (
            "PKCS#1 PEM",
            PrivateKey::from_pem(fixture("rsa.pkcs1.key")).unwrap(),
        ),
        (
            "PKCS#8 PEM",
            PrivateKey::from_pem(fixture("rsa.pkcs8.key")).unwrap(),
        ),
        (
            "encrypted PKCS#8 PEM",
            PrivateKey::from_pem_encrypted(fixture("rsa.pkcs8.encrypted.key"), PASSPHRASE).unwrap(),
        ),
        (
            "PKCS#1 PEM CRLF",
            PrivateKey::load(fixture("rsa.pkcs1.crlf.key")).unwrap(),
        ),
        (
            "PKCS#8 PEM in whitespace",
            PrivateKey::load(whitespace).unwrap(),
        ),
        (
            "PKCS#8 base64",
            PrivateKey::from_base64(&text("rsa.pkcs8.b64")).unwrap(),
        ),
        (
            "PKCS#1 base64 (load)",
            PrivateKey::load(fixture("rsa.pkcs1.b64")).unwrap(),
        ),
        (
            "PKCS#1 DER",
            PrivateKey::from_der(&fixture("rsa.pkcs1.der")).unwrap(),
        ),
        (
            "PKCS#8 DER (load)",
            PrivateKey::load(fixture("rsa.pkcs8.der")).unwrap(),
        ),
        (
            "file PKCS#1",
            PrivateKey::from_file(path("rsa.pkcs1.key")).unwrap(),
        ),
        (
            "file DER",
            PrivateKey::from_file(path("rsa.pkcs8.der")).unwrap(),
        ),
        (
            "private.pkcs8:// prefix",
            PrivateKey::load(format!("private.pkcs8://{}", text("rsa.pkcs8.b64"))).unwrap(),
        ),
        (
            "file:// prefix",
            PrivateKey::load(format!("file://{}", path("rsa.pkcs8.key"))).unwrap(),
        ),
    ]
}

fn public_forms() -> Vec<(&'static str, PublicKey)> {
    vec![
        (
            "SPKI PEM",
            PublicKey::from_pem(fixture("rsa.spki.pem")).unwrap(),
        ),
        (
            "RSA PUBLIC KEY PEM",
            PublicKey::from_pem(fixture("rsa.pkcs1.pub.pem")).unwrap(),
        ),
        (
            "certificate",
            PublicKey::from_pem(fixture("rsa.crt")).unwrap(),
        ),
        (
            "v1 certificate",
            PublicKey::load(fixture("rsa.v1.crt")).unwrap(),
        ),
        (
            "SPKI PEM CRLF",
            PublicKey::load(fixture("rsa.spki.crlf.pem")).unwrap(),
        ),
        (
            "SPKI base64",
            PublicKey::from_base64(&text("rsa.spki.b64")).unwrap(),
        ),
        (
            "PKCS#1 base64 (load)",
            PublicKey::load(fixture("rsa.pkcs1.pub.b64")).unwrap(),
        ),
        (
            "file certificate",
            PublicKey::from_file(path("rsa.crt")).unwrap(),
        ),
        (
            "public.pkcs1:// prefix",
            PublicKey::load(format!("public.pkcs1://{}", text("rsa.pkcs1.pub.b64"))).unwrap(),
        ),
        (
            "certificate's key",
            Certificate::from_pem(fixture("serial.1.crt"))
                .unwrap()
                .public_key()
                .clone(),
        ),
        (
            "from the private key",
            PrivateKey::from_pem(fixture("rsa.pkcs8.key"))
                .unwrap()
                .public_key(),
        ),
    ]
}

#[test]
fn every_form_is_the_same_key() {
    let spki = PublicKey::from_pem(fixture("rsa.spki.pem")).unwrap();
    for (name, key) in private_forms() {
        assert_eq!(key.public_key(), spki, "{name}");
        assert_eq!(key.backend(), Backend::AwsLc, "{name}");
        // PKCS#8 re-encoding is canonical: byte-identical to what openssl wrote.
        assert_eq!(*key.to_pkcs8_pem(), text("rsa.pkcs8.key"), "{name}");
    }
    for (name, key) in public_forms() {
        assert_eq!(key, spki, "{name}");
        assert_eq!(key.to_pem(), text("rsa.spki.pem"), "{name}");
        assert_eq!(b64(key.spki_der()), text("rsa.spki.b64"), "{name}");
    }
}

#[test]
fn backends_are_all_compiled_in() {
    assert_eq!(Backend::all()[0], Backend::AwsLc);
    assert_eq!(Backend::default(), Backend::AwsLc);
    #[cfg(feature = "rustcrypto")]
    assert_eq!(Backend::all(), &[Backend::AwsLc, Backend::RustCrypto]);
}

#[test]
fn sign_with_each_private_form_verify_with_each_public_form_across_backends() {
    let message = fixture("sign.message.txt");
    let expected = text("sign.sha256.b64");
    let publics = public_forms();
    let mut checked = 0;
    for &sign_backend in Backend::all() {
        for (private_name, key) in private_forms() {
            let key = key.with_backend(sign_backend).unwrap();
            assert_eq!(key.backend(), sign_backend);
            assert_eq!(key.public_key().backend(), sign_backend);
            let signature = key.sign(&message).unwrap();
            assert_eq!(
                b64(&signature),
                expected,
                "{private_name} on {sign_backend:?}"
            );
            for &verify_backend in Backend::all() {
                for (public_name, public) in &publics {
                    let public = public.clone().with_backend(verify_backend).unwrap();
                    public.verify(&message, &signature).unwrap_or_else(|e| {
                        panic!("{private_name}/{sign_backend:?} -> {public_name}/{verify_backend:?}: {e}")
                    });
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(
        checked,
        13 * 11 * Backend::all().len() * Backend::all().len()
    );
}

#[test]
fn signature_equals_openssl_dgst_and_rejects_tampering() {
    let message = fixture("sign.message.txt");
    let openssl = unb64(&text("sign.sha256.b64"));
    let other = PublicKey::from_pem(fixture("other.spki.pem")).unwrap();
    for &backend in Backend::all() {
        let key = PrivateKey::from_pem(fixture("rsa.pkcs1.key"))
            .unwrap()
            .with_backend(backend)
            .unwrap();
        assert_eq!(key.sign(&message).unwrap(), openssl, "{backend:?}");
        // Through the object-safe traits, as a client holds them.
        let signer: Box<dyn Signer> = Box::new(key.clone());
        let verifier: Box<dyn Verifier> = Box::new(key.public_key());
        assert_eq!(signer.sign(&message).unwrap(), openssl);
        verifier.verify(&message, &openssl).unwrap();

        let public = key.public_key();
        let mut tampered = message.clone();
        tampered[0] ^= 1;
        assert!(matches!(
            public.verify(&tampered, &openssl),
            Err(Error::Signature(_))
        ));
        let mut bad = openssl.clone();
        bad[100] ^= 1;
        assert!(matches!(
            public.verify(&message, &bad),
            Err(Error::Signature(_))
        ));
        match public.verify(&message, &openssl[..255]) {
            Err(Error::Signature(m)) => assert!(m.contains("255 bytes"), "{m}"),
            other => panic!("{other:?}"),
        }
        let other = other.clone().with_backend(backend).unwrap();
        assert!(matches!(
            other.verify(&message, &openssl),
            Err(Error::Signature(_))
        ));
        // A certificate verifies with its key.
        let cert = Certificate::from_pem(fixture("rsa.crt")).unwrap();
        Verifier::verify(&cert, &message, &openssl).unwrap();
    }
}

// ------------------------------------------------------------------------------------------------
// RSA-OAEP (SHA-1) sensitive fields

#[test]
fn oaep_ciphertext_from_openssl_decrypts_on_every_backend() {
    let plaintext = text("oaep.plaintext.txt");
    let ciphertext = text("oaep.sha1.openssl.b64");
    for &backend in Backend::all() {
        let key = PrivateKey::from_pem(fixture("rsa.pkcs8.key"))
            .unwrap()
            .with_backend(backend)
            .unwrap();
        assert_eq!(decrypt_sensitive(&key, &ciphertext).unwrap(), plaintext);
        assert_eq!(
            key.decrypt_oaep(&unb64(&ciphertext)).unwrap(),
            plaintext.as_bytes()
        );
    }
}

#[test]
fn oaep_round_trips_across_backends() {
    let key = PrivateKey::from_pem(fixture("rsa.pkcs8.key")).unwrap();
    for &encrypt_backend in Backend::all() {
        let public = key.public_key().with_backend(encrypt_backend).unwrap();
        let first = encrypt_sensitive(&public, "张三").unwrap();
        let second = encrypt_sensitive(&public, "张三").unwrap();
        assert_ne!(first, second, "OAEP is randomised");
        assert_eq!(unb64(&first).len(), 256);
        for &decrypt_backend in Backend::all() {
            let private = key.clone().with_backend(decrypt_backend).unwrap();
            assert_eq!(decrypt_sensitive(&private, &first).unwrap(), "张三");
            assert_eq!(decrypt_sensitive(&private, &second).unwrap(), "张三");
        }
        // 214 bytes is the most RSA-2048 OAEP SHA-1 takes.
        let max = vec![b'x'; 214];
        let sealed = public.encrypt_oaep(&max).unwrap();
        assert_eq!(key.decrypt_oaep(&sealed).unwrap(), max);
        let err = crypto_error(public.encrypt_oaep(&[b'x'; 215]));
        assert!(err.contains("at most 214"), "{err}");
    }
}

#[test]
fn pkcs1_v15_and_foreign_ciphertexts_are_refused() {
    let pkcs1v15 = text("pkcs1v15.openssl.b64");
    let foreign = encrypt_sensitive(
        &PublicKey::from_pem(fixture("other.spki.pem")).unwrap(),
        "secret",
    )
    .unwrap();
    for &backend in Backend::all() {
        let key = PrivateKey::from_pem(fixture("rsa.pkcs8.key"))
            .unwrap()
            .with_backend(backend)
            .unwrap();
        let err = crypto_error(decrypt_sensitive(&key, &pkcs1v15));
        assert!(err.contains("RSA-OAEP (SHA-1) decryption failed"), "{err}");
        assert!(err.contains("PKCS#1 v1.5 ciphertexts are refused"), "{err}");
        crypto_error(decrypt_sensitive(&key, &foreign));
        let err = crypto_error(key.decrypt_oaep(&[0u8; 128]));
        assert!(
            err.contains("is 128 bytes; a 2048-bit key makes 256-byte"),
            "{err}"
        );
        assert!(matches!(
            decrypt_sensitive(&key, "%%%"),
            Err(Error::Decode { .. })
        ));
    }
}

// ------------------------------------------------------------------------------------------------
// Wrong forms: the messages users read

#[test]
fn certificate_given_as_private_key() {
    assert_eq!(
        key_error(PrivateKey::load(fixture("rsa.crt"))),
        "cannot load a private key (PKCS#1 or PKCS#8 PEM): found a CERTIFICATE block — that is a \
         certificate (apiclient_cert.pem?), pass the private key apiclient_key.pem"
    );
    let der = unb64(
        &text("rsa.crt")
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>(),
    );
    let err = key_error(PrivateKey::from_der(&der));
    assert!(
        err.contains("found a certificate (apiclient_cert.pem?)"),
        "{err}"
    );
    let err = key_error(PrivateKey::from_file(path("rsa.crt")));
    assert!(err.contains("rsa.crt: found a CERTIFICATE block"), "{err}");
}

#[test]
fn public_key_given_as_private_key() {
    let err = key_error(PrivateKey::load(fixture("rsa.spki.pem")));
    assert!(
        err.contains("found a PUBLIC KEY block — that is a public key"),
        "{err}"
    );
    let err = key_error(PrivateKey::load(fixture("rsa.pkcs1.pub.pem")));
    assert!(
        err.contains("found an RSA PUBLIC KEY block — that is a public key"),
        "{err}"
    );
    let err = key_error(PrivateKey::load(fixture("rsa.spki.b64")));
    assert!(err.contains("found a public key"), "{err}");
}

#[test]
fn private_key_given_as_public_key() {
    for file in ["rsa.pkcs8.key", "rsa.pkcs1.key", "rsa.pkcs8.encrypted.key"] {
        let err = key_error(PublicKey::load(fixture(file)));
        assert!(
            err.starts_with("cannot load a public key (SPKI or PKCS#1 PEM, or a certificate)"),
            "{err}"
        );
        assert!(
            err.contains("PRIVATE KEY block — that is a private key"),
            "{file}: {err}"
        );
        assert!(err.contains("pub_key.pem"), "{err}");
    }
    let err = key_error(PublicKey::load(fixture("rsa.pkcs8.b64")));
    assert!(err.contains("found a private key"), "{err}");
    let err = key_error(PublicKey::from_der(&fixture("rsa.pkcs1.der")));
    assert!(err.contains("found a private key"), "{err}");
}

#[test]
fn encrypted_keys_need_the_right_passphrase() {
    let encrypted = fixture("rsa.pkcs8.encrypted.key");
    let err = key_error(PrivateKey::load(&encrypted));
    assert!(err.contains("protected by a passphrase"), "{err}");
    assert!(err.contains("from_pem_encrypted"), "{err}");
    let err = key_error(PrivateKey::from_pem_encrypted(
        &encrypted,
        b"not-the-passphrase",
    ));
    assert!(
        err.starts_with("cannot load an encrypted private key"),
        "{err}"
    );
    assert!(err.contains("wrong passphrase"), "{err}");
    let err = key_error(PrivateKey::from_pem_encrypted(&encrypted, b""));
    assert!(err.contains("passphrase is empty"), "{err}");
    // Unencrypted keys pass through from_pem_encrypted.
    PrivateKey::from_pem_encrypted(fixture("rsa.pkcs1.key"), b"ignored").unwrap();
    // The legacy OpenSSL `Proc-Type: 4,ENCRYPTED` form gets a conversion hint.
    for result in [
        PrivateKey::load(fixture("rsa.pkcs1.legacy-encrypted.key")),
        PrivateKey::from_pem_encrypted(fixture("rsa.pkcs1.legacy-encrypted.key"), PASSPHRASE),
    ] {
        let err = key_error(result);
        assert!(err.contains("Proc-Type: 4,ENCRYPTED"), "{err}");
        assert!(err.contains("openssl pkcs8 -topk8"), "{err}");
    }
}

#[test]
fn non_rsa_and_small_keys_are_refused() {
    let err = key_error(PrivateKey::load(fixture("ec.pkcs8.key")));
    assert!(
        err.contains("found an EC (elliptic-curve) private key"),
        "{err}"
    );
    let err = key_error(PublicKey::load(fixture("ec.spki.pem")));
    assert!(
        err.contains("found an EC (elliptic-curve) public key"),
        "{err}"
    );
    let err = key_error(PrivateKey::load(fixture("ed25519.pkcs8.key")));
    assert!(err.contains("found an Ed25519 private key"), "{err}");
    let err = key_error(PrivateKey::load(fixture("rsa1024.pkcs8.key")));
    assert!(
        err.contains("the RSA key has 1024 bits; keys under 2048 bits are refused"),
        "{err}"
    );
    let err = key_error(PublicKey::load(fixture("rsa1024.spki.pem")));
    assert!(err.contains("1024 bits"), "{err}");
}

#[test]
fn garbage_and_paths_are_explained() {
    let err = key_error(PrivateKey::load("hello, world!"));
    assert!(err.contains("neither PEM"), "{err}");
    let err = key_error(PrivateKey::load("abc$"));
    assert!(err.contains("neither PEM"), "{err}");
    let err = key_error(PrivateKey::load("   \n"));
    assert!(err.contains("the input is empty"), "{err}");
    let err = key_error(PrivateKey::load("/etc/wechatpay/apiclient_key.pem"));
    assert!(err.contains("looks like a file path"), "{err}");
    assert!(err.contains("from_file"), "{err}");
    let err = key_error(PublicKey::load("AAAA"));
    assert!(err.contains("not a DER public key"), "{err}");
    let err = key_error(PrivateKey::from_file(path("does-not-exist.pem")));
    assert!(
        err.contains("cannot read") && err.contains("does-not-exist.pem"),
        "{err}"
    );
    let err = key_error(PrivateKey::from_pem("no envelope here"));
    assert!(err.contains("no PEM block found"), "{err}");
    let truncated: String = text("rsa.pkcs8.key")
        .lines()
        .take(10)
        .collect::<Vec<_>>()
        .join("\n");
    let err = key_error(PrivateKey::load(truncated));
    assert!(err.contains("no `-----END PRIVATE KEY-----` line"), "{err}");
    let mut damaged = text("rsa.pkcs8.key");
    damaged.replace_range(40..41, "!");
    let err = key_error(PrivateKey::load(damaged));
    assert!(
        err.contains("base64 inside the PRIVATE KEY block is damaged"),
        "{err}"
    );
}

#[test]
fn debug_reveals_no_key_material() {
    let key = PrivateKey::from_pem(fixture("rsa.pkcs8.key")).unwrap();
    let debug = format!("{key:?}|{key:#?}");
    assert_eq!(format!("{key:?}"), "PrivateKey { .. redacted .. }");
    let body: String = text("rsa.pkcs8.key")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for chunk in body.as_bytes().chunks(6) {
        assert!(!debug.contains(std::str::from_utf8(chunk).unwrap()));
    }
    let public = format!("{:?}", key.public_key());
    assert!(
        public.starts_with("PublicKey { bits: 2048, sha256: \""),
        "{public}"
    );
    assert!(
        public.contains(&sha256_hex(key.public_key().spki_der())[..16]),
        "{public}"
    );
}

#[test]
fn hex_digests() {
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    // §4: the bill download digest of the committed CSV.
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bill.ALL.csv"
    ))
    .unwrap();
    assert_eq!(sha1_hex(&csv), "9bb6cd819be348f17a9cbcedddc8eb62fefbd790");
}
