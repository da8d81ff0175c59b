//! Embeds for ```sim and ```challenge directives.

use contentc::{ChallengeEmbed, SimEmbed};
use leptos::prelude::*;

use crate::components::challenge::ChallengeView;
use crate::sim::SimView;

/// A live simulation of a scenario from the engine's catalog.
#[component]
pub fn SimBlock(
    /// The directive.
    embed: &'static SimEmbed,
) -> impl IntoView {
    // The content pipeline checked the scenario against the engine's catalog at build time.
    let spec = engine::scenarios::default_spec(&embed.scenario, embed.seed)
        .expect("content directives name catalogued scenarios");
    view! { <SimView spec=spec caption=embed.caption.clone()/> }
}

/// A code challenge from the engine's catalog.
#[component]
pub fn ChallengeBlock(
    /// The directive.
    embed: &'static ChallengeEmbed,
) -> impl IntoView {
    view! { <ChallengeView challenge=embed/> }
}
