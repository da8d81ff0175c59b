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
}

/// A placeholder that becomes the simulation once the module has loaded.
#[component]
pub fn SimMount(
    /// What to show.
    what: Mount,
) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    let problem = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let handle = StoredValue::new(None::<f64>);
    Effect::new(move |_| {
        let Some(host) = host.get() else {
            return;
        };
        let what = what.clone();
        leptos::task::spawn_local(async move {
            let mounted = async {
                let module = module().await?;
                let host: web_sys::HtmlElement = host.into();
                let args = match &what {
                    Mount::Scenario { id, seed, caption } => (
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
                    Mount::Shared { token, step } => (
                        "mount_shared",
                        vec![host.into(), JsValue::from_str(token), JsValue::from(*step)],
                    ),
                    Mount::Replay {
                        challenge,
                        source,
                        spec_json,
                        step,
                    } => (
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
            match mounted.await {
                Ok(id) => handle.set_value(Some(id)),
                Err(message) => problem.set(Some(message)),
            }
            loading.set(false);
        });
    });
    on_cleanup(move || {
        if let (Some(id), Some(module)) = (handle.get_value(), MODULE.with(|m| m.borrow().clone()))
        {
            let _ = call(&module, "unmount", &[JsValue::from(id)]);
        }
    });
    view! {
        <div class="sim-mount">
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
