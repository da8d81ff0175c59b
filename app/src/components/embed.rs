//! Embeds for ```sim and ```challenge directives.

use contentc::{ChallengeEmbed, SimEmbed};
use leptos::prelude::*;

use crate::components::challenge::ChallengeView;
use crate::sims::{Mount, SimMount};

/// A live simulation of a scenario from the engine's catalog.
#[component]
pub fn SimBlock(
    /// The directive.
    embed: &'static SimEmbed,
) -> impl IntoView {
    // The content pipeline checked the scenario against the engine's catalog at build time.
    let what = Mount::Scenario {
        id: embed.scenario.clone(),
        seed: embed.seed,
        caption: embed.caption.clone(),
    };
    view! { <SimMount what=what lazy=true/> }
}

/// A code challenge from the engine's catalog.
#[component]
pub fn ChallengeBlock(
    /// The directive.
    embed: &'static ChallengeEmbed,
) -> impl IntoView {
    view! { <ChallengeView challenge=embed/> }
}
