//! The names content may refer to: simulation scenarios and challenges.
//!
//! The content pipeline validates every ```sim and ```challenge directive against this catalog,
//! so a chapter can never embed something that does not exist.

/// Ids of the simulation scenarios the engine can run.
pub fn scenario_ids() -> Vec<&'static str> {
    crate::scenarios::scenario_ids()
}

/// Ids of the code challenges the engine can check.
pub fn challenge_ids() -> Vec<&'static str> {
    crate::challenge::challenges()
        .iter()
        .map(|c| c.id.as_str())
        .collect()
}
