//! DistSys Lab's single-page app.
//!
//! The app renders the course compiled from `content/` and embeds the engine's widgets. It holds
//! no protocol logic: pure view logic (routes, progress, layout) lives in plain modules tested
//! natively; components only wire signals to the DOM.
#![deny(missing_docs)]

pub mod browser;
pub mod components;
pub mod course;
pub mod history;
pub mod pages;
pub mod progress;
pub mod route;
pub mod shell;
pub mod sims;
pub mod store;
pub mod theme;
pub mod worker;

pub use shell::App;
