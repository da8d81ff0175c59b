//! Embeds for ```sim and ```challenge directives.

use contentc::{ChallengeEmbed, SimEmbed};
use leptos::prelude::*;

/// A live simulation of a scenario from the engine's catalog.
#[component]
pub fn SimBlock(
    /// The directive.
    embed: &'static SimEmbed,
) -> impl IntoView {
    view! {
        <figure class="embed embed-sim">
            <p class="embed-kicker">"Simulation"</p>
            <p><code>{embed.scenario.as_str()}</code>" · seed " {embed.seed}</p>
            {embed.caption.as_deref().map(|c| view! { <figcaption>{c}</figcaption> })}
        </figure>
    }
}

/// A code challenge from the engine's catalog.
#[component]
pub fn ChallengeBlock(
    /// The directive.
    embed: &'static ChallengeEmbed,
) -> impl IntoView {
    view! {
        <section class="embed embed-challenge">
            <p class="embed-kicker">"Challenge"</p>
            <p><code>{embed.id.as_str()}</code></p>
        </section>
    }
}
