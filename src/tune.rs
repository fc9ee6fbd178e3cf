//! libgit2's process-wide settings, chosen for how aims reads history: one
//! forward pass over every commit.
//!
//! - **Hash checks move, they do not vanish.** libgit2 re-hashes every
//!   object it reads (a sixth to a third of a status run on long
//!   histories). git itself does not: packed objects are trusted to zlib's
//!   checksum of each object and to the pack index, and `git fsck` is the
//!   full check. aims reads the same way, and hashes every loose object
//!   itself, once, before libgit2 touches it (`history::loose`, remembered
//!   by id, size and time). A damaged packed object still fails to inflate
//!   and stops the command with exit 2.
//! - **No object cache.** libgit2 keeps objects it read in a cache of up to
//!   256 MiB, which a long history fills: more than twice git's own memory,
//!   and a tenth of the run spent freeing it at exit. The revision walk
//!   keeps the trees it will read again itself (the last tree at each path,
//!   `history::revisions`), so the cache buys little: without it a status
//!   run takes about half of git log's memory and no more time.

/// Applies the settings; called once, first thing, by the `aims` binary.
pub fn libgit2() {
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
}
