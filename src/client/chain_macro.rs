//! The `chain!` macro and where it may start: a client or a chain, owned, borrowed or shared.

use crate::client::{Chain, Client};
use std::sync::Arc;

/// Where `chain!` starts: a client or a chain.
#[doc(hidden)]
pub trait ChainStart {
    type Chain;
    fn chain_start(&self) -> Self::Chain;
}

impl ChainStart for Client {
    type Chain = Chain;
    fn chain_start(&self) -> Chain {
        self.root()
    }
}

impl ChainStart for Chain {
    type Chain = Chain;
    fn chain_start(&self) -> Chain {
        self.clone()
    }
}

/// `chain!(client.v3…)` where `client` is a `&Client` or `&Chain`, as request handlers hold them.
impl<T: ChainStart + ?Sized> ChainStart for &T {
    type Chain = T::Chain;
    fn chain_start(&self) -> T::Chain {
        (**self).chain_start()
    }
}

/// `chain!(client.v3…)` where `client` is an `Arc<Client>` (shared application state).
impl<T: ChainStart + ?Sized> ChainStart for Arc<T> {
    type Chain = T::Chain;
    fn chain_start(&self) -> T::Chain {
        (**self).chain_start()
    }
}

/// Builds a chain from identifiers, as PHP's `$instance->v3->pay->transactions`.
///
/// Each identifier is one segment, normalised (`outTradeNo` is `out-trade-no`, `_id_` is `{id}`).
/// Rust keywords work as they are (`return`, `use`, `try`, `delete`), or as raw identifiers.
///
/// ```
/// use wechatpay::chain;
/// # let client = wechatpay::Client::builder().mchid("1900000001").build().unwrap();
/// let c = chain!(client.v3.profitsharing.receivers.delete);
/// assert_eq!(c.template(), "v3/profitsharing/receivers/delete");
/// let c = chain!(client.v3.ecommerce.refunds._refund_id_.return);
/// assert_eq!(c.template(), "v3/ecommerce/refunds/{refund_id}/return");
///
/// // what request handlers hold: a reference, an Arc, a chain
/// fn handler(client: &wechatpay::Client) -> wechatpay::Chain {
///     chain!(client.v3.pay.transactions._transaction_id_)
/// }
/// let shared = std::sync::Arc::new(client.clone());
/// let base = chain!(shared.v3.pay);
/// assert_eq!(chain!(base.transactions).template(), "v3/pay/transactions");
/// assert_eq!(handler(&client).template(), "v3/pay/transactions/{transaction_id}");
/// ```
#[macro_export]
macro_rules! chain {
    ($root:ident $(. $seg:tt)+) => {
        $crate::ChainStart::chain_start(&$root) $(.seg(stringify!($seg)))+
    };
    (($root:expr) $(. $seg:tt)+) => {
        $crate::ChainStart::chain_start(&$root) $(.seg(stringify!($seg)))+
    };
}
