//! DistSys Lab's live simulations as a wasm module of their own. The page loads it (script
//! `sims.js`, wasm `sims_bg.wasm`) the first time a page shows a simulation, so the simulator,
//! every protocol and the simulation view stay out of the first view's download.
//!
//! The page calls the functions below through the module's `wasm_bindgen` global: mount a
//! simulation into an element, unmount it, run the simulator benchmarks. Everything the module
//! draws is the engine's state; it shares the page's DOM and stylesheet, not its memory.

pub mod view;

use std::cell::RefCell;
use std::collections::HashMap;

use engine::sim::spec::RunSpec;
use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

/// Milliseconds on the page's monotonic clock; paces animations and times benchmarks.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// A mounted simulation: its view (dropping it unmounts), and where it keeps its position.
struct Mounted {
    _view: Box<dyn std::any::Any>,
    position: Option<view::Position>,
}

thread_local! {
    /// Mounted simulations by handle.
    static MOUNTED: RefCell<HashMap<u32, Mounted>> = RefCell::new(HashMap::new());
    static NEXT: RefCell<u32> = const { RefCell::new(1) };
}

fn keep(handle: Box<dyn std::any::Any>, position: Option<view::Position>) -> u32 {
    let id = NEXT.with(|n| {
        let mut n = n.borrow_mut();
        *n += 1;
        *n
    });
    MOUNTED.with(|m| {
        m.borrow_mut().insert(
            id,
            Mounted {
                _view: handle,
                position,
            },
        )
    });
    id
}

/// Mounts the default run of `scenario` with `seed` into `parent`; returns a handle for
/// [`unmount`]. An unknown scenario shows a message in place of the simulation.
#[wasm_bindgen]
pub fn mount_scenario(
    parent: web_sys::HtmlElement,
    scenario: String,
    seed: u64,
    caption: Option<String>,
) -> u32 {
    let spec = engine::scenarios::default_spec(&scenario, seed);
    mount_spec(parent, spec, 0, caption)
}

/// Mounts a simulation again where it was unmounted: the run `token` at `step`, as [`unmount`]
/// reported it (`<step>/<token>`).
#[wasm_bindgen]
pub fn mount_resumed(
    parent: web_sys::HtmlElement,
    token: String,
    step: u64,
    caption: Option<String>,
) -> u32 {
    let spec = engine::scenarios::spec_from_token(&token);
    mount_spec(parent, spec, step, caption)
}

fn mount_spec(
    parent: web_sys::HtmlElement,
    spec: Result<RunSpec, engine::SimError>,
    step: u64,
    caption: Option<String>,
) -> u32 {
    let position = view::Position::default();
    let kept = position.clone();
    let handle = leptos::mount::mount_to(parent, move || {
        match spec {
        Ok(spec) => view! { <view::SimView spec=spec caption=caption start_step=step position=Some(kept)/> }.into_any(),
        Err(err) => view! {
            <div class="sim sim-error" role="alert">{format!("This simulation cannot start: {err}")}</div>
        }
        .into_any(),
    }
    });
    keep(Box::new(handle), Some(position))
}

/// Mounts the performance page (`#/bench`) into `parent`: it lives in this module so that the
/// first view does not download it.
#[wasm_bindgen]
pub fn mount_bench(parent: web_sys::HtmlElement) -> u32 {
    let handle = leptos::mount::mount_to(parent, app::pages::bench::BenchPage);
    keep(Box::new(handle), None)
}

/// Mounts a shared run (`#/sim/<step>/<token>`) into `parent`: the run at `step`, or, if the
/// token does not decode, the first scenario's default run with a message saying why.
#[wasm_bindgen]
pub fn mount_shared(parent: web_sys::HtmlElement, token: String, step: u64) -> u32 {
    let handle = leptos::mount::mount_to(parent, move || {
        view! { <view::SharedSim token=token step=step/> }
    });
    keep(Box::new(handle), None)
}

/// Mounts a challenge's counterexample — `spec_json`, a `RunSpec` in JSON — run with the
/// learner's `source` in place of the part the challenge replaces, positioned at `step` (the
/// violation). A run that cannot be replayed shows why in place of the simulation.
#[wasm_bindgen]
pub fn mount_replay(
    parent: web_sys::HtmlElement,
    challenge: String,
    source: String,
    spec_json: String,
    step: u64,
) -> u32 {
    let spec = serde_json::from_str::<RunSpec>(&spec_json).map_err(|e| e.to_string());
    let handle = leptos::mount::mount_to(parent, move || {
        match spec {
        Ok(spec) => {
            let caption = Some(format!(
                "Your code, replayed on the smallest failing run the check found ({} {}), stopped at step {step} where the property fails. Step back with ← to see how it got there.",
                spec.scenario, spec.seed
            ));
            let code = Some(view::LearnerCode { challenge, source });
            view! { <view::SimView spec=spec code=code start_step=step caption=caption/> }
                .into_any()
        }
        Err(err) => view! {
            <div class="sim sim-error" role="alert">{format!("This run cannot be replayed: {err}")}</div>
        }
        .into_any(),
    }
    });
    keep(Box::new(handle), None)
}

/// Unmounts a simulation. For one mounted by [`mount_scenario`] or [`mount_resumed`], returns
/// where it was, `<step>/<token>`, so that [`mount_resumed`] can bring it back there.
#[wasm_bindgen]
pub fn unmount(handle: u32) -> Option<String> {
    let removed = MOUNTED.with(|m| m.borrow_mut().remove(&handle))?;
    let at = removed
        .position
        .as_ref()
        .and_then(|p| p.get())
        .map(|(token, step)| format!("{step}/{token}"));
    drop(removed);
    at
}

/// Draws the staleness chart — `curves_json`, the worker's `StalenessCurve`s so far, in JSON —
/// on `canvas`. Returns `false` if the curves do not parse or the canvas cannot be drawn on.
#[wasm_bindgen]
pub fn draw_staleness(canvas: web_sys::HtmlCanvasElement, curves_json: String, dark: bool) -> bool {
    let Ok(curves) = serde_json::from_str::<Vec<engine::worker::StalenessCurve>>(&curves_json)
    else {
        return false;
    };
    #[cfg(target_arch = "wasm32")]
    {
        view::chart::draw_staleness(canvas, &curves, dark).is_some()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (canvas, curves, dark);
        false
    }
}

/// Steps of the recorded run the seek benchmark seeks in.
const SEEK_RUN_STEPS: u64 = 100_000;
/// Random seeks timed.
const SEEKS: u32 = 200;

/// The simulator benchmarks (the same workloads as `dslab bench`), timed with the page's
/// clock: JSON `[[metric, label, value], …]`, or `{"error": …}`.
#[wasm_bindgen]
pub fn bench() -> String {
    match bench_rows() {
        Ok(rows) => serde_json::to_string(&rows).expect("rows serialize"),
        Err(err) => serde_json::json!({ "error": err }).to_string(),
    }
}

fn bench_rows() -> Result<Vec<(String, String, String)>, String> {
    use engine::scenarios::{bench_spec, build, BENCH_EVENTS, BENCH_WARMUP_EVENTS};
    use engine::sim::world::SimOptions;
    let fail = |e: engine::SimError| e.to_string();
    let mut rows = Vec::new();
    for (id, label) in [
        (
            "heartbeat-spikes",
            "Simulator, 5-node heartbeat under faults (events/s)",
        ),
        (
            "raft-election",
            "Simulator, 5-node Raft under faults (events/s)",
        ),
    ] {
        let spec: RunSpec = bench_spec(id).map_err(fail)?;
        build(&spec, SimOptions::FAST)
            .and_then(|mut warm| warm.run_steps(BENCH_WARMUP_EVENTS))
            .map_err(fail)?;
        let mut sim = build(&spec, SimOptions::FAST).map_err(fail)?;
        let start = now_ms();
        let ran = sim.run_steps(BENCH_EVENTS).map_err(fail)?;
        let elapsed_ms = (now_ms() - start).max(0.001);
        rows.push((
            format!("sim-events-per-second-{id}"),
            label.to_string(),
            format!("{:.0}", ran as f64 / elapsed_ms * 1000.0),
        ));
    }
    let spec = bench_spec("heartbeat-spikes").map_err(fail)?;
    let mut recorded = build(&spec, SimOptions::INTERACTIVE).map_err(fail)?;
    let steps = recorded.run_steps(SEEK_RUN_STEPS).map_err(fail)?;
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let start = now_ms();
    for _ in 0..SEEKS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        recorded.seek(x % (steps + 1)).map_err(fail)?;
    }
    let seek_ms = (now_ms() - start) / f64::from(SEEKS);
    rows.push((
        "seek-ms".into(),
        "Seek in a 100,000-step run (ms, average of 200 random seeks)".into(),
        format!("{seek_ms:.3}"),
    ));
    Ok(rows)
}

/// The simulation view's stylesheet: part of this module, not of the first view.
const STYLE: &str = include_str!("../../style/sims.css");

/// Adds [`STYLE`] to the page once, before anything is mounted.
fn add_style() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id("sims-style").is_some() {
        return;
    }
    let (Ok(style), Ok(Some(head))) = (
        document.create_element("style"),
        document.query_selector("head"),
    ) else {
        return;
    };
    style.set_id("sims-style");
    style.set_text_content(Some(STYLE));
    let _ = head.append_child(&style);
}

fn main() {
    // The module's futures (none today) and Leptos's effects run on the page's event loop.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    add_style();
}
