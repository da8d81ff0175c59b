//! One module per page.

pub mod bench;
pub mod chapter;
pub mod glossary;
pub mod home;
pub mod not_found;
