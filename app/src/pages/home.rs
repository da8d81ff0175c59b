//! The course overview: what it is, who it is for, the agenda and the learner's progress.

use leptos::prelude::*;

use crate::components::progress_bar::ProgressBar;
use crate::components::progress_file::ProgressFile;
use crate::course::course;
use crate::route::{chapter_href, Route};
use crate::store::Store;

/// What a participant leaves the workshop able to do, each with the chapters that teach and
/// exercise it.
pub const OUTCOMES: [(&str, &[u8]); 6] = [
    ("Design for partial failure: reason about what a timeout, a retry or a crash can and cannot tell you.", &[1, 5]),
    ("Apply the CAP theorem and PACELC to real design decisions, saying precisely what each does and does not promise.", &[2, 3]),
    ("Choose a consistency model for a use case, and check a history against it.", &[2, 7]),
    ("Pick a replication strategy and a conflict-resolution scheme, knowing which writes each can lose.", &[3]),
    ("Implement the core of Raft and a store on it, and know why each rule is there.", &[4, 7]),
    ("Debug distributed failures systematically, with traces, causal order and deterministic replay.", &[6]),
];

/// Where the reader was last: the `localStorage` key and its value, a chapter route.
const PLACE_KEY: &str = "dslab.place";

/// Remembers a chapter route as where to continue from.
pub fn remember_place(route: &Route) {
    if let Some(storage) = crate::browser::storage() {
        let _ = storage.set_item(PLACE_KEY, &route.href());
    }
}

/// The chapter (and section) the reader was last on, if it still exists.
fn last_place() -> Option<(String, String)> {
    let href = crate::browser::storage()?.get_item(PLACE_KEY).ok()??;
    let Some(Route::Chapter { slug, section }) = Route::parse(&href) else {
        return None;
    };
    let chapter = crate::course::chapter(&slug)?;
    let title = section
        .and_then(|id| chapter.sections.iter().find(|s| s.id == id))
        .map_or(String::new(), |s| format!(" — {}", s.title));
    Some((
        href,
        format!("Continue: {}. {}{title}", chapter.number, chapter.title),
    ))
}

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
                    {last_place().map(|(href, text)| view! { <a class="button primary continue" href=href>{text}</a> })}
                    <a class="button" class:primary=last_place().is_none() href=chapter_href(&course().chapters[0].slug)>"Start with chapter 1"</a>
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
                <ul class="outcomes">{OUTCOMES.iter().map(|(text, chapters)| view! {
                    <li>{*text}" "<span class="outcome-where">{chapters.iter().filter_map(|n| {
                        let c = course().chapters.get(usize::from(*n).checked_sub(1)?)?;
                        Some(view! { <a href=chapter_href(&c.slug) title=c.title.as_str()>{format!("ch. {n}")}</a>" " })
                    }).collect_view()}</span></li>
                }).collect_view()}</ul>
            </section>
            <section id="agenda">
                <h2>"The agenda"</h2>
                <p class="muted">{format!("{} chapters, {} hours of workshop time.", course().chapters.len(), total_hours)}</p>
                <ol class="chapter-list">{chapters}</ol>
            </section>
        </div>
    }
}
