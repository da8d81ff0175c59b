//! The simulations module (`sims` crate: the engine's simulator, every protocol and the
//! simulation view), loaded the first time a page shows a simulation so that none of it is in
//! the first view's download. This file only loads it and calls its exported functions.

use std::cell::RefCell;

use leptos::prelude::*;
use leptos::wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The module's script (wasm-bindgen's no-modules output, written by Trunk).
const SCRIPT_URL: &str = "./sims.js";
/// Its wasm.
const WASM_URL: &str = "./sims_bg.wasm";
/// What the reader sees if the module cannot load.
const LOAD_FAILED: &str =
    "The simulation could not be loaded (are you offline?). Reload the page to try again.";

thread_local! {
    /// The loaded module's `wasm_bindgen` object, once loaded.
    static MODULE: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// Loads the module once per page; later calls return at once.
async fn module() -> Result<JsValue, String> {
    if let Some(m) = MODULE.with(|m| m.borrow().clone()) {
        return Ok(m);
    }
    // wasm-bindgen's no-modules script declares `let wasm_bindgen` at the top level: a global
    // binding other scripts can name, but not a property of `window`.
    let global = || {
        js_sys::Function::new_no_args(
            "return typeof wasm_bindgen === 'undefined' ? undefined : wasm_bindgen",
        )
        .call0(&JsValue::NULL)
        .ok()
        .filter(|v| !v.is_undefined())
    };
    crate::browser::load_script("sims-module", SCRIPT_URL, || global().is_some())
        .await
        .map_err(|_| LOAD_FAILED)?;
    let bindgen = global().ok_or(LOAD_FAILED)?;
    // `wasm_bindgen(url)` instantiates the wasm once; a second call returns the same instance.
    let init: js_sys::Function = bindgen.clone().dyn_into().map_err(|_| LOAD_FAILED)?;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"module_or_path".into(), &WASM_URL.into());
    let ready = init
        .call1(&JsValue::NULL, &options)
        .map_err(|_| LOAD_FAILED)?;
    JsFuture::from(js_sys::Promise::resolve(&ready))
        .await
        .map_err(|_| LOAD_FAILED)?;
    MODULE.with(|m| *m.borrow_mut() = Some(bindgen.clone()));
    Ok(bindgen)
}

/// Calls the module's exported function `name` with `args`.
fn call(module: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f: js_sys::Function = js_sys::Reflect::get(module, &name.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| format!("The simulation module has no `{name}`; reload the page."))?;
    f.apply(&JsValue::NULL, &args.iter().cloned().collect())
        .map_err(|e| format!("The simulation stopped with an error: {e:?}"))
}

/// Draws the staleness chart's `curves_json` (the worker's curves so far) on `canvas` with the
/// module's plotters backend, loading the module first if needed.
pub async fn draw_staleness(
    canvas: web_sys::HtmlCanvasElement,
    curves_json: &str,
    dark: bool,
) -> Result<(), String> {
    let module = module().await?;
    let drawn = call(
        &module,
        "draw_staleness",
        &[
            canvas.into(),
            JsValue::from_str(curves_json),
            JsValue::from_bool(dark),
        ],
    )?;
    if drawn.as_bool() == Some(true) {
        Ok(())
    } else {
        Err("The chart could not be drawn; reload the page.".into())
    }
}

/// What to mount.
#[derive(Clone, Debug, PartialEq)]
pub enum Mount {
    /// A scenario's default run.
    Scenario {
        /// Scenario id.
        id: String,
        /// Seed.
        seed: u64,
        /// Caption under the drawing.
        caption: Option<String>,
    },
    /// A shared run.
    Shared {
        /// The run token.
        token: String,
        /// The step it was shared at.
        step: u64,
    },
    /// A challenge's counterexample, run with the learner's code.
    Replay {
        /// Challenge id.
        challenge: String,
        /// The learner's code that was checked.
        source: String,
        /// The shrunk run, as JSON.
        spec_json: String,
        /// The violating step.
        step: u64,
    },
    /// The performance page (`app::pages::bench`), which the module mounts so that the first
    /// view does not carry it.
    Bench,
}

/// How far from the viewport (CSS margin) a lazy simulation mounts; beyond it, it unmounts.
const NEAR_MARGIN: &str = "1200px 0px";

/// Where an unmounted simulation was: `<step>/<token>`, from the module's `unmount`.
fn parse_position(at: &str) -> Option<(u64, String)> {
    let (step, token) = at.split_once('/')?;
    Some((step.parse().ok()?, token.to_string()))
}

/// A placeholder that becomes the simulation once the module has loaded. A `lazy` one (a
/// chapter's scenario) exists only while it is near the viewport: it mounts as it approaches,
/// and far away it unmounts, keeping its height and where the run was, to come back there.
#[component]
pub fn SimMount(
    /// What to show.
    what: Mount,
    /// Mount only near the viewport.
    #[prop(default = false)]
    lazy: bool,
) -> impl IntoView {
    let outer = NodeRef::<leptos::html::Div>::new();
    let host = NodeRef::<leptos::html::Div>::new();
    let problem = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let handle = StoredValue::new(None::<f64>);
    // Whether it should exist, whether a mount is under way, where an unmounted run was, and
    // the height it kept.
    let near = RwSignal::new(!lazy);
    let mounting = StoredValue::new(false);
    let resume = StoredValue::new(None::<(u64, String)>);
    let kept_height = RwSignal::new(None::<f64>);
    let observer = StoredValue::new_local(None);
    let scenario = match &what {
        Mount::Scenario { id, .. } => Some(id.clone()),
        _ => None,
    };
    Effect::new(move |_| {
        if !lazy {
            return;
        }
        let Some(el) = outer.get() else { return };
        let el: &web_sys::Element = &el;
        observer.set_value(crate::browser::watch_nearness(
            el,
            NEAR_MARGIN,
            // An observation queued before the page went away may still arrive.
            move |is_near| {
                let _ = near.try_set(is_near);
            },
        ));
    });
    let unmount_now = move || {
        let (Some(id), Some(module)) = (handle.get_value(), MODULE.with(|m| m.borrow().clone()))
        else {
            return;
        };
        if let Some(el) = outer.get_untracked() {
            let el: &web_sys::HtmlElement = &el;
            kept_height.set(Some(f64::from(el.offset_height())));
        }
        let at = call(&module, "unmount", &[JsValue::from(id)]).ok();
        resume.set_value(
            at.and_then(|v| v.as_string())
                .and_then(|a| parse_position(&a)),
        );
        handle.set_value(None);
        loading.set(true);
    };
    Effect::new(move |_| {
        let is_near = near.get();
        let Some(host) = host.get() else {
            return;
        };
        if !is_near {
            unmount_now();
            return;
        }
        if handle.get_value().is_some() || mounting.get_value() {
            return;
        }
        mounting.set_value(true);
        let what = what.clone();
        leptos::task::spawn_local(async move {
            let mounted = async {
                let module = module().await?;
                // The page went away while the module loaded: mount nothing.
                if resume.is_disposed() {
                    return Err(String::new());
                }
                let host: web_sys::HtmlElement = host.into();
                let resumed = resume.get_value();
                let args = match (&what, resumed) {
                    (Mount::Scenario { caption, .. }, Some((step, token))) => (
                        "mount_resumed",
                        vec![
                            host.into(),
                            JsValue::from_str(&token),
                            JsValue::from(step),
                            caption
                                .as_deref()
                                .map_or(JsValue::UNDEFINED, JsValue::from_str),
                        ],
                    ),
                    (Mount::Scenario { id, seed, caption }, None) => (
                        "mount_scenario",
                        vec![
                            host.into(),
                            JsValue::from_str(id),
                            JsValue::from(*seed),
                            caption
                                .as_deref()
                                .map_or(JsValue::UNDEFINED, JsValue::from_str),
                        ],
                    ),
                    (Mount::Bench, _) => ("mount_bench", vec![host.into()]),
                    (Mount::Shared { token, step }, _) => (
                        "mount_shared",
                        vec![host.into(), JsValue::from_str(token), JsValue::from(*step)],
                    ),
                    (
                        Mount::Replay {
                            challenge,
                            source,
                            spec_json,
                            step,
                        },
                        _,
                    ) => (
                        "mount_replay",
                        vec![
                            host.into(),
                            JsValue::from_str(challenge),
                            JsValue::from_str(source),
                            JsValue::from_str(spec_json),
                            JsValue::from(*step),
                        ],
                    ),
                };
                call(&module, args.0, &args.1)?
                    .as_f64()
                    .ok_or_else(|| "The simulation did not start; reload the page.".to_string())
            };
            let result = mounted.await;
            if mounting.is_disposed() {
                // The page went away while the simulation loaded: drop what was mounted into the
                // detached host.
                if let (Ok(id), Some(module)) = (&result, MODULE.with(|m| m.borrow().clone())) {
                    let _ = call(&module, "unmount", &[JsValue::from(*id)]);
                }
                return;
            }
            mounting.set_value(false);
            match result {
                Ok(id) => {
                    handle.set_value(Some(id));
                    kept_height.set(None);
                    loading.set(false);
                    // It scrolled away while it loaded.
                    if !near.get_untracked() {
                        unmount_now();
                    }
                }
                Err(message) => {
                    problem.set(Some(message));
                    loading.set(false);
                }
            }
        });
    });
    on_cleanup(move || {
        observer.with_value(|o| {
            if let Some((observer, _)) = o {
                observer.disconnect();
            }
        });
        if let (Some(id), Some(module)) = (handle.get_value(), MODULE.with(|m| m.borrow().clone()))
        {
            let _ = call(&module, "unmount", &[JsValue::from(id)]);
        }
    });
    view! {
        <div class="sim-mount" class:lazy=lazy node_ref=outer data-scenario=scenario
            class:unmounted=move || loading.get()
            style:min-height=move || kept_height.get().map(|h| format!("{h}px"))>
            <p class="sim-loading muted" role="status" hidden=move || !loading.get()>"Loading the simulation…"</p>
            {move || problem.get().map(|p| view! { <p class="notice notice-warning" role="alert">{p}</p> })}
            <div node_ref=host></div>
        </div>
    }
}

/// Runs the module's simulator benchmarks: (metric, label, value) rows.
pub async fn bench() -> Result<Vec<(String, String, String)>, String> {
    let module = module().await?;
    let json = call(&module, "bench", &[])?
        .as_string()
        .ok_or("The benchmark returned nothing.")?;
    serde_json::from_str(&json).map_err(|_| {
        serde_json::from_str::<serde_json::Value>(&json)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
            .unwrap_or_else(|| "The benchmark's answer did not parse.".into())
    })
}
