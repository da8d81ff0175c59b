//! A code challenge: statement, editor, check in a Web Worker, results and hints.
//!
//! The check never runs on the page's thread: each check starts a worker (the `worker` crate,
//! which holds the engine and Rhai), posts the learner's code, shows its progress, and ends it
//! when the report arrives, when the learner cancels, or after [`CHECK_TIME_LIMIT_MS`]. A
//! cancelled or timed-out worker is terminated and the next check starts a fresh one.

use contentc::ChallengeEmbed;
use engine::challenge::{CheckReport, Efficiency, PropertyOutcome, PropertyStatus, Verdict};
use engine::worker::{WorkerRequest, WorkerResponse};
use leptos::prelude::*;

use crate::browser::storage;
use crate::components::editor::{CodeEditor, EditorHandle};
use crate::sims::{Mount, SimMount};
use crate::store::Store;
use crate::worker::{spawn_worker, Running};

/// The longest a check may run before it is stopped, in milliseconds.
pub const CHECK_TIME_LIMIT_MS: u64 = 30_000;

fn code_key(id: &str) -> String {
    format!("{}{id}", crate::progress::CODE_KEY_PREFIX)
}

/// The learner's code for a composed challenge (see [`ChallengeEmbed::compose`]): each
/// part's saved code, or that part's reference where nothing is saved, under a comment line
/// saying which. `None` when the challenge composes nothing.
fn composed_from_saved(challenge: &ChallengeEmbed) -> Option<String> {
    if challenge.compose.is_empty() {
        return None;
    }
    let store = storage();
    let parts: Vec<(&str, &str, String)> = challenge
        .compose
        .iter()
        .map(|part| {
            let saved = store
                .as_ref()
                .and_then(|s| s.get_item(&code_key(&part.id)).ok().flatten())
                .filter(|code| !code.trim().is_empty());
            match saved {
                Some(code) => (part.id.as_str(), "your saved code", code),
                None => (
                    part.id.as_str(),
                    "the reference (no saved code)",
                    part.reference.clone(),
                ),
            }
        })
        .collect();
    Some(engine::challenge::compose(
        parts
            .iter()
            .map(|(id, note, code)| (*id, *note, code.as_str())),
    ))
}

/// Where a check is.
#[derive(Clone, Debug, PartialEq)]
enum CheckState {
    Idle,
    Starting,
    Running { done: u64, total: u64 },
    Done(Box<CheckReport>),
    Problem(String),
}

/// One challenge embedded in a chapter.
#[component]
pub fn ChallengeView(
    /// The challenge, as compiled from the content.
    challenge: &'static ChallengeEmbed,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let id = challenge.id.as_str();
    let saved = storage().and_then(|s| s.get_item(&code_key(id)).ok().flatten());
    let code = RwSignal::new(
        saved
            .or_else(|| composed_from_saved(challenge))
            .unwrap_or_else(|| challenge.starter.clone()),
    );
    let state = RwSignal::new(CheckState::Idle);
    let hints_shown = RwSignal::new(0usize);
    let running = StoredValue::new_local(None::<Running>);
    // Each check has a number, so a time limit set for an earlier check never stops a later one.
    let generation = StoredValue::new(0u64);
    let editor = EditorHandle::default();
    // The code of the last check, which a counterexample replays.
    let checked = StoredValue::new(String::new());

    let save = move |text: &str| {
        if let Some(s) = storage() {
            let _ = s.set_item(&code_key(id), text);
        }
    };
    let stop = move || {
        running.update_value(|r| {
            if let Some(r) = r.take() {
                r.terminate();
            }
        });
    };
    let finish = move |next: CheckState| {
        // A late answer or timer for a page that went away.
        if state.is_disposed() {
            return;
        }
        stop();
        if let CheckState::Done(report) = &next {
            if let Verdict::ScriptError { error, .. } = &report.verdict {
                editor.show_error(
                    error
                        .line
                        .map(|l| (l, error.column.unwrap_or(1), error.message.as_str())),
                );
            }
            if report.verdict == Verdict::Passed {
                store.progress.update(|p| {
                    p.challenges.insert(id.to_string(), true);
                });
            }
        }
        state.set(next);
    };
    let run = move || {
        stop();
        let source = code.get_untracked();
        save(&source);
        editor.show_error(None);
        checked.set_value(source.clone());
        let request = WorkerRequest::Check {
            challenge: id.to_string(),
            source,
            seeds: challenge.seeds,
        };
        let on_response = move |response| match response {
            WorkerResponse::Ready => {}
            WorkerResponse::Progress { done, total } => {
                state.set(CheckState::Running { done, total })
            }
            WorkerResponse::Report(report) => finish(CheckState::Done(Box::new(report))),
            WorkerResponse::Refused(why) => {
                finish(CheckState::Problem(format!("The checker refused: {why}")))
            }
            WorkerResponse::History(_)
            | WorkerResponse::HistoryBench(_)
            | WorkerResponse::StalenessPoint { .. }
            | WorkerResponse::Staleness(_) => finish(CheckState::Problem(
                "The checker answered a different question.".into(),
            )),
        };
        let on_failure = move |message: String| finish(CheckState::Problem(message));
        match spawn_worker(&request, on_response, on_failure) {
            Ok(worker) => running.set_value(Some(worker)),
            Err(message) => return state.set(CheckState::Problem(message)),
        }
        state.set(CheckState::Starting);
        generation.update_value(|g| *g += 1);
        let this_check = generation.get_value();
        set_timeout(
            move || {
                // The page went away during the check (its cleanup stopped the worker).
                if state.is_disposed() {
                    return;
                }
                let still_running = matches!(
                    state.get_untracked(),
                    CheckState::Starting | CheckState::Running { .. }
                );
                if still_running && generation.get_value() == this_check {
                    finish(CheckState::Problem(format!(
                        "The check was stopped after {} s. Does a function loop for a long time on every call?",
                        CHECK_TIME_LIMIT_MS / 1000
                    )));
                }
            },
            std::time::Duration::from_millis(CHECK_TIME_LIMIT_MS),
        );
    };
    let cancel = move |_| {
        generation.update_value(|g| *g += 1);
        finish(CheckState::Problem("Check cancelled.".into()));
    };
    on_cleanup(stop);

    let confirm = |message: &str| {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(message).ok())
            .unwrap_or(false)
    };
    let reset = move |_| {
        if confirm("Replace your code with the starter code? Your current code will be lost.") {
            code.set(challenge.starter.clone());
            editor.set_text(&challenge.starter);
            save(&challenge.starter);
            state.set(CheckState::Idle);
        }
    };
    let show_solution = move |_| {
        if confirm("Replace your code with the reference solution? Your current code will be lost.")
        {
            code.set(challenge.reference.clone());
            editor.set_text(&challenge.reference);
            save(&challenge.reference);
        }
    };
    let load_parts = move |_| {
        let Some(text) = composed_from_saved(challenge) else {
            return;
        };
        if confirm("Replace your code here with your saved code from the chapters it comes from? Your current code here will be lost.") {
            code.set(text.clone());
            editor.set_text(&text);
            save(&text);
            state.set(CheckState::Idle);
        }
    };
    let composes = (!challenge.compose.is_empty()).then(|| {
        let titles = challenge
            .compose
            .iter()
            .map(|p| p.title.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let first = challenge.compose[0].chapter;
        let label = if challenge.compose.iter().all(|p| p.chapter == first) {
            format!("Load my chapter {first} code")
        } else {
            "Load my saved code for each part".to_string()
        };
        view! {
            <button type="button" class="button load-parts" on:click=load_parts
                title=format!("Your saved code for: {titles}")>{label}</button>
        }
    });
    let go_to_line = move |line: usize, column: usize| editor.go_to(line, column);
    let passed = move || {
        store
            .progress
            .with(|p| p.challenges.get(id).copied().unwrap_or(false))
    };

    view! {
        <section class="challenge" aria-labelledby=format!("challenge-{id}")>
            <p class="embed-kicker">"Challenge" {move || passed().then_some(" · ✓ passed")}</p>
            <h3 id=format!("challenge-{id}")>{challenge.title.as_str()}</h3>
            <div class="challenge-statement" inner_html=challenge.statement_html.as_str()></div>
            <details class="challenge-api">
                <summary>"What your code sees"</summary>
                <div inner_html=challenge.api_html.as_str()></div>
            </details>
            <CodeEditor code=code label=format!("Your code for {}", challenge.title) handle=editor
                on_edit=move |text: String| save(&text) on_run=run/>
            <div class="challenge-actions">
                {move || match state.get() {
                    CheckState::Starting | CheckState::Running { .. } => view! {
                        <button type="button" class="button" on:click=cancel>"Cancel"</button>
                    }.into_any(),
                    _ => view! {
                        <button type="button" class="button primary" on:click=move |_| run()
                            title="Ctrl+Enter (⌘+Enter)">{format!("Check on {} seeds", challenge.seeds)}</button>
                    }.into_any(),
                }}
                <button type="button" class="button" on:click=reset>"Reset to starter"</button>
                {composes}
                <span class="muted challenge-key">"Ctrl+Enter runs the check"</span>
            </div>
            <CheckResult state=state go_to_line=go_to_line challenge=id checked=checked
                efficiency_note=challenge.efficiency_html.as_deref()/>
            <div class="challenge-hints">
                {move || {
                    let shown = hints_shown.get();
                    challenge.hints_html.iter().take(shown).enumerate().map(|(i, hint)| view! {
                        <p class="hint"><strong>{format!("Hint {}: ", i + 1)}</strong><span inner_html=hint.as_str()></span></p>
                    }).collect_view()
                }}
                {move || {
                    let shown = hints_shown.get();
                    let total = challenge.hints_html.len();
                    if shown < total {
                        view! {
                            <button type="button" class="button" on:click=move |_| hints_shown.update(|h| *h += 1)>
                                {format!("Show a hint ({} of {total})", shown + 1)}
                            </button>
                        }.into_any()
                    } else {
                        view! { <button type="button" class="button" on:click=show_solution>"Show the reference solution"</button> }.into_any()
                    }
                }}
            </div>
        </section>
    }
}

#[component]
fn CheckResult(
    state: RwSignal<CheckState>,
    go_to_line: impl Fn(usize, usize) + Copy + Send + Sync + 'static,
    challenge: &'static str,
    checked: StoredValue<String>,
    efficiency_note: Option<&'static str>,
) -> impl IntoView {
    move || match state.get() {
        CheckState::Idle => ().into_any(),
        CheckState::Starting => {
            view! { <p class="check-status" role="status">"Starting the checker…"</p> }.into_any()
        }
        CheckState::Running { done, total } => view! {
            <div class="check-status" role="status">
                <progress max=total.to_string() value=done.to_string()></progress>
                <span>{format!(" {done} / {total} seeds")}</span>
            </div>
        }
        .into_any(),
        CheckState::Problem(message) => {
            view! { <p class="check-status check-problem" role="alert">{message}</p> }.into_any()
        }
        CheckState::Done(report) => report_view(
            *report,
            go_to_line,
            challenge,
            checked.get_value(),
            efficiency_note,
        )
        .into_any(),
    }
}

/// A property's title as the report's list shows it (its id if the report does not name it).
fn property_title(properties: &[PropertyOutcome], id: &str) -> String {
    properties
        .iter()
        .find(|p| p.id == id)
        .map_or_else(|| id.to_string(), |p| p.title.clone())
}

/// The cost comparison after a pass: a table of yours against the reference's, the summary
/// sentence and the challenge's note (trusted HTML from the content build).
fn efficiency_html(e: &Efficiency, note: Option<&str>) -> String {
    let mut html = String::from(
        "<table><caption>Cost on the same seeds</caption><thead><tr><th></th>\
         <th scope=\"col\">Yours</th><th scope=\"col\">Reference</th></tr></thead><tbody>",
    );
    for (measure, yours, reference) in e.rows() {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{measure}</th><td>{yours}</td><td>{reference}</td></tr>"
        ));
    }
    html.push_str(&format!(
        "</tbody></table><p class=\"muted\">{}</p>",
        e.summary()
    ));
    if let Some(note) = note {
        html.push_str(&format!("<p class=\"muted\">{note}</p>"));
    }
    html
}

/// Counterexample lines shown before "show all".
const COUNTEREXAMPLE_TAIL_LINES: usize = 40;

fn report_view(
    report: CheckReport,
    go_to_line: impl Fn(usize, usize) + Copy + Send + Sync + 'static,
    challenge: &'static str,
    source: String,
    efficiency_note: Option<&'static str>,
) -> impl IntoView {
    let properties_list = report.properties.clone();
    let properties = report
        .properties
        .iter()
        .map(|p| {
            let (class, mark, word) = match p.status {
                PropertyStatus::Held => ("property held", "✓", "held"),
                PropertyStatus::Violated => ("property violated", "✗", "violated"),
                // The check stopped before this property was judged on every seed.
                PropertyStatus::Inconclusive => ("property inconclusive", "–", "not reached"),
            };
            view! {
                <li class=class>
                    <span class="mark" aria-hidden="true">{mark}</span>
                    <span><strong>{p.title.clone()}</strong>{format!(" ({word}). ")}{p.explanation.clone()}</span>
                </li>
            }
        })
        .collect_view();
    // One HTML string rather than a view per row: the table is static once drawn.
    let efficiency = report
        .efficiency
        .map(|e| view! { <div class="efficiency" inner_html=efficiency_html(&e, efficiency_note)></div> });
    let verdict = match report.verdict {
        Verdict::Passed => view! {
            <p class="verdict verdict-pass" role="status">
                {format!("✓ Every property held on all {} seeds.", report.seeds_run)}
            </p>
            {efficiency}
        }
        .into_any(),
        Verdict::Failed(failure) => {
            let replay = failure.replay.as_ref().and_then(|spec| {
                Some(Mount::Replay {
                    challenge: challenge.to_string(),
                    source: source.clone(),
                    spec_json: serde_json::to_string(spec).ok()?,
                    step: failure.step.unwrap_or(0),
                })
            });
            let replaying = RwSignal::new(false);
            let lines = failure.counterexample.len();
            let tail = failure.counterexample[lines.saturating_sub(COUNTEREXAMPLE_TAIL_LINES)..]
                .join("\n");
            let all = failure.counterexample.join("\n");
            view! {
                <div class="verdict verdict-fail" role="alert">
                    <p><strong>{format!("✗ {}: violated on seed {}.", property_title(&properties_list, &failure.property), failure.seed)}</strong> " " {failure.message.clone()}</p>
                    <p class="muted">{format!(
                        "Smallest failing run found: {} lines (the seed's run had {} events){}.",
                        lines, failure.events_before_shrinking,
                        if lines > COUNTEREXAMPLE_TAIL_LINES { format!("; the last {COUNTEREXAMPLE_TAIL_LINES} lead to the violation") } else { String::new() }
                    )}</p>
                    <pre class="counterexample">{tail}</pre>
                    {(lines > COUNTEREXAMPLE_TAIL_LINES).then(|| view! {
                        <details class="counterexample-all">
                            <summary>{format!("All {lines} lines")}</summary>
                            <pre class="counterexample">{all}</pre>
                        </details>
                    })}
                </div>
                {replay.map(|mount| view! {
                    <div class="replay">
                        <button type="button" class="button primary replay-button"
                            on:click=move |_| replaying.update(|r| *r = !*r)>
                            {move || if replaying.get() { "Close the replay" } else { "Replay this run" }}
                        </button>
                        {move || replaying.get().then(|| view! { <SimMount what=mount.clone()/> })}
                    </div>
                })}
            }
            .into_any()
        }
        Verdict::ScriptError { error, seed } => {
            let place = error.line.map(|l| (l, error.column.unwrap_or(1)));
            view! {
                <div class="verdict verdict-fail" role="alert">
                    <p>
                        <strong>{place.map_or("Your code has a problem: ".to_string(), |(l, c)| format!("Line {l}, column {c}: "))}</strong>
                        {error.message.clone()}
                        {seed.map(|s| format!(" (while checking seed {s})"))}
                    </p>
                    {place.map(|(line, column)| view! {
                        <button type="button" class="button" on:click=move |_| go_to_line(line, column)>{format!("Go to line {line}")}</button>
                    })}
                </div>
            }
            .into_any()
        }
        Verdict::Cancelled => view! { <p class="verdict">"Check cancelled."</p> }.into_any(),
        Verdict::Unknown { property, seed, reason } => view! {
            <p class="verdict" role="status">
                {format!(
                    "? {}: undecided on seed {seed} ({reason}). Nothing failed, but this is not a pass.",
                    property_title(&properties_list, &property)
                )}
            </p>
        }
        .into_any(),
    };
    let printed = (!report.printed.is_empty()).then(|| {
        view! {
            <details class="printed"><summary>"Your code printed"</summary><pre>{report.printed.join("\n")}</pre></details>
        }
    });
    view! {
        <div class="check-report">
            {verdict}
            <ul class="properties">{properties}</ul>
            {printed}
        </div>
    }
}
