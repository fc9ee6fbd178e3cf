//! `aims`: a git-native document-control system and auditor's checklist for
//! ISO/IEC 42001 AI management systems.
//!
//! Data flows top to bottom: [`config`], [`docs`] → [`workspace`] →
//! [`rules`] → [`finding`]s → [`report`]. [`commands`] wires them to the CLI.

pub mod approve;
pub mod audit;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod control;
pub mod date;
pub mod docs;
pub mod export;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod gate;
pub mod history;
pub mod hooks;
pub mod pr_comment;
pub mod product;
pub mod redline;
pub mod report;
pub mod requirements;
pub mod reviews;
pub mod rules;
pub mod safe;
pub mod scaffold;
pub mod sources;
pub mod sync;
pub mod tune;
pub mod workspace;
