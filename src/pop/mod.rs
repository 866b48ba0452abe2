//! Aliyun POP RPC requests, signature version 1.0 (HMAC-SHA1), shared by Direct Mail and SMS.
//!
//! Spec: <https://help.aliyun.com/en/sdk/product-overview/rpc-mechanism> and
//! <https://help.aliyun.com/en/document_detail/130769.html>.

pub mod encode;
pub mod request;
pub mod response;
pub mod sign;
