//! "How fast is this in your browser?": the engine's benchmarks, run in the page.
//!
//! The same workloads as `dslab bench` natively (`engine::scenarios::bench_spec`), timed with
//! the browser's clock, plus a challenge check in the worker. `./x bench` opens this page in
//! headless Chromium and prints the table, so native and wasm numbers come from one command.
//!
//! The simulations module mounts it (`Mount::Bench`), so none of it is in the first view.

use contentc::Block;
use engine::challenge::Verdict;
use engine::worker::{WorkerRequest, WorkerResponse};
use leptos::prelude::*;

use crate::browser::now_ms;
use crate::worker::{spawn_worker, Running};

#[derive(Clone, Debug, PartialEq)]
struct Row {
    metric: String,
    label: String,
    value: String,
}

/// A set of histories timed together (given by the page's driver, e.g. `./x bench`, which
/// reads the reference histories from disk).
#[derive(Clone, Debug, serde::Deserialize)]
struct Suite {
    name: String,
    whole: bool,
    histories: Vec<(String, String)>,
}

/// The suites the driver put in `window.__dslabHistories` (a JSON string), if any.
fn given_histories() -> Option<Vec<Suite>> {
    let window = web_sys::window()?;
    let value = js_sys::Reflect::get(&window, &"__dslabHistories".into()).ok()?;
    serde_json::from_str(&value.as_string()?).ok()
}

/// Runs of each history suite; the median run's total is reported.
const HISTORY_BENCH_RUNS: u32 = 5;

/// Times each suite in a fresh worker, one after another, adding a row per suite.
fn run_history_suites(
    mut suites: Vec<Suite>,
    rows: RwSignal<Vec<Row>>,
    status: RwSignal<String>,
    worker: StoredValue<Option<Running>, LocalStorage>,
) {
    if suites.is_empty() {
        return run_classify_bench(rows, status, worker);
    }
    let suite = suites.remove(0);
    status.set(format!(
        "Timing the linearizability checker: {}…",
        suite.name
    ));
    let request = WorkerRequest::HistoryBench {
        histories: suite.histories,
        whole: suite.whole,
        repetitions: HISTORY_BENCH_RUNS,
    };
    let name = suite.name;
    let mut rest = Some(suites);
    let on_response = move |response| {
        if let WorkerResponse::HistoryBench(timings) = response {
            // Median of the runs' totals, like `dslab bench-lin` natively.
            let mut totals: Vec<f64> = (0..HISTORY_BENCH_RUNS)
                .map(|run| timings.iter().filter(|t| t.run == run).map(|t| t.ms).sum())
                .collect();
            totals.sort_by(f64::total_cmp);
            let total = totals[totals.len() / 2];
            let timings: Vec<_> = timings.into_iter().filter(|t| t.run == 0).collect();
            let peak = timings
                .iter()
                .map(|t| t.memo_entries_peak)
                .max()
                .unwrap_or(0);
            let verdicts: Vec<String> = timings
                .iter()
                .map(|t| format!("{}={}", t.name, t.verdict))
                .collect();
            rows.update(|r| {
                r.push(Row {
                    metric: "lin-ms".into(),
                    label: "Linearizability check in the worker (ms, median of 5 runs, parsing excluded)"
                        .into(),
                    value: format!("{name}: {total:.1} ms, peak memo {peak}"),
                });
                r.push(Row {
                    metric: "lin-verdicts".into(),
                    label: "Its verdicts".into(),
                    value: verdicts.join(" "),
                });
            });
            worker.update_value(|w| {
                if let Some(w) = w.take() {
                    w.terminate();
                }
            });
            if let Some(rest) = rest.take() {
                run_history_suites(rest, rows, status, worker);
            }
        }
    };
    match spawn_worker(&request, on_response, move |m| status.set(m)) {
        Ok(running) => worker.set_value(Some(running)),
        Err(m) => status.set(m),
    }
}

/// Runs the consistency classification of the benchmark's histories in the worker (the same
/// workload as `dslab bench-classify`), adding a row per history; then the page is done.
fn run_classify_bench(
    rows: RwSignal<Vec<Row>>,
    status: RwSignal<String>,
    worker: StoredValue<Option<Running>, LocalStorage>,
) {
    status.set("Timing the consistency models…".into());
    let request = WorkerRequest::ClassifyBench {
        repetitions: CLASSIFY_BENCH_RUNS,
    };
    let on_response = move |response| {
        if let WorkerResponse::HistoryBench(timings) = response {
            let mut names: Vec<String> = timings.iter().map(|t| t.name.clone()).collect();
            names.dedup();
            for name in names {
                let mut times: Vec<f64> = timings
                    .iter()
                    .filter(|t| t.name == name)
                    .map(|t| t.ms)
                    .collect();
                times.sort_by(f64::total_cmp);
                let median = times[times.len() / 2];
                let verdicts = timings
                    .iter()
                    .find(|t| t.name == name)
                    .map(|t| t.verdict.clone())
                    .unwrap_or_default();
                rows.update(|r| {
                    r.push(Row {
                        metric: "classify-ms".into(),
                        label: format!(
                            "Every consistency model in the worker, 100 operations by 5 clients (ms, median of {CLASSIFY_BENCH_RUNS}, parsing excluded)"
                        ),
                        value: format!("{name}: {median:.2} ms ({verdicts})"),
                    });
                });
            }
            worker.update_value(|w| {
                if let Some(w) = w.take() {
                    w.terminate();
                }
            });
            run_staleness_bench(rows, status, worker);
        } else if let WorkerResponse::Refused(why) = response {
            status.set(format!(
                "The worker refused the consistency benchmark: {why}"
            ));
        }
    };
    match spawn_worker(&request, on_response, move |m| status.set(m)) {
        Ok(running) => worker.set_value(Some(running)),
        Err(m) => status.set(m),
    }
}

/// Measures chapter 3's staleness chart in the worker, as the chapter does, and reports the
/// time per curve; then the page is done.
fn run_staleness_bench(
    rows: RwSignal<Vec<Row>>,
    status: RwSignal<String>,
    worker: StoredValue<Option<Running>, LocalStorage>,
) {
    use engine::protocols::dynamo::pbs;
    status.set("Measuring the staleness chart…".into());
    let on_response = move |response| match response {
        WorkerResponse::Staleness(chart) => {
            let curves = chart.curves.len().max(1);
            let t0: Vec<String> = chart
                .curves
                .iter()
                .filter_map(|c| {
                    let p = c.points.first()?;
                    Some(format!(
                        "{} {:.1}% (closed form {:.1}%)",
                        c.quorum,
                        p.fresh_percent(),
                        c.closed_form * 100.0
                    ))
                })
                .collect();
            rows.update(|r| {
                r.push(Row {
                    metric: "staleness-curve-ms".into(),
                    label: format!(
                        "One staleness curve in the worker, {} points × {} pairs (ms, mean of the chart's {curves})",
                        pbs::DELAYS.len(),
                        pbs::PAIRS
                    ),
                    value: format!("{:.0}; at t = 0: {}", chart.ms / curves as f64, t0.join(", ")),
                });
            });
            worker.update_value(|w| {
                if let Some(w) = w.take() {
                    w.terminate();
                }
            });
            status.set("Done.".into());
        }
        WorkerResponse::Refused(why) => {
            status.set(format!("The worker refused the staleness chart: {why}"))
        }
        _ => {}
    };
    match spawn_worker(
        &WorkerRequest::Staleness { seed: 1 },
        on_response,
        move |m| status.set(m),
    ) {
        Ok(running) => worker.set_value(Some(running)),
        Err(m) => status.set(m),
    }
}

/// Times each consistency benchmark history is classified in the browser.
const CLASSIFY_BENCH_RUNS: u32 = 21;

/// Seeds each challenge's reference is checked on.
const CHECK_SEEDS: u64 = 200;

/// Checks each challenge's reference solution on [`CHECK_SEEDS`] seeds in a fresh worker, one
/// after another, adding rows per challenge; then times the history suites, if given.
fn run_checks(
    mut challenges: Vec<(usize, String)>,
    rows: RwSignal<Vec<Row>>,
    status: RwSignal<String>,
    worker: StoredValue<Option<Running>, LocalStorage>,
) {
    if challenges.is_empty() {
        return match given_histories() {
            Some(suites) => run_history_suites(suites, rows, status, worker),
            None => run_classify_bench(rows, status, worker),
        };
    }
    let (chapter, id) = challenges.remove(0);
    status.set(format!(
        "Checking the {id} reference solution on {CHECK_SEEDS} seeds in the worker…"
    ));
    leptos::task::spawn_local(async move {
        let chapter = &crate::course::course().chapters[chapter];
        let source = match crate::course::load_body(chapter).await {
            Ok(blocks) => blocks.iter().find_map(|b| match b {
                Block::Challenge(c) if c.id == id => Some(c.reference.clone()),
                _ => None,
            }),
            Err(message) => return status.set(message),
        };
        let Some(source) = source else {
            return status.set(format!(
                "Chapter {} lost its challenge {id}.",
                chapter.number
            ));
        };
        let request = WorkerRequest::Check {
            challenge: id.clone(),
            source,
            seeds: CHECK_SEEDS,
        };
        let started = now_ms();
        let ready_at = StoredValue::new(started);
        let mut rest = Some(challenges);
        let on_response = move |response| match response {
            WorkerResponse::Ready => ready_at.set_value(now_ms()),
            WorkerResponse::Report(report) => {
                let done = now_ms();
                let verdict = match &report.verdict {
                    Verdict::Passed => "Passed".to_string(),
                    other => format!("{other:?}").chars().take(160).collect(),
                };
                rows.update(|r| {
                    r.push(Row {
                        metric: format!("check-ms-{id}"),
                        label: format!(
                            "Check of {id}'s reference, {CHECK_SEEDS} seeds, in the worker (ms; with the worker's start)"
                        ),
                        value: format!(
                            "{:.0} ({:.0}); {verdict}, {} seeds run",
                            done - ready_at.get_value(),
                            done - started,
                            report.seeds_run
                        ),
                    });
                });
                worker.update_value(|w| {
                    if let Some(w) = w.take() {
                        w.terminate();
                    }
                });
                if let Some(rest) = rest.take() {
                    run_checks(rest, rows, status, worker);
                }
            }
            WorkerResponse::Refused(why) => status.set(format!("The worker refused {id}: {why}")),
            _ => {}
        };
        match spawn_worker(&request, on_response, move |m| status.set(m)) {
            Ok(running) => worker.set_value(Some(running)),
            Err(m) => status.set(m),
        }
    });
}

/// The benchmark page.
#[component]
pub fn BenchPage() -> impl IntoView {
    let rows = RwSignal::new(Vec::<Row>::new());
    let status = RwSignal::new(String::new());
    let worker = StoredValue::new_local(None::<Running>);
    let run = move |_| {
        rows.set(Vec::new());
        status.set("Running the simulator benchmarks (the page pauses for a moment)…".into());
        // Let the status paint before the main thread is busy.
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    match crate::sims::bench().await {
                        Ok(found) => rows.set(
                            found
                                .into_iter()
                                .map(|(metric, label, value)| Row {
                                    metric,
                                    label,
                                    value,
                                })
                                .collect(),
                        ),
                        Err(err) => {
                            return status.set(format!("The simulator benchmark failed: {err}"))
                        }
                    }
                    // Every challenge's reference, as the page has it in its chapter's body
                    // (the main bundle carries no challenge engine).
                    let challenges: Vec<(usize, String)> = crate::course::course()
                        .chapters
                        .iter()
                        .enumerate()
                        .flat_map(|(i, c)| c.challenges.iter().map(move |id| (i, id.clone())))
                        .collect();
                    run_checks(challenges, rows, status, worker);
                })
            },
            std::time::Duration::from_millis(50),
        );
    };
    view! {
        <div class="bench">
            <h1>"Performance in this browser"</h1>
            <p class="lede">
                "Every simulation and check on this site runs in your browser. These are the engine's own benchmarks — "
                "the same workloads " <code>"dslab bench"</code> " runs natively — timed here."
            </p>
            <p><button type="button" class="button primary" on:click=run>"Run the benchmarks"</button></p>
            <p class="muted" role="status">{move || status.get()}</p>
            <table class="bench-results">
                <tbody>
                    {move || rows.get().into_iter().map(|row| view! {
                        <tr data-metric=row.metric.clone()><th scope="row">{row.label}</th><td>{row.value}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
