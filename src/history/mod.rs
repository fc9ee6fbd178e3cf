//! Facts from git: each document's revisions and who approved what, with a
//! verified signature. Nothing here knows about ISO 42001.
//!
//! The one-pass revision walk (with commit sign-off trailers), git's
//! allowed-signers format, SSH (in-process) and OpenPGP (gpgv) signature
//! verification, approval-tag parsing and the scan of `refs/tags/aims/*`,
//! and the derivation of a document's state. The trust root and the
//! register built on these live in `control`.

pub mod allowed_signers;
pub mod approvals;
pub mod openpgp;
pub mod revisions;
pub mod signature;
pub mod signoffs;
pub mod state;
pub mod tag;
