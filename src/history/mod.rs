//! Facts from git: who approved what, with a verified signature.
//!
//! Nothing here knows about ISO 42001. So far it holds the parser of git's
//! allowed-signers file, the trust root for SSH-signed approval tags.

pub mod allowed_signers;
pub mod signature;
pub mod tag;
