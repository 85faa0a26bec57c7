//! The standards' example vectors and the official Java SDK's vectors.

use super::*;
use crate::keys::crypto::{Signer, Verifier};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

// wechatpay-apiv3/wechatpay-java, shangmi-testing/src/main/resources (commit 1dab7be):
// the merchant key and certificate its BaseSM2Test signs, verifies and decrypts with.
const JAVA_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGTAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBHkwdwIBAQQg/U9Saz5ceDGQhFBM
f/cHIh2+q5Lzvhrb8L2SI4sPUR+gCgYIKoEcz1UBgi2hRANCAAR7zUf3XqGdBMCn
K02nD1fdGz+TN8xd0SQYgbkTQxk5v2mlXva0ZxDH4XJFI9D2Rt1pTSSDl29uhQ1G
Y3j6iy9+
-----END PRIVATE KEY-----
";
const JAVA_CERT: &str = "-----BEGIN CERTIFICATE-----
MIICyTCCAmygAwIBAgIUVOf1ntjfRXDPsUeA6oFS1FpnXuYwDAYIKoEcz1UBg3UF
ADCBjTFHMEUGA1UEAww+U2hlbiBaaGVuIGlUcnVzQ2hpbmEgQ2xhc3MgRW50ZXJw
cmlzZSBTdWJzY3JpYmVyIENBIFNNMiAtIFRlc3QxGDAWBgNVBAsMD+a1i+ivlemD
qOivleeUqDEbMBkGA1UECgwS5aSp6K+a5a6J5L+h6K+V55SoMQswCQYDVQQGEwJD
TjAeFw0yMjA4MDQxMjE0MTlaFw0yMzA5MDMxMjE0MTlaMGsxCzAJBgNVBAYTAkNO
MRswGQYDVQQKDBLlvq7kv6HllYbmiLfns7vnu58xKjAoBgNVBAsMIea3seWcs+W4
guS8n+iNo+enkeaKgOaciemZkOWFrOWPuDETMBEGA1UEAwwKMjQ4MzI4MTc2MTBZ
MBMGByqGSM49AgEGCCqBHM9VAYItA0IABHvNR/deoZ0EwKcrTacPV90bP5M3zF3R
JBiBuRNDGTm/aaVe9rRnEMfhckUj0PZG3WlNJIOXb26FDUZjePqLL36jgcgwgcUw
DAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCBsAwHwYDVR0jBBgwFoAUK0Y6T9Ge
LM7UH4bC1j2avycoZPcwHQYDVR0OBBYEFBmE5STz2WNsXVrgclXrxsl6SCihMGUG
A1UdHwReMFwwWqBYoFaGVGh0dHA6Ly9ldmNhLml0cnVzLmNvbS5jbi9wdWJsaWMv
aXRydXNjcmw/Q0E9NzMzNUExQUYzNzRBMUU4QjQwM0FCMUFDMkQwNjVDQUU3NUNB
QjIzNjAMBggqgRzPVQGDdQUAA0kAMEYCIQDK0r6D8VyiUVMfRnAfz40ZtiG8DJEF
6Rn41oZ3qPW1aQIhAKtn5sKME+thLQFeyV70VSsraZ7h9Fccal2WzI2oCdtY
-----END CERTIFICATE-----
";
// BaseSM2Test.SIGN over "message" and CIPHERTEXT of "plaintext".
const JAVA_SIGN: &str = "MEYCIQD35Rp3CKt7pLme/a0GaCVmwSeOl7X/12+ppRivcJuf6QIhAO5Vpy4tSk9SJUrgH5I5Qy0aYhFG9lN0aof1f5wJOI05";
const JAVA_CIPHERTEXT: &str = "MHECIAGn23Ew8nF0zRfu3qgdD6VATSmGM5wrVFvNqg1ToXneAiBgfOJLVi1NtpRVH2qanzooL4gOrDKKOloD7gS17g+iCQQgcTtJpGhytHZeV/HeTqYkg3YqOY+Vybx+OQx217Ktn0QECdMjiI7lpId5dg==";

#[test]
fn the_java_sdk_vectors() {
    let cert = Sm2Certificate::from_pem(JAVA_CERT).unwrap();
    assert_eq!(cert.serial_no(), "54E7F59ED8DF4570CFB14780EA8152D45A675EE6");
    let key = Sm2PrivateKey::from_pem(JAVA_KEY).unwrap();
    assert_eq!(&key.public_key(), cert.public_key());
    let sig = B64.decode(JAVA_SIGN).unwrap();
    cert.public_key().verify(b"message", &sig).unwrap();
    assert!(cert.public_key().verify(b"false-message", &sig).is_err());
    assert_eq!(
        decrypt_sensitive_sm2(&key, JAVA_CIPHERTEXT).unwrap(),
        "plaintext"
    );
    // BaseSM2Test.testDecryptFail: every `1` turned `2`.
    assert!(decrypt_sensitive_sm2(&key, &JAVA_CIPHERTEXT.replace('1', "2")).is_err());
    let ours = key.sign(b"message").unwrap();
    cert.public_key().verify(b"message", &ours).unwrap();
    // BaseAeadSM4Test
    let apiv3 = b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    let sealed = "+lcLNfkZQQx+iQm20Apa3x9Mb/5L7PgZ7w==";
    assert_eq!(
        sm4_gcm_encrypt(apiv3, b"uluk4a9R25RW", b"associatedData", b"plaintext").unwrap(),
        sealed
    );
    assert_eq!(
        sm4_gcm_decrypt(apiv3, b"uluk4a9R25RW", b"associatedData", sealed).unwrap(),
        b"plaintext"
    );
    assert!(sm4_gcm_decrypt(
        apiv3,
        b"uluk4a9R25RW",
        b"associatedData",
        "+lcLNfkZQQx+iQm20Apa3x9Mb/5L7PgZ8w=="
    )
    .is_err());
}

#[test]
fn sm4_block_cipher_gbt_32907_example() {
    use aes_gcm::aead::generic_array::GenericArray;
    use sm4::cipher::{BlockEncrypt, KeyInit};
    // GB/T 32907-2016, Appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
    let key = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
    let cipher = sm4::Sm4::new(GenericArray::from_slice(&key));
    let mut block = GenericArray::clone_from_slice(&key);
    cipher.encrypt_block(&mut block);
    assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
}

// GB/T 32918.5-2017 (= GM/T 0003.5-2012), Appendix A (signature) and C (encryption), on the
// recommended curve: private key d, user id 1234567812345678. (x1 of C1 itself starts `04`.)
const STD_D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const STD_PUB: &str = "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
const STD_K: &str = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";

#[test]
fn sm2_signature_gbt_32918_example() {
    let key = Sm2PrivateKey::from_scalar(&hex::decode(STD_D).unwrap()).unwrap();
    assert_eq!(hex::encode_upper(key.public_key().to_sec1_bytes()), STD_PUB);
    let r = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
    let s = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";
    let raw = hex::decode(format!("{r}{s}")).unwrap();
    let signature = sm2::dsa::Signature::from_slice(&raw).unwrap();
    let der = keys::signature_to_der(&signature);
    key.public_key().verify(b"message digest", &der).unwrap();
    assert!(key.public_key().verify(b"message digest", &raw).is_err());
    assert!(key.public_key().verify(b"message digesT", &der).is_err());
}

#[test]
fn sm2_encryption_gbt_32918_example() {
    let key = Sm2PrivateKey::from_scalar(&hex::decode(STD_D).unwrap()).unwrap();
    let k = sm2::SecretKey::from_slice(&hex::decode(STD_K).unwrap()).unwrap();
    let der = pke::encrypt_with(
        key.public_key().inner(),
        &k.to_nonzero_scalar(),
        b"encryption standard",
    )
    .unwrap()
    .unwrap();
    let mut seq = pke::der_sequence(&der).unwrap();
    let x = seq.next_uint().unwrap();
    let y = seq.next_uint().unwrap();
    let c3 = seq.next(0x04).unwrap();
    let c2 = seq.next(0x04).unwrap();
    assert_eq!(
        (hex::encode_upper(x) + &hex::encode_upper(y)),
        "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
    );
    assert_eq!(
        hex::encode_upper(c3),
        "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
    );
    assert_eq!(
        hex::encode_upper(c2),
        "21886CA989CA9C7D58087307CA93092D651EFA"
    );
    assert_eq!(key.decrypt(&der).unwrap(), b"encryption standard");
    // The raw 04‖C1‖C3‖C2 form opens too.
    let raw = [&[4u8][..], &x, &y, c3, c2].concat();
    assert_eq!(key.decrypt(&raw).unwrap(), b"encryption standard");
}

#[test]
fn keys_load_in_every_form_and_refuse_rsa() {
    let key = Sm2PrivateKey::from_pem(JAVA_KEY).unwrap();
    let der = B64
        .decode(
            JAVA_KEY
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    assert_eq!(
        Sm2PrivateKey::load(&der).unwrap().public_key(),
        key.public_key()
    );
    let sec1 =
        sm2::elliptic_curve::SecretKey::<sm2::Sm2>::to_sec1_pem(key.secret(), Default::default())
            .unwrap();
    assert_eq!(
        Sm2PrivateKey::load(sec1.as_bytes()).unwrap().public_key(),
        key.public_key()
    );
    let public_pem = key.public_key().to_pem().unwrap();
    assert_eq!(Sm2PublicKey::load(&public_pem).unwrap(), key.public_key());
    let rsa = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/rsa.pkcs8.key"
    ));
    let e = Sm2PrivateKey::load(rsa).unwrap_err().to_string();
    assert!(e.contains("SM2 private key"), "{e}");
    let rsa_cert = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/rsa.crt"
    ));
    let e = Sm2Certificate::from_pem(rsa_cert).unwrap_err().to_string();
    assert!(e.contains("not SM2"), "{e}");
    assert!(sm4_key(b"short").is_err());
    assert!(sm4_gcm_decrypt(&[b'a'; 32], b"short", b"", "AAAAAAAAAAAAAAAAAAAAAA==").is_err());
}
