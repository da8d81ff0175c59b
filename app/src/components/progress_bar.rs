//! A chapter's progress as a bar with a text label.

use leptos::prelude::*;

use crate::progress::ChapterProgress;

/// Progress for one chapter; the label says what the bar shows.
#[component]
pub fn ProgressBar(
    /// The chapter's counts.
    counts: Memo<ChapterProgress>,
) -> impl IntoView {
    view! {
        <span class="progress">
            <span class="progress-track" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=move || counts.get().percent()
                aria-label=move || counts.get().label()>
                <span class="progress-fill" style=move || format!("width: {}%", counts.get().percent())></span>
            </span>
            <span class="progress-label">{move || counts.get().label()}</span>
        </span>
    }
}
