//! Reusable widgets.

pub mod challenge;
pub mod editor;
pub mod embed;
pub mod progress_bar;
pub mod progress_file;
pub mod quiz;
pub mod search;
pub mod shortcuts;
pub mod staleness;
