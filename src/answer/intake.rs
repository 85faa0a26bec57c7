//! Where a download's bytes go: its digest check and its file, a gzip bill unpacked on the way.
//!
//! WeChat Pay's `hash_value` for a bill asked for with `tar_type=GZIP` is the digest of the
//! *unpacked* bill ("原始账单（gzip需要解压缩）的摘要值"). The download call does not know how
//! its bill was asked for (`tar_type` went to `tradebill`, not to the download URL), so a gzip
//! body is recognised by its magic bytes `1f 8b`: a CSV bill (UTF-8 text, possibly with a BOM)
//! can never begin with them, `0x8b` being no UTF-8 lead byte. The unpacking streams (never the
//! whole bill in memory) and stops at `max_download_bytes` of unpacked data, so a small
//! compressed answer cannot fill the disk or keep the hasher busy for hours.

use crate::answer::digest::Expected;
use crate::answer::sink::Sink;
use crate::error::{Error, Result};
use flate2::write::GzDecoder;
use std::io::Write;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// What each gzip member counts for against `max_download_bytes`, however little it unpacks to.
/// A member costs a fresh inflate state (some 40 KiB zeroed, about 5 µs): 20-byte empty members
/// would otherwise cost some 250 times the CPU per byte received that a real bill does, for as
/// many bytes as `max_download_bytes` lets through. A bill is one member.
const MEMBER_COST: u64 = 1024;

/// The digest check and file of one download, fed chunk by chunk.
pub(crate) struct Intake {
    state: State,
    /// The file receives the unpacked bill rather than the bytes received.
    gunzip: bool,
    /// Bytes received so far, for the errors to say where the gzip stream broke.
    received: u64,
}

enum State {
    /// Fewer than two bytes seen: whether the body is gzip is not known yet.
    Head(Vec<u8>, Out),
    /// Not gzip, or nothing needs its content: the bytes go on as received.
    Plain(Out),
    /// Gzip: `raw` keeps the bytes received (the file, unless unpacked), the decoder feeds `Out`.
    Gzip {
        raw: Option<Sink>,
        members: Members,
    },
    Spent,
}

/// The end of the line: the digest, and the file when it gets these bytes.
struct Out {
    digest: Option<Expected>,
    sink: Option<Sink>,
    seen: u64,
    max: u64,
    /// The error behind an `io::Error` handed to the decoder, to report as itself.
    failed: Option<Error>,
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.seen += buf.len() as u64;
        if self.seen > self.max {
            self.failed = Some(Error::Limit {
                limit: "max_download_bytes",
                reason: format!("the gzip download unpacks to more than {} bytes", self.max),
            });
            return Err(std::io::Error::other("limit"));
        }
        if let Some(d) = self.digest.as_mut() {
            d.update(buf);
        }
        if let Some(sink) = self.sink.as_mut() {
            if let Err(e) = sink.write(buf) {
                self.failed = Some(e);
                return Err(std::io::Error::other("sink"));
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Intake {
    /// `max_unpacked` bounds an unpacked gzip body (`max_download_bytes`).
    pub(crate) fn new(
        digest: Option<Expected>,
        sink: Option<Sink>,
        gunzip: bool,
        max_unpacked: u64,
    ) -> Intake {
        let out = Out {
            digest,
            sink,
            seen: 0,
            max: max_unpacked,
            failed: None,
        };
        // Nothing looks at the content: no reason to wait for the magic bytes.
        let state = if out.digest.is_none() && !gunzip {
            State::Plain(out)
        } else {
            State::Head(Vec::with_capacity(2), out)
        };
        Intake {
            state,
            gunzip,
            received: 0,
        }
    }

    /// Takes the next chunk of the body as received.
    pub(crate) fn update(&mut self, mut chunk: &[u8]) -> Result<()> {
        if let State::Head(head, _) = &mut self.state {
            let take = chunk.len().min(2 - head.len());
            head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if head.len() < 2 {
                return Ok(());
            }
            let State::Head(head, out) = std::mem::replace(&mut self.state, State::Spent) else {
                unreachable!("matched above")
            };
            self.decide(out, head == GZIP_MAGIC);
            self.feed(&head)?;
        }
        self.feed(chunk)
    }

    fn decide(&mut self, mut out: Out, gzip: bool) {
        self.state = if gzip {
            let raw = if self.gunzip { None } else { out.sink.take() };
            State::Gzip {
                raw,
                members: Members {
                    decoder: Some(Box::new(GzDecoder::new(out))),
                    started: 1,
                },
            }
        } else {
            State::Plain(out)
        };
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.received += chunk.len() as u64;
        match &mut self.state {
            State::Plain(out) => plain(out, chunk),
            State::Gzip { raw, members } => {
                if let Some(sink) = raw.as_mut() {
                    sink.write(chunk)?;
                }
                members
                    .write_all(chunk)
                    .map_err(|e| gzip_error(members.out(), e, self.received))
            }
            State::Head(..) | State::Spent => unreachable!("decided before feeding"),
        }
    }

    /// Checks the digest and returns the file, ready to commit.
    pub(crate) fn finish(mut self) -> Result<Option<Sink>> {
        let (out, raw) = match std::mem::replace(&mut self.state, State::Spent) {
            // A body shorter than the magic is no gzip.
            State::Head(head, mut out) => {
                plain(&mut out, &head)?;
                (out, None)
            }
            State::Plain(out) => (out, None),
            State::Gzip { raw, members } => {
                let Some(mut decoder) = members.decoder else {
                    return Err(Error::decode(
                        "the gzip download",
                        "it failed before it ended",
                    ));
                };
                decoder
                    .try_finish()
                    .map_err(|e| gzip_error(Some(decoder.get_mut()), e, self.received))?;
                let out = decoder
                    .finish()
                    .map_err(|e| Error::decode("the gzip download", e))?;
                let unpacked = out.seen;
                if let Some(d) = out.digest {
                    // The digest is not that of the bytes received: say so, or a `sha1sum` of
                    // the `.gz` file would seem to contradict the error.
                    d.finish().map_err(|e| match e {
                        Error::Signature(m) => Error::Signature(format!(
                            "{m} (computed over the {unpacked} bytes the gzip download unpacks \
                             to, not over the {} bytes received)",
                            self.received
                        )),
                        e => e,
                    })?;
                }
                return Ok(raw.or(out.sink));
            }
            State::Spent => unreachable!("finished once"),
        };
        if let Some(d) = out.digest {
            d.finish()?;
        }
        Ok(raw.or(out.sink))
    }
}

fn plain(out: &mut Out, chunk: &[u8]) -> Result<()> {
    if let Some(d) = out.digest.as_mut() {
        d.update(chunk);
    }
    match out.sink.as_mut() {
        Some(sink) => sink.write(chunk),
        None => Ok(()),
    }
}

/// flate2's `write::MultiGzDecoder` (one `GzDecoder` after another, each begun when the last
/// one's write takes nothing), with the members counted: see [`MEMBER_COST`].
struct Members {
    /// `None` only after a failure between two members.
    decoder: Option<Box<GzDecoder<Out>>>,
    started: u64,
}

impl Members {
    fn write_all(&mut self, mut buf: &[u8]) -> std::io::Result<()> {
        while !buf.is_empty() {
            let decoder = self.decoder.as_mut().ok_or_else(failed_before)?;
            match decoder.write(buf)? {
                // The member ended (trailer checked below); what follows is the next one.
                0 => self.next_member()?,
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    fn next_member(&mut self) -> std::io::Result<()> {
        let decoder = self.decoder.as_mut().ok_or_else(failed_before)?;
        decoder.try_finish()?;
        let out = decoder.get_mut();
        let allowed = (out.max / MEMBER_COST).max(1);
        if self.started >= allowed {
            out.failed = Some(Error::Limit {
                limit: "max_download_bytes",
                reason: format!(
                    "the gzip download has more than {allowed} members, each counting as \
                     {MEMBER_COST} unpacked bytes toward the {} allowed",
                    out.max
                ),
            });
            return Err(std::io::Error::other("members"));
        }
        let out = self.decoder.take().ok_or_else(failed_before)?.finish()?;
        self.decoder = Some(Box::new(GzDecoder::new(out)));
        self.started += 1;
        Ok(())
    }

    fn out(&mut self) -> Option<&mut Out> {
        self.decoder.as_mut().map(|d| d.get_mut())
    }
}

fn failed_before() -> std::io::Error {
    std::io::Error::other("the gzip stream failed before")
}

/// The limit or file error behind a decoder failure, else the stream was not valid gzip: said
/// with where it broke (`received` bytes in, so many unpacked).
fn gzip_error(out: Option<&mut Out>, e: std::io::Error, received: u64) -> Error {
    let (failed, seen) = match out {
        Some(out) => (out.failed.take(), out.seen),
        None => (None, 0),
    };
    failed.unwrap_or_else(|| {
        Error::decode(
            "the gzip download",
            format!(
                "{e}: a corrupt or truncated gzip stream (within its first {received} bytes, \
                 after {seen} unpacked)"
            ),
        )
    })
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;

/// Not part of the API: feeds `chunks` through an [`Intake`] as a download would, for the fuzz
/// target `fuzz/fuzz_targets/intake.rs` and its stable replay. With `sink`, the file is written
/// beside that path and read back, never committed (its temporary file is removed).
#[doc(hidden)]
pub fn fuzz_hook<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
    digest: Option<serde_json::Value>,
    sink: Option<&std::path::Path>,
    gunzip: bool,
    max_unpacked: u64,
) -> Result<Option<Vec<u8>>> {
    let digest = digest.map(Expected::parse).transpose()?;
    let sink = sink.map(Sink::create).transpose()?;
    let mut intake = Intake::new(digest, sink, gunzip, max_unpacked);
    for chunk in chunks {
        intake.update(chunk)?;
    }
    intake.finish()?.map(|sink| sink.contents()).transpose()
}
