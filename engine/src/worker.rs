//! The protocol between the page and its Web Worker: requests and responses as JSON, and
//! [`serve`], everything the worker does. It lives here so it is tested natively; the `worker`
//! crate only connects it to the browser.
//!
//! Invariant: `serve` is deterministic except for the durations it measures with the `clock` the
//! caller hands in (used only by [`WorkerRequest::HistoryBench`]); verdicts never depend on it.

use crate::challenge::{challenge, check, CheckOptions, CheckReport};
use crate::lin::{self, Budget, Format, HistoryView, ParseError};
use crate::protocols::dynamo::pbs;
use serde::{Deserialize, Serialize};

/// Default search steps for a history check in the page: a few seconds of work at most, after
/// which the answer is "unknown" rather than a frozen tab.
pub const HISTORY_STEPS_DEFAULT: u64 = 50_000_000;

/// A message from the page to the worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkerRequest {
    /// Check a learner's script against a challenge.
    Check {
        /// The challenge id.
        challenge: String,
        /// The learner's script.
        source: String,
        /// Seeds to check.
        seeds: u64,
    },
    /// Check a client history for linearizability and lay it out for drawing.
    History {
        /// The history's text.
        text: String,
        /// Its format (`Auto` detects it).
        format: Format,
        /// Most search steps before answering "unknown".
        steps_max: u64,
    },
    /// Time the checker on named histories (the benchmark page). Parsing is not timed.
    HistoryBench {
        /// (name, text) pairs.
        histories: Vec<(String, String)>,
        /// Check key-value histories as one state instead of key by key.
        whole: bool,
        /// Times the whole set is checked (the page reports the median run; the first run
        /// also pays for the browser compiling the wasm).
        repetitions: u32,
    },
    /// Time the consistency classification of the benchmark's generated histories
    /// ([`crate::consistency::bench`]) under every model, as `dslab bench-classify` does.
    /// Answered with [`WorkerResponse::HistoryBench`]; a timing's verdict lists every model's.
    ClassifyBench {
        /// Times each history is classified.
        repetitions: u32,
    },
    /// Measure the staleness chart of chapter 3 ([`pbs::CHART`] × [`pbs::DELAYS`], each point
    /// [`pbs::PAIRS`] write/read pairs of the leaderless store): one
    /// [`WorkerResponse::StalenessPoint`] per point as it is measured, then
    /// [`WorkerResponse::Staleness`].
    Staleness {
        /// The seed of the first point (each point has its own, derived from it).
        seed: u64,
    },
}

/// One curve of the staleness chart: an (N, R, W) configuration's measured points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StalenessCurve {
    /// The configuration.
    pub quorum: pbs::Quorum,
    /// The chance a read at t = 0 is fresh, in closed form (Bailis et al. 2012).
    pub closed_form: f64,
    /// Measured points by increasing delay.
    pub points: Vec<pbs::Point>,
}

/// The measured staleness chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StalenessChart {
    /// The seed it was measured from.
    pub seed: u64,
    /// One curve per configuration of [`pbs::CHART`].
    pub curves: Vec<StalenessCurve>,
    /// Milliseconds the whole measurement took (the clock the worker was given).
    pub ms: f64,
}

/// Measures the staleness chart from `seed`, handing each point to `on_point` (curve index,
/// point) as it is measured. Point `k` of curve `c` runs from seed
/// `seed + c * DELAYS.len() + k`, so a point does not depend on the order they are measured in.
pub fn staleness_chart(
    seed: u64,
    on_point: &mut dyn FnMut(usize, pbs::Point),
) -> Vec<StalenessCurve> {
    pbs::CHART
        .iter()
        .enumerate()
        .map(|(c, &quorum)| {
            let points = pbs::DELAYS
                .iter()
                .enumerate()
                .map(|(k, &t)| {
                    let point_seed = seed + (c * pbs::DELAYS.len() + k) as u64;
                    let point = pbs::measure(quorum, t, pbs::PAIRS, point_seed);
                    on_point(c, point);
                    point
                })
                .collect();
            StalenessCurve {
                quorum,
                closed_form: pbs::fresh_at_zero(quorum),
                points,
            }
        })
        .collect()
}

/// One history timed by [`WorkerRequest::HistoryBench`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryTiming {
    /// Which repetition, from 0.
    pub run: u32,
    /// Its name.
    pub name: String,
    /// `linearizable`, `not-linearizable`, `unknown` or `error: …`.
    pub verdict: String,
    /// Milliseconds the check took (the clock the worker was given).
    pub ms: f64,
    /// Peak memo entries.
    pub memo_entries_peak: usize,
}

/// A message from the worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum WorkerResponse {
    /// The worker has loaded and takes requests.
    Ready,
    /// Seeds checked so far.
    Progress {
        /// Seeds done.
        done: u64,
        /// Seeds asked for.
        total: u64,
    },
    /// A challenge check ended.
    Report(CheckReport),
    /// A history was checked (or could not be read).
    History(Result<Box<HistoryView>, ParseError>),
    /// Benchmark timings, in request order.
    HistoryBench(Vec<HistoryTiming>),
    /// One point of the staleness chart, measured (progress of [`WorkerRequest::Staleness`]).
    StalenessPoint {
        /// Its curve (index into [`pbs::CHART`]).
        curve: usize,
        /// The point.
        point: pbs::Point,
    },
    /// The staleness chart, every point measured.
    Staleness(StalenessChart),
    /// The request named no known challenge or did not parse.
    Refused(String),
}

/// Carries out one request, reporting progress every `progress_every` seeds. `clock` returns
/// milliseconds and is read only to time benchmarks.
pub fn serve(
    request: &str,
    progress_every: u64,
    clock: &mut dyn FnMut() -> f64,
    post: &mut dyn FnMut(&WorkerResponse),
) {
    let request: WorkerRequest = match serde_json::from_str(request) {
        Ok(request) => request,
        Err(err) => {
            return post(&WorkerResponse::Refused(format!(
                "malformed request: {err}"
            )))
        }
    };
    match request {
        WorkerRequest::Check {
            challenge: id,
            source,
            seeds,
        } => {
            let Some(challenge) = challenge(&id) else {
                return post(&WorkerResponse::Refused(format!(
                    "unknown challenge '{id}'"
                )));
            };
            let options = CheckOptions {
                seeds,
                first_seed: 0,
            };
            let every = progress_every.max(1);
            let report = check(challenge, &source, options, &mut |done, total| {
                if done % every == 0 && done < total {
                    post(&WorkerResponse::Progress { done, total });
                }
                true
            });
            post(&WorkerResponse::Report(report));
        }
        WorkerRequest::History {
            text,
            format,
            steps_max,
        } => {
            let view = lin::view_text(&text, format, &mut Budget::steps(steps_max));
            post(&WorkerResponse::History(view.map(Box::new)));
        }
        WorkerRequest::HistoryBench {
            histories,
            whole,
            repetitions,
        } => {
            let prepared: Vec<(String, Result<lin::Prepared, ParseError>)> = histories
                .into_iter()
                .map(|(name, text)| (name, lin::Prepared::from_text(&text, Format::Auto)))
                .collect();
            let mut timings = Vec::new();
            for run in 0..repetitions.max(1) {
                for (name, history) in &prepared {
                    let name = name.clone();
                    timings.push(match history {
                        Ok(history) => {
                            let start = clock();
                            let report = history.check(whole, &mut Budget::default());
                            HistoryTiming {
                                run,
                                name,
                                verdict: report.verdict.name().to_string(),
                                ms: clock() - start,
                                memo_entries_peak: report.memo_entries_peak,
                            }
                        }
                        Err(e) => HistoryTiming {
                            run,
                            name,
                            verdict: format!("error: {e}"),
                            ms: 0.0,
                            memo_entries_peak: 0,
                        },
                    });
                }
            }
            post(&WorkerResponse::HistoryBench(timings));
        }
        WorkerRequest::ClassifyBench { repetitions } => {
            use crate::consistency::{bench, classify, Limits};
            let mut timings = Vec::new();
            for (name, stale_ppm) in bench::BENCH_HISTORIES {
                let raw = match lin::read(&bench::history(1, stale_ppm), Format::JsonLines) {
                    Ok((_, raw)) => raw,
                    Err(e) => {
                        post(&WorkerResponse::Refused(format!("{name}: {e}")));
                        return;
                    }
                };
                for run in 0..repetitions.max(1) {
                    let start = clock();
                    let verdict = match classify(&raw, None, &Limits::default()) {
                        Ok(judgements) => judgements
                            .iter()
                            .map(|j| format!("{}={}", j.model.name(), j.verdict.name()))
                            .collect::<Vec<_>>()
                            .join(" "),
                        Err(e) => format!("error: {e}"),
                    };
                    timings.push(HistoryTiming {
                        run,
                        name: name.to_string(),
                        verdict,
                        ms: clock() - start,
                        memo_entries_peak: 0,
                    });
                }
            }
            post(&WorkerResponse::HistoryBench(timings));
        }
        WorkerRequest::Staleness { seed } => {
            let start = clock();
            let curves = staleness_chart(seed, &mut |curve, point| {
                post(&WorkerResponse::StalenessPoint { curve, point });
            });
            post(&WorkerResponse::Staleness(StalenessChart {
                seed,
                curves,
                ms: clock() - start,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::{challenges, Verdict};
    use crate::lin::Outcome;

    fn run(request: &WorkerRequest) -> Vec<WorkerResponse> {
        let json = serde_json::to_string(request).unwrap();
        let mut messages = Vec::new();
        let mut t = 0.0;
        serve(
            &json,
            10,
            &mut || {
                t += 1.0;
                t
            },
            &mut |m| messages.push(m.clone()),
        );
        messages
    }

    #[test]
    fn a_check_reports_progress_then_the_verdict() {
        let c = &challenges()[0];
        let messages = run(&WorkerRequest::Check {
            challenge: c.id.clone(),
            source: c.reference.clone(),
            seeds: 40,
        });
        let progress: Vec<u64> = messages
            .iter()
            .filter_map(|m| match m {
                WorkerResponse::Progress { done, .. } => Some(*done),
                _ => None,
            })
            .collect();
        assert_eq!(progress, [10, 20, 30]);
        assert!(
            matches!(messages.last(), Some(WorkerResponse::Report(r)) if r.verdict == Verdict::Passed)
        );
    }

    #[test]
    fn the_staleness_chart_streams_every_point_then_the_curves() {
        let messages = run(&WorkerRequest::Staleness { seed: 1 });
        let points = pbs::CHART.len() * pbs::DELAYS.len();
        assert_eq!(messages.len(), points + 1);
        let Some(WorkerResponse::Staleness(chart)) = messages.last() else {
            panic!("the last message is the chart")
        };
        assert_eq!(chart.curves.len(), pbs::CHART.len());
        for (c, curve) in chart.curves.iter().enumerate() {
            assert_eq!(curve.quorum, pbs::CHART[c]);
            let ts: Vec<u64> = curve.points.iter().map(|p| p.t).collect();
            assert_eq!(ts, pbs::DELAYS);
            // The streamed points are the chart's, in order.
            let streamed: Vec<pbs::Point> = messages
                .iter()
                .filter_map(|m| match m {
                    WorkerResponse::StalenessPoint { curve, point } if *curve == c => Some(*point),
                    _ => None,
                })
                .collect();
            assert_eq!(streamed, curve.points);
        }
        // Deterministic: the same seed, the same chart (the duration aside).
        let again = run(&WorkerRequest::Staleness { seed: 1 });
        let Some(WorkerResponse::Staleness(second)) = again.last() else {
            panic!("a chart")
        };
        assert_eq!(second.curves, chart.curves);
    }

    #[test]
    fn bad_requests_are_refused() {
        let mut messages = Vec::new();
        let mut clock = || 0.0;
        serve("{not json", 10, &mut clock, &mut |m| {
            messages.push(m.clone())
        });
        let unknown = WorkerRequest::Check {
            challenge: "nope".into(),
            source: String::new(),
            seeds: 1,
        };
        messages.extend(run(&unknown));
        assert!(matches!(&messages[0], WorkerResponse::Refused(m) if m.contains("malformed")));
        assert!(
            matches!(&messages[1], WorkerResponse::Refused(m) if m.contains("unknown challenge 'nope'"))
        );
    }

    #[test]
    fn a_history_comes_back_checked_or_with_the_line_at_fault() {
        let ok = r#"{"client": 0, "type": "invoke", "f": "write", "value": 1}
{"client": 0, "type": "ok", "f": "write", "value": 1}
{"client": 1, "type": "invoke", "f": "read"}
{"client": 1, "type": "ok", "f": "read", "value": 2}
"#;
        let messages = run(&WorkerRequest::History {
            text: ok.into(),
            format: Format::Auto,
            steps_max: HISTORY_STEPS_DEFAULT,
        });
        let [WorkerResponse::History(Ok(view))] = messages.as_slice() else {
            panic!("{messages:?}")
        };
        assert_eq!(view.outcome, Outcome::NotLinearizable);
        let messages = run(&WorkerRequest::History {
            text: "write 1\n".into(),
            format: Format::Auto,
            steps_max: HISTORY_STEPS_DEFAULT,
        });
        assert!(matches!(&messages[..], [WorkerResponse::History(Err(e))] if e.line == 1));
    }

    #[test]
    fn a_bench_times_each_history_with_the_given_clock() {
        let text = "{\"client\": 0, \"type\": \"invoke\", \"f\": \"read\"}\n\
                    {\"client\": 0, \"type\": \"ok\", \"f\": \"read\", \"value\": null}\n";
        let messages = run(&WorkerRequest::HistoryBench {
            histories: vec![("a".into(), text.into()), ("b".into(), "junk".into())],
            whole: false,
            repetitions: 2,
        });
        let [WorkerResponse::HistoryBench(t)] = messages.as_slice() else {
            panic!("{messages:?}")
        };
        assert_eq!(t.len(), 4, "two histories, twice");
        assert_eq!(t[0].verdict, "linearizable");
        assert_eq!(t[0].ms, 1.0);
        assert!(t[1].verdict.starts_with("error"), "{}", t[1].verdict);
        assert_eq!((t[2].run, t[2].name.as_str()), (1, "a"));
    }

    #[test]
    fn the_classify_bench_judges_both_generated_histories_under_every_model() {
        let messages = run(&WorkerRequest::ClassifyBench { repetitions: 2 });
        let [WorkerResponse::HistoryBench(t)] = messages.as_slice() else {
            panic!("{messages:?}")
        };
        assert_eq!(t.len(), 4, "two histories, twice");
        assert!(
            t[0].verdict.starts_with("linearizable=holds "),
            "{}",
            t[0].verdict
        );
        assert!(
            t[2].verdict.starts_with("linearizable=violated "),
            "{}",
            t[2].verdict
        );
        assert_eq!(
            t[0].verdict.matches('=').count(),
            8,
            "every model: {}",
            t[0].verdict
        );
        assert_eq!(t[0].ms, 1.0, "timed with the given clock");
    }
}
