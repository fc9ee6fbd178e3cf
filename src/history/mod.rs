//! Facts from git: each document's revisions and who approved what, with a
//! verified signature. Nothing here knows about ISO 42001.
//!
//! Built so far: the one-pass revision walk, git's allowed-signers format,
//! SSH signature verification of tags, and approval-tag parsing. Still to
//! come (issue 3): OpenPGP via gpgv, the trust root from the last approved
//! aims.toml, versions, reviews, as-of and the commands on top.

pub mod allowed_signers;
pub mod openpgp;
pub mod revisions;
pub mod signature;
pub mod tag;
