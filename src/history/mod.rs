//! Facts from git: each document's revisions and who approved what, with a
//! verified signature. Nothing here knows about ISO 42001.
//!
//! Built so far: the one-pass revision walk, git's allowed-signers format,
//! SSH (in-process) and OpenPGP (gpgv) verification of tag signatures,
//! approval-tag parsing, and the scan of `refs/tags/aims/*`. Still to come
//! (issue 3): the trust root from the last approved aims.toml, commit
//! sign-off trailers, versions, reviews, as-of, and the commands on top.

pub mod allowed_signers;
pub mod approvals;
pub mod openpgp;
pub mod revisions;
pub mod signature;
pub mod state;
pub mod tag;
