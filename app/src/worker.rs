//! The page's Web Worker (the `worker` crate: the engine with Rhai and the linearizability
//! checker, kept out of the first-view bundle). Each job starts a fresh worker, so a cancelled
//! or runaway job is ended by terminating it.

use engine::worker::{WorkerRequest, WorkerResponse};
use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::JsCast;

/// The worker's entry script, written by Trunk next to `index.html`.
const WORKER_URL: &str = "./worker_loader.js";

/// A running worker: the worker and the callbacks that must live as long as it does. Dropping
/// it does not stop the worker; `terminate` does.
pub struct Running {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl Running {
    /// Stops the worker at once, wherever it is.
    pub fn terminate(&self) {
        self.worker.terminate();
    }
}

/// Starts a worker and sends it `request` once it has loaded. Every response is handed to
/// `on_response` (`Ready` included); a worker that fails to load or crashes, or a response that
/// does not parse, goes to `on_failure` with a message for the learner.
pub fn spawn_worker(
    request: &WorkerRequest,
    mut on_response: impl FnMut(WorkerResponse) + 'static,
    on_failure: impl Fn(String) + Clone + 'static,
) -> Result<Running, String> {
    let worker = web_sys::Worker::new(WORKER_URL)
        .map_err(|_| "The checker could not start in this browser.".to_string())?;
    let request = serde_json::to_string(request).expect("requests serialize");
    let poster = worker.clone();
    let fail = on_failure.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let text = event.data().as_string().unwrap_or_default();
            match serde_json::from_str::<WorkerResponse>(&text) {
                Ok(response) => {
                    if response == WorkerResponse::Ready {
                        let _ = poster.post_message(&request.as_str().into());
                    }
                    on_response(response);
                }
                Err(err) => fail(format!("The checker sent something unexpected: {err}")),
            }
        });
    let on_error =
        Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
            on_failure(format!(
                "The checker stopped with an error: {}",
                event.message()
            ));
        });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Running {
        worker,
        _on_message: on_message,
        _on_error: on_error,
    })
}
