//! The history view: a client history as bars per client in real-time order, with the
//! linearizability checker's verdict drawn on it (the order found, or the operation that cannot
//! be placed), for ```history directives.
//!
//! Examples are checked when the site is built; a history the learner pastes is checked in the
//! worker, so the page never blocks and a hard history cannot freeze it. `classify` is the
//! ```classify exercise, which draws its histories with the same layout.

pub mod classify;
pub mod layout;

use contentc::HistoryEmbed;
use engine::lin::{Format, HistoryView, Outcome, Placement};
use engine::worker::{WorkerRequest, WorkerResponse, HISTORY_STEPS_DEFAULT};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::browser::storage;
use crate::worker::{spawn_worker, Running};
use layout::{describe, fit_rank_px, lay_out, partitions, svg};

/// Where a pasted history is kept between visits.
const PASTE_KEY: &str = "dslab.history.paste";
/// The longest a pasted history's check may run before the worker is stopped (ms).
const CHECK_TIME_LIMIT_MS: u64 = 20_000;
/// Width the view is fitted to before it is measured (px).
const DEFAULT_WIDTH: f64 = 860.0;
/// Zoom step for the − and + buttons.
const ZOOM_STEP: f64 = 1.5;

/// Where a pasted history's check is.
#[derive(Clone, Debug, PartialEq)]
enum PasteState {
    Idle,
    Checking,
    Failed(String),
}

fn outcome_text(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Linearizable => ("ok", "✓"),
        Outcome::NotLinearizable => ("bad", "✗"),
        Outcome::Unknown => ("unknown", "?"),
    }
}

/// The operation to describe first: the one that returned first among those that could not be
/// placed, else none.
fn first_stuck(view: &HistoryView) -> Option<usize> {
    view.operations
        .iter()
        .position(|o| {
            matches!(
                o.placement,
                Placement::Stuck {
                    returns_first: true,
                    ..
                }
            )
        })
        .or_else(|| {
            view.operations
                .iter()
                .position(|o| matches!(o.placement, Placement::Stuck { .. }))
        })
}

/// A ```history directive: pick an example (or paste a history) and see it checked.
#[component]
pub fn HistoryBlock(
    /// The directive, with its examples checked at build time.
    embed: &'static HistoryEmbed,
) -> impl IntoView {
    let first = &embed.examples[0].view;
    let view = RwSignal::new(first.clone());
    let choice = RwSignal::new(0usize);
    let focus = (!first.failing_partition.is_empty()).then(|| first.failing_partition.clone());
    let rank_px = RwSignal::new(fit_rank_px(
        lay_out(first, 1.0, focus.as_deref()).ranks,
        DEFAULT_WIDTH,
    ));
    let partition = RwSignal::new(focus);
    let selected = RwSignal::new(first_stuck(first));
    let paste_open = RwSignal::new(false);
    let paste_text = RwSignal::new(
        storage()
            .and_then(|s| s.get_item(PASTE_KEY).ok().flatten())
            .unwrap_or_default(),
    );
    let paste_state = RwSignal::new(PasteState::Idle);
    let running = StoredValue::new_local(None::<Running>);
    let generation = StoredValue::new(0u64);
    let scroller = NodeRef::<leptos::html::Div>::new();

    let show = move |next: HistoryView| {
        let width = scroller
            .get_untracked()
            .map_or(DEFAULT_WIDTH, |el| f64::from(el.client_width()));
        let focus = (!next.failing_partition.is_empty()).then(|| next.failing_partition.clone());
        rank_px.set(fit_rank_px(
            lay_out(&next, 1.0, focus.as_deref()).ranks,
            width,
        ));
        partition.set(focus);
        selected.set(first_stuck(&next));
        view.set(next);
        // Bring the operation that cannot be placed into sight (long histories scroll).
        request_animation_frame(move || {
            let Some(root) = scroller.try_get_untracked().flatten() else {
                return;
            };
            if let Ok(Some(op)) = root.query_selector(".history-op.selected") {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                options.set_inline(web_sys::ScrollLogicalPosition::Center);
                op.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    };
    let stop = move || {
        running.update_value(|r| {
            if let Some(r) = r.take() {
                r.terminate();
            }
        });
    };
    let check_paste = move || {
        stop();
        let text = paste_text.get_untracked();
        if let Some(s) = storage() {
            let _ = s.set_item(PASTE_KEY, &text);
        }
        if text.trim().is_empty() {
            return paste_state.set(PasteState::Failed(
                "Paste a history first: Jepsen etcd log lines, Porcupine kv maps or our JSON lines."
                    .into(),
            ));
        }
        let request = WorkerRequest::History {
            text,
            format: Format::Auto,
            steps_max: HISTORY_STEPS_DEFAULT,
        };
        let on_response = move |response| match response {
            WorkerResponse::History(Ok(checked)) => {
                stop();
                paste_state.set(PasteState::Idle);
                show(*checked);
            }
            WorkerResponse::History(Err(e)) => {
                stop();
                let at = if e.line == 0 {
                    String::new()
                } else {
                    format!("line {}: ", e.line)
                };
                paste_state.set(PasteState::Failed(format!("{at}{}", e.message)));
            }
            WorkerResponse::Ready => {}
            other => {
                stop();
                paste_state.set(PasteState::Failed(format!(
                    "The checker answered something unexpected: {other:?}"
                )));
            }
        };
        let on_failure = move |message: String| {
            stop();
            paste_state.set(PasteState::Failed(message));
        };
        match spawn_worker(&request, on_response, on_failure) {
            Ok(worker) => running.set_value(Some(worker)),
            Err(message) => return paste_state.set(PasteState::Failed(message)),
        }
        paste_state.set(PasteState::Checking);
        generation.update_value(|g| *g += 1);
        let this_check = generation.get_value();
        set_timeout(
            move || {
                // The page went away during the check.
                if paste_state.is_disposed() {
                    return;
                }
                if paste_state.get_untracked() == PasteState::Checking
                    && generation.get_value() == this_check
                {
                    stop();
                    paste_state.set(PasteState::Failed(format!(
                        "Stopped after {} s without an answer. Try a shorter history, or check it \
                         with `dslab lin`.",
                        CHECK_TIME_LIMIT_MS / 1000
                    )));
                }
            },
            std::time::Duration::from_millis(CHECK_TIME_LIMIT_MS),
        );
    };
    on_cleanup(stop);

    let on_pick = move |value: String| {
        let index: usize = value.parse().unwrap_or(0);
        if let Some(example) = embed.examples.get(index) {
            choice.set(index);
            show(example.view.clone());
        }
    };
    let layout =
        Memo::new(move |_| view.with(|v| lay_out(v, rank_px.get(), partition.get().as_deref())));
    let zoom = move |factor: f64| {
        rank_px.update(|px| {
            *px = (*px * factor).clamp(layout::RANK_MIN_PX, layout::RANK_MAX_PX);
        });
    };
    let fit = move || {
        let width = scroller
            .get_untracked()
            .map_or(DEFAULT_WIDTH, |el| f64::from(el.client_width()));
        rank_px.set(layout.with_untracked(|l| fit_rank_px(l.ranks, width)));
    };
    // One listener for every bar: the event's target names its operation in `data-index`.
    let pick_target = move |target: Option<web_sys::EventTarget>| {
        let Some(target) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        let Ok(Some(group)) = target.closest(".history-op") else {
            return;
        };
        let Some(index) = group
            .get_attribute("data-index")
            .and_then(|i| i.parse::<usize>().ok())
        else {
            return;
        };
        if selected.get_untracked() == Some(index) {
            return;
        }
        if let Some(root) = scroller.get_untracked() {
            if let Ok(Some(previous)) = root.query_selector(".history-op.selected") {
                let _ = previous.class_list().remove_1("selected");
            }
        }
        let _ = group.class_list().add_1("selected");
        selected.set(Some(index));
    };
    let detail = move || {
        selected
            .get()
            .and_then(|i| view.with(|v| v.operations.get(i).map(describe)))
    };

    // The drawing, verdict, key list and legend are strings built by pure functions, and the
    // widget has one listener per kind of event (buttons name their action in `data-action`):
    // far less code than a reactive node and a closure per element.
    let verdict_html = move || view.with(verdict_markup);
    let key_options = move || {
        let chosen = partition.get();
        view.with(|v| key_options_markup(&partitions(v), chosen.as_deref()))
    };
    let paste_error = move || match paste_state.get() {
        PasteState::Failed(message) => message,
        _ => String::new(),
    };
    // What is shown is decided by classes on the figure (see style/main.css).
    let figure_class = move || {
        let mut class = String::from("history");
        view.with(|v| {
            class.push_str(match v.outcome {
                Outcome::Linearizable => " is-ok",
                Outcome::NotLinearizable => " is-bad",
                Outcome::Unknown => " is-unknown",
            });
            if partitions(v).is_empty() {
                class.push_str(" no-keys");
            }
        });
        if paste_open.get() {
            class.push_str(" paste-open");
        }
        match paste_state.get() {
            PasteState::Checking => class.push_str(" checking"),
            PasteState::Failed(_) => class.push_str(" paste-failed"),
            PasteState::Idle => {}
        }
        class
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let target = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let action = target
            .as_ref()
            .and_then(|t| t.closest("[data-action]").ok().flatten())
            .and_then(|el| el.get_attribute("data-action"));
        match action.as_deref() {
            Some("zoom-out") => zoom(1.0 / ZOOM_STEP),
            Some("zoom-in") => zoom(ZOOM_STEP),
            Some("fit") => fit(),
            Some("paste") => paste_open.update(|o| *o = !*o),
            Some("check") => check_paste(),
            Some("cancel") => {
                stop();
                paste_state.set(PasteState::Idle);
            }
            _ => pick_target(ev.target()),
        }
    };
    let on_change = move |ev: leptos::ev::Event| {
        let Some(select) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let value = event_target_value(&ev);
        match select.get_attribute("name").as_deref() {
            Some("example") => on_pick(value),
            Some("key") => {
                partition.set((!value.is_empty()).then_some(value));
                fit();
            }
            _ => {}
        }
    };
    let options_html = examples_markup(embed);
    let paste_hidden = !embed.paste;

    view! {
        <figure
            class=figure_class
            aria-label="Client history and its linearizability check"
            on:click=on_click
            on:change=on_change
        >
            <div class="history-toolbar">
                <label>
                    "History "
                    <select name="example" prop:value=move || choice.get().to_string() inner_html=options_html></select>
                </label>
                <label class="history-key">"Key "<select name="key" inner_html=key_options></select></label>
                <span class="history-zoom" role="group" aria-label="Zoom">
                    <button type="button" class="button" data-action="zoom-out" aria-label="Zoom out">"−"</button>
                    <button type="button" class="button" data-action="fit">"Fit"</button>
                    <button type="button" class="button" data-action="zoom-in" aria-label="Zoom in">"+"</button>
                </span>
                <button type="button" class="button" data-action="paste" hidden=paste_hidden>"Paste your own…"</button>
            </div>
            <div class="history-paste">
                <label for="history-paste-text">
                    "A history in any supported format — Jepsen etcd log lines, Porcupine kv maps, or JSON lines such as "
                    <code>{r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}"#}</code>
                </label>
                <textarea
                    id="history-paste-text"
                    rows="8"
                    spellcheck="false"
                    prop:value=move || paste_text.get()
                    on:input=move |ev| paste_text.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            check_paste();
                        }
                    }
                ></textarea>
                <p>
                    <button type="button" class="button primary history-check" data-action="check">"Check this history"</button>
                    " "
                    <button type="button" class="button when-checking" data-action="cancel">"Cancel"</button>
                    <span class="muted when-checking" role="status">" Checking in the background…"</span>
                    " "<kbd class="hint">"Ctrl+Enter"</kbd>
                </p>
                <p class="history-error" role="alert">{paste_error}</p>
            </div>
            <p class="history-verdict" role="status" inner_html=verdict_html></p>
            <div
                class="history-scroll"
                node_ref=scroller
                on:mouseover=move |ev| pick_target(ev.target())
                on:focusin=move |ev| pick_target(ev.target())
                inner_html=move || view.with(|v| layout.with(|l| svg(v, l, selected.get_untracked(), &[])))
            ></div>
            <p class="history-detail" aria-live="polite">
                {move || detail().unwrap_or_else(|| "Hover over or focus an operation to see where the checker placed it.".into())}
            </p>
            <p class="history-legend muted" inner_html=LEGEND></p>
            <figcaption hidden=embed.caption.is_none()>{embed.caption.clone()}</figcaption>
        </figure>
    }
}

/// The legend under the drawing.
const LEGEND: &str = "<span class=\"swatch lin\"></span> placed (number = position in the order \
    found; the line joins the instants) <span class=\"swatch stuck\"></span> cannot be placed \
    <span class=\"swatch unplaced\"></span> not reached <span class=\"swatch unknown\"></span> \
    outcome unknown (dashed)";

/// The verdict line: a mark, the checker's summary, and the history's size.
fn verdict_markup(v: &HistoryView) -> String {
    let (class, mark) = outcome_text(v.outcome);
    format!(
        "<span class=\"history-mark {class}\">{mark}</span> {} <span class=\"muted\">· {} \
         operations, {} clients, {} search steps</span>",
        layout::escape(&v.summary),
        v.operations.len(),
        v.clients.len(),
        v.steps
    )
}

/// `<option>`s for the example picker.
fn examples_markup(embed: &HistoryEmbed) -> String {
    embed
        .examples
        .iter()
        .enumerate()
        .map(|(i, e)| {
            format!(
                "<option value=\"{i}\">{}</option>",
                layout::escape(&e.label)
            )
        })
        .collect()
}

/// `<option>`s for the key filter, `chosen` selected.
fn key_options_markup(labels: &[String], chosen: Option<&str>) -> String {
    let mut out = format!(
        "<option value=\"\"{}>all keys</option>",
        if chosen.is_none() { " selected" } else { "" }
    );
    for label in labels {
        let selected = if chosen == Some(label.as_str()) {
            " selected"
        } else {
            ""
        };
        let label = layout::escape(label);
        out.push_str(&format!(
            "<option value=\"{label}\"{selected}>{label}</option>"
        ));
    }
    out
}
