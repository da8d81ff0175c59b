//! The page for an unknown URL.

use leptos::prelude::*;

use crate::course::course;
use crate::route::chapter_href;

/// Says what was not found and offers every chapter.
#[component]
pub fn NotFoundPage(
    /// The path that was asked for.
    asked: String,
) -> impl IntoView {
    view! {
        <div class="not-found">
            <h1>"There is no page here"</h1>
            <p>"Nothing on this site lives at " <code>{format!("#{asked}")}</code> ". It may have moved, or the link has a typo."</p>
            <p><a class="button primary" href="#/">"Go to the course overview"</a></p>
            <h2>"Chapters"</h2>
            <ol class="plain-chapters">
                {course().chapters.iter().map(|c| view! {
                    <li><a href=chapter_href(&c.slug)>{format!("{}. {}", c.number, c.title)}</a></li>
                }).collect_view()}
            </ol>
        </div>
    }
}
