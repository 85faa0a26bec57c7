//! APIv3 media upload: a `multipart/form-data` body whose signature covers only the `meta` JSON.
//!
//! Images and videos (`v3/merchant/media/upload`, `v3/merchant/media/video_upload`,
//! `v3/merchant-service/images/upload`, `v3/marketing/favor/media/image-upload`…) go up as two
//! parts: `meta` (`{"filename","sha256"}`, sometimes with more fields) and `file`. WeChat Pay
//! checks the request signature over the `meta` JSON, not over the multipart bytes.

use crate::error::{Error, Result};
use bytes::Bytes;
use serde_json::{json, Value};
use std::path::Path;

/// A file to upload, with its `meta`.
///
/// ```
/// let logo = wechatpay::Media::new("logo.png", std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/logo.png")).unwrap());
/// assert_eq!(logo.meta(), r#"{"filename":"logo.png","sha256":"01c9b1153143ad6927290a6523a1e3c98291f58388d44e59c8d2d8a98a8d1050"}"#);
/// ```
#[derive(Clone)]
pub struct Media {
    filename: String,
    content: Bytes,
    meta: String,
}

/// The name and size, never the content: an uploaded image is often an identity card.
impl std::fmt::Debug for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Media")
            .field("filename", &self.filename)
            .field("content_bytes", &self.content.len())
            .finish()
    }
}

impl Media {
    /// A file by name and content; `meta` is `{"filename","sha256"}` (lowercase hex SHA-256).
    pub fn new(filename: impl Into<String>, content: impl Into<Bytes>) -> Media {
        let filename = filename.into();
        let content = content.into();
        let meta =
            json!({ "filename": filename, "sha256": crate::keys::crypto::sha256_hex(&content) })
                .to_string();
        Media {
            filename,
            content,
            meta,
        }
    }

    /// Reads a file; the name sent is the file's base name.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Media> {
        let path = path.as_ref();
        let content = std::fs::read(path).map_err(|e| {
            Error::argument("media", format!("cannot read {}: {e}", path.display()))
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        Ok(Media::new(name, content))
    }

    /// Replaces `meta`, for endpoints that want more fields (e.g. `bank_type`); it must be an
    /// object, and is sent and signed exactly as serialised here.
    pub fn with_meta(mut self, meta: Value) -> Result<Media> {
        if !meta.is_object() {
            return Err(Error::argument("meta", "expected a JSON object"));
        }
        self.meta = meta.to_string();
        Ok(self)
    }

    /// The `meta` JSON, which the request signature covers.
    pub fn meta(&self) -> &str {
        &self.meta
    }

    /// The SM3 (GB/T 32905) of the file in lowercase hex, as the official samples pass it: the
    /// `meta.digest` of the fapiao upload (`digest_alogrithm` `SM3`, WeChat Pay's spelling) and
    /// of the taxi-invoice upload (`digest_algorithm` `DIGEST_ALGORITHM_SM3`).
    ///
    /// ```
    /// use serde_json::json;
    /// let pdf = wechatpay::Media::new("fapiao.pdf", &b"%PDF-1.7 ..."[..]);
    /// let meta = json!({
    ///     "sub_mchid": "1900000109",
    ///     "file_type": "PDF",
    ///     "digest_alogrithm": "SM3",
    ///     "digest": pdf.sm3_hex(),
    /// });
    /// let pdf = pdf.with_meta(meta).unwrap();
    /// assert!(pdf.meta().contains(&wechatpay::crypto::sm3_hex(b"%PDF-1.7 ...")));
    /// ```
    pub fn sm3_hex(&self) -> String {
        crate::keys::crypto::sm3_hex(&self.content)
    }

    /// The file name sent.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The MIME type of the `file` part, from the file name's extension.
    fn content_type(&self) -> Option<&'static str> {
        let ext = self.filename.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" => "image/jpeg",
            "png" => "image/png",
            "gif" => "image/gif",
            "bmp" => "image/bmp",
            "webp" => "image/webp",
            "mp4" => "video/mp4",
            "mov" => "video/quicktime",
            "avi" => "video/x-msvideo",
            "wmv" => "video/x-ms-wmv",
            "mpeg" | "mpg" => "video/mpeg",
            "csv" => "text/csv",
            "pdf" => "application/pdf",
            _ => return None,
        })
    }

    /// The multipart body and its `Content-Type`, with the given boundary.
    pub(crate) fn multipart(&self, boundary: &str) -> (Bytes, String) {
        let mut body = Vec::with_capacity(self.content.len() + self.meta.len() + 300);
        body.extend_from_slice(format!("--{boundary}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n").as_bytes());
        body.extend_from_slice(self.meta.as_bytes());
        let filename = self.filename.replace(['"', '\r', '\n'], "_");
        body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n").as_bytes());
        if let Some(ct) = self.content_type() {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&self.content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        (
            Bytes::from(body),
            format!("multipart/form-data; boundary={boundary}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_layout() {
        let m = Media::new("a.png", &b"PNG"[..]);
        let (body, ct) = m.multipart("b0undary");
        assert_eq!(ct, "multipart/form-data; boundary=b0undary");
        let want = format!(
            "--b0undary\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{}\r\n--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b0undary--\r\n",
            m.meta()
        );
        assert_eq!(body, want.as_bytes());
        assert!(Media::new("x", &b""[..]).with_meta(json!([1])).is_err());
    }
}
