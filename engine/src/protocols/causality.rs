//! Placeholder, filled in below.
use crate::scenarios::AnyScenario;

/// The scenarios of this module.
pub fn scenarios() -> Vec<Box<dyn AnyScenario>> {
    Vec::new()
}
