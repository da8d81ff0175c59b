//! Probabilistically bounded staleness, measured (chapter 3): the worker runs the leaderless
//! store for every point of the chart and streams the points back; the chart is drawn with
//! plotters by the simulations module (loaded lazily, like every simulation), and the numbers
//! are in a table beside it.

use contentc::StalenessEmbed;
use engine::protocols::dynamo::pbs;
use engine::worker::{StalenessCurve, WorkerRequest, WorkerResponse};
use leptos::prelude::*;

use crate::theme::Theme;
use crate::worker::{spawn_worker, Running};

/// Where the measurement is.
#[derive(Clone, Debug, PartialEq)]
enum Measuring {
    Idle,
    Starting,
    Running { done: usize },
    Done { ms: f64 },
    Problem(String),
}

/// Points in the whole chart.
fn points_total() -> usize {
    pbs::CHART.len() * pbs::DELAYS.len()
}

/// `33.9%`.
fn percent(p: &pbs::Point) -> String {
    if p.pairs == 0 {
        "—".into()
    } else {
        format!("{:.1}%", p.fresh_percent())
    }
}

/// Empty curves, one per configuration, to fill as points arrive.
fn empty_curves() -> Vec<StalenessCurve> {
    pbs::CHART
        .iter()
        .map(|&quorum| StalenessCurve {
            quorum,
            closed_form: pbs::fresh_at_zero(quorum),
            points: Vec::new(),
        })
        .collect()
}

/// The staleness chart of a ```staleness directive.
#[component]
pub fn StalenessBlock(
    /// The directive.
    embed: &'static StalenessEmbed,
) -> impl IntoView {
    let theme = use_context::<RwSignal<Theme>>();
    let curves = RwSignal::new(Vec::<StalenessCurve>::new());
    let state = RwSignal::new(Measuring::Idle);
    let running = StoredValue::new_local(None::<Running>);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let seed = embed.seed;

    let stop = move || {
        running.update_value(|r| {
            if let Some(r) = r.take() {
                r.terminate();
            }
        })
    };
    let measure = move |_| {
        stop();
        curves.set(empty_curves());
        let on_response = move |response| match response {
            WorkerResponse::Ready => {}
            WorkerResponse::StalenessPoint { curve, point } => {
                curves.update(|cs| {
                    if let Some(c) = cs.get_mut(curve) {
                        c.points.push(point);
                    }
                });
                let done = curves.with_untracked(|cs| cs.iter().map(|c| c.points.len()).sum());
                state.set(Measuring::Running { done });
            }
            WorkerResponse::Staleness(chart) => {
                curves.set(chart.curves);
                state.set(Measuring::Done { ms: chart.ms });
            }
            WorkerResponse::Refused(why) => {
                state.set(Measuring::Problem(format!("The worker refused: {why}")))
            }
            _ => state.set(Measuring::Problem(
                "The worker answered a different question.".into(),
            )),
        };
        let on_failure = move |message: String| state.set(Measuring::Problem(message));
        match spawn_worker(&WorkerRequest::Staleness { seed }, on_response, on_failure) {
            Ok(worker) => {
                running.set_value(Some(worker));
                state.set(Measuring::Starting);
            }
            Err(message) => state.set(Measuring::Problem(message)),
        }
    };
    let cancel = move |_| {
        stop();
        state.set(Measuring::Problem("Measurement cancelled.".into()));
    };
    on_cleanup(stop);

    // Redraw as points arrive and when the theme changes.
    Effect::new(move |_| {
        let drawn = curves.get();
        let dark = theme.is_some_and(|t| t.get() == Theme::Dark);
        let Some(el) = canvas.get() else { return };
        if drawn.is_empty() {
            return;
        }
        let el: web_sys::HtmlCanvasElement = el;
        let json = serde_json::to_string(&drawn).expect("curves serialize");
        leptos::task::spawn_local(async move {
            if let Err(message) = crate::sims::draw_staleness(el, &json, dark).await {
                state.set(Measuring::Problem(message));
            }
        });
    });

    let busy = move || matches!(state.get(), Measuring::Starting | Measuring::Running { .. });
    let status = move || {
        match state.get() {
        Measuring::Idle => view! {
            <p class="muted">{format!(
                "{} configurations × {} delays × {} write/read pairs, run in a background worker.",
                pbs::CHART.len(),
                pbs::DELAYS.len(),
                pbs::PAIRS
            )}</p>
        }
        .into_any(),
        Measuring::Starting => {
            view! { <p class="check-status" role="status">"Starting the worker…"</p> }.into_any()
        }
        Measuring::Running { done } => view! {
            <div class="check-status" role="status">
                <progress max=points_total().to_string() value=done.to_string()></progress>
                <span>{format!(" {done} / {} points", points_total())}</span>
            </div>
        }
        .into_any(),
        Measuring::Done { ms } => view! {
            <p class="check-status" role="status">{format!(
                "Measured {} points × {} pairs in {:.1} s (seed {seed}). Hollow rings on the y axis are the closed form at t = 0.",
                points_total(),
                pbs::PAIRS,
                ms / 1000.0
            )}</p>
        }
        .into_any(),
        Measuring::Problem(message) => {
            view! { <p class="check-status check-problem" role="alert">{message}</p> }.into_any()
        }
    }
    };
    let table = move || {
        let cs = curves.get();
        if cs.iter().all(|c| c.points.is_empty()) {
            return ().into_any();
        }
        let head: Vec<_> = cs
            .iter()
            .map(|c| view! { <th scope="col">{c.quorum.to_string()}</th> })
            .collect();
        let closed: Vec<_> = cs
            .iter()
            .map(|c| view! { <td>{format!("{:.1}%", c.closed_form * 100.0)}</td> })
            .collect();
        let rows: Vec<_> = pbs::DELAYS
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let cells: Vec<_> = cs
                    .iter()
                    .map(|c| view! { <td>{c.points.get(k).map_or_else(|| "…".to_string(), percent)}</td> })
                    .collect();
                view! { <tr><th scope="row">{t.to_string()}</th>{cells}</tr> }
            })
            .collect();
        view! {
            <details class="staleness-table">
                <summary>"The numbers"</summary>
                <table>
                    <thead><tr><th scope="col">"ticks"</th>{head}</tr></thead>
                    <tbody>
                        <tr class="closed-form"><th scope="row">"closed form, t = 0"</th>{closed}</tr>
                        {rows}
                    </tbody>
                </table>
            </details>
        }
        .into_any()
    };
    view! {
        <figure class="staleness" aria-labelledby=format!("staleness-title-{seed}")>
            <figcaption>
                <strong id=format!("staleness-title-{seed}")>"How stale is a read, t ticks after the write?"</strong>
                {embed.caption.clone().map(|c| view! { " " <span class="muted">{c}</span> })}
            </figcaption>
            <div class="staleness-controls">
                <button type="button" class="button primary" on:click=measure disabled=busy>
                    {move || if curves.with(|c| c.is_empty()) { "Measure" } else { "Measure again" }}
                </button>
                {move || busy().then(|| view! {
                    <button type="button" class="button" on:click=cancel>"Cancel"</button>
                })}
            </div>
            {status}
            <canvas
                node_ref=canvas
                class="staleness-chart"
                width="720"
                height="380"
                role="img"
                aria-label="Chart: the share of reads that return the latest acknowledged write, against the ticks since it was acknowledged, one curve per N, R, W configuration. The numbers are in the table below."
                hidden=move || curves.with(|c| c.is_empty())
            ></canvas>
            {table}
        </figure>
    }
}
