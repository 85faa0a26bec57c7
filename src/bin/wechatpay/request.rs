//! `wechatpay request`: sign and send one call (with a signature made elsewhere: `split`).

use crate::input::{args_map, chain_for, method, Options};
use wechatpay::Error;

pub(crate) fn request(o: &Options) -> Result<(), Error> {
    if o.string_to_sign {
        return crate::split::print_string_to_sign(o);
    }
    if let Some(signature) = &o.signature {
        return crate::split::send_signed(o, signature);
    }
    let method = method(&o.method)?;
    let args = args_map(&o.args, &o.pairs)?;
    let client = wechatpay::blocking::Client::from(crate::config::client(&o.sel)?);
    let chain = chain_for(client.root(), &o.path);
    if o.dry_run {
        let prepared = chain.prepare(method, args)?;
        println!("{}", prepared.to_json());
        return Ok(());
    }
    let res = chain.request(method, args).inspect_err(|e| {
        // An error answer's headers too, before its one-line error.
        crate::answer::failed(o.include, e);
    })?;
    crate::answer::print(&res, o.include, o.raw);
    Ok(())
}
