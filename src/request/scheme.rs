//! Which scheme signs a call: `brand/…` paths a brand, the rest a merchant. A call of the other
//! scheme is refused before anything is signed or sent.

use crate::error::{Error, Result};
use crate::protocol::identity::Identity;
use crate::protocol::v3;
use url::Url;

/// [`check`] on the path of a resolved APIv3 URL, as sent: under the call's base and under the
/// client's own base (`bases`), so that a per-call `base_uri` ending in `/brand/` does not hide
/// a brand path; under neither (an allowed host), the whole path.
pub(crate) fn check_sent(identity: &Identity, url: &Url, bases: [&Url; 2]) -> Result<()> {
    let sent = url.path();
    // Checked on every call: read in place, no list of the views is built.
    let unders = bases.map(|b| sent.strip_prefix(b.path()));
    let first = unders.iter().flatten().next().copied();
    let Some(first) = first else {
        return check(identity, sent.trim_start_matches('/'));
    };
    let under = unders
        .iter()
        .flatten()
        .find(|p| v3::Scheme::for_path(p) == &v3::Scheme::BRAND)
        .unwrap_or(&first);
    check(identity, under)
}

/// A call is signed under the scheme its path belongs to (`brand/…` by a brand, the rest by a
/// merchant): the other scheme's signature is answered `401 SIGN_ERROR`, so it is refused here,
/// before anything is signed or sent.
pub(crate) fn check(identity: &Identity, path: &str) -> Result<()> {
    let owner = v3::Scheme::for_path(path);
    // 国密 signs the merchant's paths: schemes that share a prefix share the calls.
    if owner == identity.scheme || owner.prefix == identity.scheme.prefix {
        return Ok(());
    }
    let ours = identity.scheme;
    Err(Error::argument(
        "path",
        format!(
            "`{path}` is a {owner_signer} call, signed `{owner_name} {owner_field}=…`, and this client signs as a \
             {signer} (`{name} {field}=\"{id}\"`): WeChat Pay would answer 401 SIGN_ERROR. Call it with a client \
             built with ClientBuilder::{owner_field}",
            owner_signer = owner.signer,
            owner_name = owner.name,
            owner_field = owner.id_field,
            signer = ours.signer,
            name = ours.name,
            field = ours.id_field,
            id = identity.id,
        ),
    ))
}
