//! The page's Web Worker (the `worker` crate: the engine with Rhai and the linearizability
//! checker, kept out of the first-view bundle). One worker stays warm between jobs, so its
//! module is fetched and compiled once per page; a cancelled or runaway job is ended by
//! terminating its worker, and the next job starts a fresh one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use engine::worker::{WorkerRequest, WorkerResponse};
use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::JsCast;

thread_local! {
    /// A loaded worker with no job, kept for the next one.
    static WARM: RefCell<Option<web_sys::Worker>> = const { RefCell::new(None) };
}

/// Whether `response` ends a job (the worker is then free for another).
fn ends_job(response: &WorkerResponse) -> bool {
    !matches!(
        response,
        WorkerResponse::Ready
            | WorkerResponse::Progress { .. }
            | WorkerResponse::StalenessPoint { .. }
    )
}

/// The worker's entry script, written by Trunk next to `index.html`.
const WORKER_URL: &str = "./worker_loader.js";

/// How long a new worker may take to load before the job fails (its files are large: the first
/// load on a slow link takes seconds; one that never answers is unreachable).
const READY_TIMEOUT_MS: u64 = 30_000;

/// What the learner reads when the worker's files cannot be fetched.
const LOAD_FAILED: &str =
    "The checker could not be loaded (are you offline?). Reload the page when you are online.";

/// A running worker: the worker and the callbacks that must live as long as it does. Dropping
/// it does not stop the worker; `terminate` does.
pub struct Running {
    worker: web_sys::Worker,
    /// The job has ended and the worker went back to being warm.
    finished: Rc<Cell<bool>>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Running {
    /// Ends the job: a job still running is stopped at once by terminating its worker (the next
    /// job starts a fresh one); after a finished job the warm worker is left alone.
    pub fn terminate(&self) {
        if !self.finished.get() {
            self.finished.set(true);
            self.worker.terminate();
        }
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
    let warm = WARM.with(|w| w.borrow_mut().take());
    let is_warm = warm.is_some();
    let worker = match warm {
        Some(worker) => worker,
        None => web_sys::Worker::new(WORKER_URL)
            .map_err(|_| "The checker could not start in this browser.".to_string())?,
    };
    let request = serde_json::to_string(request).expect("requests serialize");
    let finished = Rc::new(Cell::new(false));
    let ready = Rc::new(Cell::new(is_warm));
    let poster = worker.clone();
    let fail = on_failure.clone();
    let done = finished.clone();
    let sent = request.clone();
    let loaded = ready.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let text = event.data().as_string().unwrap_or_default();
            match serde_json::from_str::<WorkerResponse>(&text) {
                Ok(response) => {
                    if response == WorkerResponse::Ready {
                        loaded.set(true);
                        let _ = poster.post_message(&sent.as_str().into());
                    }
                    if ends_job(&response) && !done.get() {
                        // Free for the next job: keep it warm (one is enough).
                        done.set(true);
                        poster.set_onmessage(None);
                        poster.set_onerror(None);
                        let spare = WARM.with(|w| w.borrow_mut().replace(poster.clone()));
                        if let Some(spare) = spare {
                            spare.terminate();
                        }
                    }
                    on_response(response);
                }
                Err(err) => fail(format!("The checker sent something unexpected: {err}")),
            }
        });
    // A script that fails inside the worker reports an `ErrorEvent`; a worker whose file
    // cannot be fetched, a plain `Event` with no message.
    let failed = on_failure.clone();
    let gone = finished.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        // Reported once: the load timeout below stays quiet.
        gone.set(true);
        let message = event
            .dyn_ref::<web_sys::ErrorEvent>()
            .map(|e| e.message())
            .filter(|m| !m.is_empty());
        failed(match message {
            Some(m) => format!("The checker stopped with an error: {m}"),
            None => LOAD_FAILED.to_string(),
        });
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    if is_warm {
        // A warm worker has loaded already: the job goes at once.
        let _ = worker.post_message(&request.as_str().into());
    }
    if !is_warm {
        // A worker whose wasm cannot be fetched never answers (the failure stays inside it).
        let (stalled, done, loaded) = (worker.clone(), finished.clone(), ready);
        leptos::prelude::set_timeout(
            move || {
                if !loaded.get() && !done.get() {
                    done.set(true);
                    stalled.terminate();
                    on_failure(LOAD_FAILED.to_string());
                }
            },
            std::time::Duration::from_millis(READY_TIMEOUT_MS),
        );
    }
    Ok(Running {
        worker,
        finished,
        _on_message: on_message,
        _on_error: on_error,
    })
}
