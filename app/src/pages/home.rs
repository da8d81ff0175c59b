//! The course overview: what it is, who it is for, the agenda and the learner's progress.

use leptos::prelude::*;

use crate::components::progress_bar::ProgressBar;
use crate::components::progress_file::ProgressFile;
use crate::course::course;
use crate::route::chapter_href;
use crate::store::Store;

/// What a participant leaves the workshop able to do.
pub const OUTCOMES: [&str; 5] = [
    "Design for partial failure: reason about what a timeout, a retry or a crash can and cannot tell you.",
    "Choose a consistency model for a use case, and state precisely what CAP and PACELC do and do not say about it.",
    "Pick a replication strategy and a conflict-resolution scheme, knowing which writes each can lose.",
    "Implement the core of Raft, and know why each rule of its Figure 2 is there.",
    "Debug distributed failures systematically, with traces, causal order and deterministic replay.",
];

/// The home page.
#[component]
pub fn HomePage() -> impl IntoView {
    let store = expect_context::<Store>();
    let total_hours: u32 = course().chapters.iter().map(|c| u32::from(c.hours)).sum();
    let chapters = course()
        .chapters
        .iter()
        .map(|chapter| {
            let counts = Memo::new(move |_| store.progress.with(|p| p.chapter(chapter)));
            view! {
                <li class="chapter-card">
                    <a href=chapter_href(&chapter.slug)>
                        <span class="chapter-number" aria-hidden="true">{chapter.number}</span>
                        <span class="chapter-body">
                            <span class="chapter-title">{chapter.title.as_str()}</span>
                            <span class="chapter-summary">{chapter.summary.as_str()}</span>
                            <span class="chapter-meta">
                                <span class="hours">{format!("{} h", chapter.hours)}</span>
                                <ProgressBar counts=counts/>
                            </span>
                        </span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="home">
            <section class="hero">
                <p class="eyebrow">"Companion to the workshop “Distributed Systems Fundamentals”"</p>
                <h1>"Learn distributed systems by breaking them."</h1>
                <p class="lede">
                    "Seven chapters of precise prose, each paired with deterministic simulations you can pause, "
                    "rewind and sabotage — crash a node, cut a link, skew a clock — and with code challenges your "
                    "browser checks against many seeded runs with faults, replaying the smallest run that breaks your code."
                </p>
                <p class="hero-actions">
                    <a class="button primary" href=chapter_href(&course().chapters[0].slug)>"Start with chapter 1"</a>
                    <a class="button" href="#agenda">"See the agenda"</a>
                </p>
            </section>
            <section class="home-grid">
                <div>
                    <h2>"Who it is for"</h2>
                    <p>
                        "Senior backend engineers, architects, tech leads and platform engineers who run systems "
                        "that span machines and want the underlying models, not folklore. You should be fluent in one "
                        "programming language; the challenges use a small JavaScript-like scripting language "
                        "documented beside each exercise."
                    </p>
                </div>
                <div>
                    <h2>"How to use it"</h2>
                    <ul>
                        <li><strong>"Before the workshop:"</strong>" read a chapter and answer its self-check questions."</li>
                        <li><strong>"During it:"</strong>" run the simulations and solve the challenges with your group."</li>
                        <li><strong>"Afterwards:"</strong>" come back to the reference and the glossaries."</li>
                    </ul>
                    <p class="muted">"Everything runs in this page, offline once loaded. Progress and your code are saved in this browser; export them to keep a copy or to move to another browser."</p>
                    <ProgressFile/>
                </div>
            </section>
            <section>
                <h2>"What you will be able to do"</h2>
                <ul class="outcomes">{OUTCOMES.iter().map(|o| view! { <li>{*o}</li> }).collect_view()}</ul>
            </section>
            <section id="agenda">
                <h2>"The agenda"</h2>
                <p class="muted">{format!("{} chapters, {} hours of workshop time.", course().chapters.len(), total_hours)}</p>
                <ol class="chapter-list">{chapters}</ol>
            </section>
        </div>
    }
}
