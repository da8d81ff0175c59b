//! The live simulation view: one generic component for every scenario.
//!
//! The engine's [`Session`] is the only source of truth: the view sends it commands (step, seek,
//! crash a node, cut a link, change the network) and draws the [`WorldView`] snapshot it
//! returns. Every manual action becomes an override in the run, so the run can be rewound,
//! replayed and shared as a URL. Stepping is paced by `requestAnimationFrame`; the wall clock
//! only paces the animation and never reaches the engine.

pub mod chart;
pub mod geometry;
pub mod panels;
pub mod spacetime;

use engine::scenarios::Part;
use engine::sim::protocol::Emphasis;
use engine::sim::scenario::KindInfo;
use engine::sim::session::{Command, MessageInfo, Session, TraceMark, WorldView};
use engine::sim::spec::{Action, RunSpec};
use engine::sim::world::Status;
use leptos::ev;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::now_ms;
use geometry::{
    heading, links_crossed, message_position, partition_groups, ring_arc, ticks_per_second,
    timer_remaining, Frame, Point,
};

/// Colours for message kinds, by the kind's place in its protocol's list.
const KIND_COLOURS: usize = 8;

/// The longest real-time gap one animation frame may cover, in milliseconds (a backgrounded
/// tab must not jump the simulation ahead).
const FRAME_GAP_MS_MAX: f64 = 100.0;
/// Event-log lines kept in the view.
const LOG_LINES: usize = 200;
/// Shortest time between two redraws of the traffic chart, in milliseconds.
const CHART_REDRAW_MS: f64 = 250.0;
/// Shortest time between two redraws of the secondary parts while playing, in milliseconds.
const SECONDARY_REDRAW_MS: f64 = 100.0;

/// A number unique on the page, for element ids.
fn next_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Everything the view's parts share; all fields are `Copy` handles.
#[derive(Clone, Copy)]
struct Sim {
    session: StoredValue<Session, LocalStorage>,
    view: RwSignal<WorldView>,
    /// Simulated time being shown; runs ahead of the last event while playing.
    now: RwSignal<f64>,
    playing: RwSignal<bool>,
    speed: RwSignal<u32>,
    /// The furthest step reached on this timeline (the scrubber's range).
    max_step: RwSignal<u64>,
    selected: RwSignal<Option<u16>>,
    notice: RwSignal<Option<String>>,
    last_frame_ms: StoredValue<Option<f64>>,
    /// Fires when the secondary parts (inspector, space-time diagram, screen-reader summary)
    /// should redraw: on every change while paused, at most every [`SECONDARY_REDRAW_MS`]
    /// while playing (see [`Sim::follow`]).
    secondary: Trigger,
}

impl Sim {
    fn open(spec: &RunSpec, code: Option<&LearnerCode>) -> Result<Sim, String> {
        let mut session = match code {
            None => engine::scenarios::session(spec).map_err(|e| e.to_string())?,
            Some(code) => engine::challenge::replay_session(&code.challenge, &code.source, spec)?,
        };
        session.set_trace_window(LOG_LINES);
        let view = session.view();
        Ok(Sim {
            now: RwSignal::new(view.time as f64),
            max_step: RwSignal::new(view.step),
            view: RwSignal::new(view),
            session: StoredValue::new_local(session),
            playing: RwSignal::new(false),
            speed: RwSignal::new(40),
            selected: RwSignal::new(None),
            notice: RwSignal::new(None),
            last_frame_ms: StoredValue::new(None),
            secondary: Trigger::new(),
        })
    }

    /// Keeps the secondary parts in step with the view: at once when paused (stepping and
    /// scrubbing are exact), throttled while playing so a frame's budget goes to the cluster
    /// drawing and the log, always ending on the latest state.
    fn follow(&self) {
        let sim = *self;
        throttled(
            SECONDARY_REDRAW_MS,
            move || sim.view.track(),
            move || !sim.playing.get_untracked(),
            move || sim.secondary.notify(),
        );
    }

    /// Runs a command; a refused command (a limit, a bad value) becomes a notice.
    fn command(&self, command: Command) -> bool {
        let mut result = None;
        self.session.update_value(|s| result = Some(s.run(command)));
        match result.expect("update_value ran") {
            Ok(view) => {
                self.max_step.update(|m| *m = (*m).max(view.step));
                self.view.set(view);
                true
            }
            Err(err) => {
                self.notice.set(Some(err.to_string()));
                self.playing.set(false);
                false
            }
        }
    }

    fn step(&self, command: Command) {
        self.playing.set(false);
        self.clear_notice();
        if self.command(command) {
            self.now.set(self.view.with_untracked(|v| v.time as f64));
        }
    }

    /// A hand-made action forks the timeline here: later steps of the old timeline are gone.
    fn act(&self, action: Action) {
        self.clear_notice();
        if self.command(Command::Apply(action)) {
            self.max_step.set(self.view.with_untracked(|v| v.step));
        }
    }

    /// A notice answers the last thing that happened ("the run has ended", a refused action);
    /// the reader's next move makes it stale.
    fn clear_notice(&self) {
        if self.notice.with_untracked(Option::is_some) {
            self.notice.set(None);
        }
    }

    /// The node the inspector shows: the selected one, else the first.
    fn inspected(&self) -> Option<(u16, Status)> {
        let selected = self.selected.get_untracked();
        self.view.with_untracked(|v| {
            let id = selected.or_else(|| v.nodes.first().map(|n| n.id))?;
            v.nodes.iter().find(|n| n.id == id).map(|n| (id, n.status))
        })
    }

    /// Crash the inspected node, or restart it if it is down (resume it if paused).
    fn crash_or_restart_selected(&self) {
        if let Some((id, status)) = self.inspected() {
            self.act(match status {
                Status::Up => Action::Crash(id),
                Status::Down => Action::Restart(id),
                Status::Paused => Action::Resume(id),
            });
        }
    }

    /// Pause the inspected node, or resume it if paused (a down node stays down).
    fn pause_or_resume_selected(&self) {
        match self.inspected() {
            Some((id, Status::Up)) => self.act(Action::Pause(id)),
            Some((id, Status::Paused)) => self.act(Action::Resume(id)),
            _ => {}
        }
    }

    /// Cut the inspected node off from every other node, or, if it is already cut off from all
    /// of them, repair its links.
    fn isolate_or_rejoin_selected(&self) {
        let Some((id, _)) = self.inspected() else {
            return;
        };
        let (others, isolated) = self.view.with_untracked(|v| {
            let others: Vec<u16> = v.nodes.iter().map(|n| n.id).filter(|&n| n != id).collect();
            let isolated = v
                .links
                .iter()
                .filter(|l| l.from == id || l.to == id)
                .all(|l| l.cut);
            (others, isolated)
        });
        if others.is_empty() {
            return;
        }
        if isolated {
            for other in others {
                self.act(Action::Mend(id, other));
                self.act(Action::Mend(other, id));
            }
        } else {
            self.act(Action::Partition(vec![vec![id], others]));
        }
    }

    fn toggle_play(&self) {
        if self.playing.get_untracked() {
            self.playing.set(false);
        } else {
            self.last_frame_ms.set_value(None);
            self.clear_notice();
            self.playing.set(true);
            animate(*self);
        }
    }
}

/// Calls `act` after every change that `track` subscribes to, but at most once per `min_ms`
/// unless `at_once` says this change must show now; a change inside the window schedules one
/// trailing call, so the latest change is always acted on.
fn throttled(
    min_ms: f64,
    track: impl Fn() + 'static,
    at_once: impl Fn() -> bool + 'static,
    act: impl Fn() + Copy + 'static,
) {
    let last = StoredValue::new(f64::NEG_INFINITY);
    let pending = StoredValue::new(false);
    Effect::new(move |_| {
        track();
        let wait = min_ms - (now_ms() - last.get_value());
        if at_once() || wait <= 0.0 {
            last.set_value(now_ms());
            act();
        } else if !pending.get_value() {
            pending.set_value(true);
            set_timeout(
                move || {
                    // A view unmounted meanwhile has disposed `pending`: nothing to draw.
                    if pending.try_set_value(false).is_none() {
                        let _ = last.try_set_value(now_ms());
                        act();
                    }
                },
                std::time::Duration::from_millis(wait as u64),
            );
        }
    });
}

/// One animation frame: advance simulated time by the real time since the last frame.
fn animate(sim: Sim) {
    if !sim.playing.get_untracked() {
        return;
    }
    let now = now_ms();
    let gap = sim
        .last_frame_ms
        .get_value()
        .map_or(0.0, |last| (now - last).clamp(0.0, FRAME_GAP_MS_MAX));
    sim.last_frame_ms.set_value(Some(now));
    let target =
        sim.now.get_untracked() + gap / 1000.0 * ticks_per_second(sim.speed.get_untracked());
    if sim.command(Command::RunUntil(target as u64)) {
        sim.now.set(target);
        let idle = sim
            .view
            .with_untracked(|v| v.quiescent && v.messages.is_empty());
        if idle {
            sim.playing.set(false);
            sim.notice
                .set(Some("The run has ended: nothing is left to happen.".into()));
            return;
        }
    }
    request_animation_frame(move || animate(sim));
}

fn share_url(token: &str, step: u64) -> String {
    let location = web_sys::window().map(|w| w.location());
    let base = location
        .and_then(|l| Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?)))
        .unwrap_or_default();
    format!("{base}#/sim/{step}/{token}")
}

/// A learner's code for a challenge, run in place of the part of the protocol it replaces.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnerCode {
    /// The challenge id.
    pub challenge: String,
    /// The learner's script.
    pub source: String,
}

/// Where a mounted simulation is (its run as a token, and the step shown), kept up to date so
/// that the page can unmount it when it scrolls far away and mount it again at the same place.
#[derive(Clone, Default)]
pub struct Position(std::rc::Rc<std::cell::RefCell<Option<(String, u64)>>>);

impl Position {
    /// The run's token and step, once the view has drawn.
    pub fn get(&self) -> Option<(String, u64)> {
        self.0.borrow().clone()
    }
    fn set(&self, token: &str, step: u64) {
        let mut at = self.0.borrow_mut();
        if at.as_ref().is_none_or(|(t, s)| t != token || *s != step) {
            *at = Some((token.to_string(), step));
        }
    }
}

/// A simulation embedded in a chapter (or opened from a shared link, or a challenge's
/// counterexample replayed with the learner's code).
#[component]
pub fn SimView(
    /// The run to start from.
    spec: RunSpec,
    /// The learner's code in place of part of the protocol (a replayed counterexample).
    #[prop(default = None)]
    code: Option<LearnerCode>,
    /// Step to open at (a shared link's position).
    #[prop(default = 0)]
    start_step: u64,
    /// A caption under the drawing.
    #[prop(default = None)]
    caption: Option<String>,
    /// Where to keep the run's position for the page (see [`Position`]).
    #[prop(default = None)]
    position: Option<Position>,
) -> impl IntoView {
    let replay = code.is_some();
    let dark = theme_signal();
    let sweep = engine::scenarios::sweep(&spec.scenario, spec.seed);
    let sim = match Sim::open(&spec, code.as_ref()) {
        Ok(sim) => sim,
        Err(message) => {
            return view! { <div class="sim sim-error" role="alert">{format!("This simulation cannot start: {message}")}</div> }
                .into_any()
        }
    };
    if start_step > 0 {
        sim.step(Command::Seek(start_step));
    }
    sim.follow();
    if let Some(position) = position {
        Effect::new(move |_| sim.view.with(|v| position.set(&v.token, v.step)));
    }
    on_cleanup(move || sim.playing.set(false));
    let info = sim.session.with_value(|s| s.info());
    let title = info.title;
    let description = info.description;
    let options = info.options;
    let kinds = info.kinds;
    // The parts this scenario is about come first, in its order; the rest fold behind "More".
    let has_panels = sim.view.with_untracked(|v| !v.panels.is_empty());
    let present = {
        let has_sweep = sweep.is_some();
        move |p: Part| match p {
            Part::Chart => has_sweep,
            Part::Panels => has_panels,
            _ => true,
        }
    };
    let layout = engine::scenarios::layout(&spec.scenario);
    let first: Vec<Part> = layout.iter().copied().filter(|&p| present(p)).collect();
    let folded: Vec<Part> = Part::ALL
        .into_iter()
        .filter(|p| !layout.contains(p) && present(*p))
        .collect();
    let more_summary = format!(
        "More: {}",
        folded
            .iter()
            .map(|p| p.label())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let more_open = RwSignal::new(false);
    let kinds_for = kinds.clone();
    let render = move |part: Part| -> AnyView {
        match part {
            Part::Cluster => view! {
                <div class="sim-body">
                    <div class="sim-drawing">
                        <Cluster sim=sim kinds=kinds_for.clone()/>
                        <Legend sim=sim kinds=kinds_for.clone()/>
                    </div>
                    <Inspector sim=sim/>
                </div>
            }
            .into_any(),
            Part::Panels => view! { <Panels sim=sim/> }.into_any(),
            Part::Chart => sweep
                .clone()
                .map(|sweep| view! { <SweepChart sweep=sweep dark=dark/> })
                .into_any(),
            Part::Traffic => view! { <Traffic sim=sim dark=dark/> }.into_any(),
            Part::SpaceTime => view! {
                <div class="sim-part-spacetime">
                    <spacetime::SpaceTime view=sim.view redraw=sim.secondary/>
                </div>
            }
            .into_any(),
            Part::Network => view! { <Network sim=sim/> }.into_any(),
            Part::Log => view! { <EventLog sim=sim/> }.into_any(),
        }
    };
    // On a phone the description is clamped to two lines until the reader opens it.
    let about_open = RwSignal::new(false);
    let about_id = format!("about-{}-{}", spec.scenario, next_id());
    let label = format!(
        "Simulation: {title}. Space plays or pauses, arrows step; Tab reaches nodes, links and messages; C crashes or restarts the selected node, P pauses or resumes it, I isolates it or rejoins it; F presents the simulation full screen."
    );
    let on_key = move |event: ev::KeyboardEvent| {
        if dom::typing_in_a_field(&event) {
            return;
        }
        if event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        match event.key().as_str() {
            " " => sim.toggle_play(),
            "ArrowRight" => sim.step(Command::Step(1)),
            "ArrowLeft" => sim.step(Command::StepBack(1)),
            "c" | "C" => sim.crash_or_restart_selected(),
            "p" | "P" => sim.pause_or_resume_selected(),
            "i" | "I" => sim.isolate_or_rejoin_selected(),
            "f" | "F" => {
                if let Some(figure) = event
                    .current_target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                {
                    toggle_presenting(&figure);
                }
            }
            _ => return,
        }
        event.prevent_default();
        event.stop_propagation();
    };
    view! {
        <figure class="sim" tabindex="0" on:keydown=on_key data-scenario=spec.scenario.clone()
            aria-label=label>
            <header class="sim-header">
                <p class="embed-kicker">"Simulation"</p>
                <h3 class="sim-title">{title}</h3>
                <p class="sim-description muted" class:expanded=move || about_open.get()
                    id=about_id.clone()>{description}</p>
                <button type="button" class="link-button sim-more" aria-controls=about_id
                    aria-expanded=move || if about_open.get() { "true" } else { "false" }
                    on:click=move |_| about_open.update(|o| *o = !*o)>
                    {move || if about_open.get() { "Less" } else { "More about this simulation" }}
                </button>
            </header>
            <Controls sim=sim shareable=!replay/>
            {(!options.is_empty()).then(|| view! {
                <div class="sim-options" role="group" aria-label="Store configuration">
                    <Options sim=sim options=options/>
                </div>
            })}
            {first.into_iter().map(&render).collect_view()}
            {(!folded.is_empty()).then(|| view! {
                <details class="sim-more-parts" on:toggle=move |e| {
                    more_open.set(event_target::<web_sys::Element>(&e).has_attribute("open"));
                }>
                    <summary>{more_summary.clone()}</summary>
                    // Folded parts exist only while open, so a closed one costs nothing per frame.
                    {move || more_open.get().then(|| folded.iter().map(|&part| render(part)).collect_view())}
                </details>
            })}
            <p class="sr-only" aria-live="polite">{move || {
                sim.secondary.track();
                sim.view.with_untracked(summary)
            }}</p>
            {caption.map(|c| view! { <figcaption>{c}</figcaption> })}
        </figure>
    }
    .into_any()
}

/// One sentence on the current state, for screen readers.
fn summary(view: &WorldView) -> String {
    let down = view
        .nodes
        .iter()
        .filter(|n| n.status == Status::Down)
        .count();
    let mut text = format!(
        "Step {}, time {}: {} nodes, {} down, {} messages in flight.",
        view.step,
        view.time,
        view.nodes.len(),
        down,
        view.messages.len()
    );
    if let Some(v) = &view.violation {
        text.push_str(&format!(
            " Property {} violated at step {}.",
            v.property, v.step
        ));
    }
    text
}

/// Shows `figure` full screen for a projector, or leaves full screen. The run is the same
/// component either way, so leaving returns to the same step.
fn toggle_presenting(figure: &web_sys::Element) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else {
        let _ = figure.request_fullscreen();
    }
}

#[component]
fn Controls(
    sim: Sim,
    /// Whether a link can reproduce the run (not when it runs the learner's code, which a
    /// link does not carry).
    shareable: bool,
) -> impl IntoView {
    let step_text = move || {
        sim.view
            .with(|v| format!("step {} · t = {}", v.step, v.time))
    };
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let url = sim.view.with_untracked(|v| share_url(&v.token, v.step));
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&url);
        }
        copied.set(true);
    };
    view! {
        <div class="sim-controls" role="toolbar" aria-label="Simulation controls">
            <button type="button" class="button sim-play" on:click=move |_| sim.toggle_play()
                aria-label=move || if sim.playing.get() { "Pause" } else { "Play" }>
                {move || if sim.playing.get() { "❚❚" } else { "▶" }}
                <span class="button-text">{move || if sim.playing.get() { " Pause" } else { " Play" }}</span>
            </button>
            <button type="button" class="button" title="Step back (←)" aria-label="Step back"
                on:click=move |_| sim.step(Command::StepBack(1))>"◀"<span class="button-text">" Back"</span></button>
            <button type="button" class="button" title="Step (→)" aria-label="Step forward"
                on:click=move |_| sim.step(Command::Step(1))><span class="button-text">"Step "</span>"▶"</button>
            <label class="sim-speed">
                <span class="button-text">"Speed"</span>
                <input type="range" min="0" max="100" prop:value=move || sim.speed.get().to_string()
                    aria-label="Simulation speed"
                    on:input=move |e| sim.speed.set(event_target_value(&e).parse().unwrap_or(40))/>
            </label>
            <button type="button" class="button" title="Start this run again from step 0"
                aria-label="Restart" on:click=move |_| sim.step(Command::Seek(0))>"⟲"<span class="button-text">" Restart"</span></button>
            {shareable.then(|| view! {
                <button type="button" class="button sim-share" on:click=copy
                    aria-label=move || if copied.get() { "Link copied" } else { "Copy link" }>
                    "↗"<span class="button-text">{move || if copied.get() { " Link copied" } else { " Copy link" }}</span>
                </button>
            })}
            <button type="button" class="button sim-present" title="Present full screen (F)"
                aria-label="Present full screen, or leave it"
                on:click=move |e| {
                    let figure = event_target::<web_sys::Element>(&e).closest("figure.sim").ok().flatten();
                    if let Some(figure) = figure {
                        toggle_presenting(&figure);
                    }
                }>
                    <svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                        <path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="currentColor" stroke-width="2"></path>
                    </svg>
                    <span class="button-text">" Present"</span>
                </button>
            <span class="sim-clock">{step_text}</span>
        </div>
        <label class="sim-scrubber">
            <span class="sr-only">"Timeline"</span>
            <input type="range" min="0" prop:max=move || sim.max_step.get().to_string()
                prop:value=move || sim.view.with(|v| v.step.to_string())
                aria-label="Timeline: drag to any past step"
                on:input=move |e| {
                    if let Ok(step) = event_target_value(&e).parse() {
                        sim.step(Command::Seek(step));
                    }
                }/>
        </label>
        {move || sim.notice.get().map(|n| view! {
            <p class="sim-notice" role="status">{n}
                <button type="button" class="link-button" on:click=move |_| sim.notice.set(None)>"Dismiss"</button>
            </p>
        })}
    }
}

/// Whether a key press activates a focused drawing element (as a click would).
fn activates(e: &ev::KeyboardEvent) -> bool {
    matches!(e.key().as_str(), "Enter" | " ")
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Up => "up",
        Status::Down => "down",
        Status::Paused => "paused",
    }
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Up => "node up",
        Status::Down => "node down",
        Status::Paused => "node paused",
    }
}

#[component]
fn Cluster(sim: Sim, kinds: Vec<KindInfo>) -> impl IntoView {
    let n_nodes = sim.view.with_untracked(|v| v.nodes.len());
    let svg = NodeRef::<leptos::svg::Svg>::new();
    // The frame follows the drawing's width: a narrow container (a phone) gets a nearly square
    // viewBox, so that the text stays legible.
    let container_px = RwSignal::new(0.0f64);
    let measure = move || {
        if let Some(el) = svg.get_untracked() {
            let el: web_sys::Element = el.into();
            let width = el.get_bounding_client_rect().width();
            if width > 0.0 && (width - container_px.get_untracked()).abs() >= 1.0 {
                container_px.set(width);
            }
        }
    };
    Effect::new(move |_| {
        if svg.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    let frame = Memo::new(move |_| Frame::new(n_nodes, container_px.get()));
    // A line drawn across the drawing cuts every link it crosses (a partition when the cut
    // links separate the nodes into groups).
    let stroke = RwSignal::new(None::<Vec<Point>>);
    let to_drawing = move |e: &ev::PointerEvent| -> Option<Point> {
        let el: web_sys::Element = svg.get_untracked()?.into();
        let r = el.get_bounding_client_rect();
        if r.width() <= 0.0 || r.height() <= 0.0 {
            return None;
        }
        // The viewBox is scaled uniformly and centred (preserveAspectRatio xMidYMid meet).
        let f = frame.get_untracked();
        let scale = (f.width / r.width()).max(f.height / r.height());
        let ox = (r.width() * scale - f.width) / 2.0;
        let oy = (r.height() * scale - f.height) / 2.0;
        Some(Point {
            x: (f64::from(e.client_x()) - r.left()) * scale - ox,
            y: (f64::from(e.client_y()) - r.top()) * scale - oy,
        })
    };
    let on_down = move |e: ev::PointerEvent| {
        let on_item = e
            .target()
            .and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .and_then(|el| el.closest(".node, .message").ok().flatten())
            .is_some();
        if on_item || e.button() != 0 {
            return;
        }
        if let Some(p) = to_drawing(&e) {
            stroke.set(Some(vec![p]));
        }
    };
    let on_move = move |e: ev::PointerEvent| {
        if stroke.with_untracked(Option::is_none) {
            return;
        }
        if let Some(p) = to_drawing(&e) {
            stroke.update(|s| {
                if let Some(s) = s {
                    let last = s[s.len() - 1];
                    if (p.x - last.x).hypot(p.y - last.y) >= 3.0 {
                        s.push(p);
                        // Capture only once it is a stroke, so a plain click still reaches
                        // the link or node under the pointer.
                        if s.len() == 2 {
                            if let Some(el) = svg.get_untracked() {
                                let el: web_sys::Element = el.into();
                                let _ = el.set_pointer_capture(e.pointer_id());
                            }
                        }
                    }
                }
            });
        }
    };
    let on_up = move |_: ev::PointerEvent| {
        let Some(points) = stroke.get_untracked() else {
            return;
        };
        stroke.set(None);
        let length: f64 = points
            .windows(2)
            .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
            .sum();
        if length < 12.0 {
            return; // A click, not a stroke.
        }
        let crossed = links_crossed(&points, frame.get_untracked());
        if crossed.is_empty() {
            return;
        }
        match partition_groups(n_nodes, &crossed) {
            Some(groups) => sim.act(Action::Partition(groups)),
            None => {
                for (a, b) in crossed {
                    sim.act(Action::Cut(a, b));
                    sim.act(Action::Cut(b, a));
                }
            }
        }
    };
    let stroke_points = move || {
        stroke.with(|s| {
            s.as_ref().map(|s| {
                s.iter()
                    .map(|p| format!("{:.1},{:.1}", p.x, p.y))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        })
    };
    // A run's node count is fixed; the frame changes only with the container's width.
    let position = move |id: u16| frame.get().node_position(usize::from(id));
    // Each node's drawn radius follows its emphasis (a leader is larger).
    let radii = Memo::new(move |_| {
        let f = frame.get();
        sim.view.with(|view| {
            view.nodes
                .iter()
                .map(|n| {
                    let e = n.view.as_ref().map(|v| v.emphasis).unwrap_or_default();
                    f.radius_of(e == Emphasis::Lead, e == Emphasis::Client)
                })
                .collect::<Vec<f64>>()
        })
    });
    // Links and nodes are rebuilt only when what they show changes (a cut, a crash, a role),
    // not on every animation frame; messages are keyed, so a frame only moves them.
    let link_state = Memo::new(move |_| {
        sim.view.with(|view| {
            let n = view.nodes.len() as u16;
            let mut pairs = Vec::new();
            for a in 0..n {
                for b in a + 1..n {
                    let cut = view
                        .links
                        .iter()
                        .any(|l| l.cut && ((l.from, l.to) == (a, b) || (l.from, l.to) == (b, a)));
                    pairs.push((a, b, cut));
                }
            }
            pairs
        })
    });
    let links = move || {
        link_state
            .get()
            .into_iter()
            .map(|(a, b, cut)| {
                let (pa, pb) = (position(a), position(b));
                let toggle = move || {
                    if cut {
                        sim.act(Action::Mend(a, b));
                        sim.act(Action::Mend(b, a));
                    } else {
                        sim.act(Action::Cut(a, b));
                        sim.act(Action::Cut(b, a));
                    }
                };
                let on_key = move |e: ev::KeyboardEvent| {
                    if activates(&e) {
                        e.prevent_default();
                        e.stop_propagation();
                        toggle();
                    }
                };
                let label = if cut {
                    format!("Link n{a}–n{b}, cut. Click or Enter repairs it.")
                } else {
                    format!("Link n{a}–n{b}. Click or Enter cuts it (both ways).")
                };
                let aria = label.clone();
                view! {
                    <g class=if cut { "link cut" } else { "link" } on:click=move |_| toggle()
                        tabindex="0" role="button" aria-label=aria on:keydown=on_key>
                        <title>{label}</title>
                        <line class="link-hit" x1=pa.x y1=pa.y x2=pb.x y2=pb.y></line>
                        <line class="link-line" x1=pa.x y1=pa.y x2=pb.x y2=pb.y></line>
                        {cut.then(|| {
                            let mid = Point { x: (pa.x + pb.x) / 2.0, y: (pa.y + pb.y) / 2.0 };
                            view! { <text class="link-cut-mark" x=mid.x y=mid.y + 5.0 text-anchor="middle">"✂"</text> }
                        })}
                    </g>
                }
            })
            .collect_view()
    };
    let messages = move || sim.view.with(|view| view.messages.clone());
    let message = move |m: MessageInfo| {
        let (from, to, sent_at, deliver_at, id) = (m.from, m.to, m.sent_at, m.deliver_at, m.id);
        let kind = m
            .kind
            .and_then(|k| kinds.get(usize::from(k)).map(|info| (k, info.reply)));
        let reply = kind.is_some_and(|(_, reply)| reply);
        let class = match kind {
            Some((k, reply)) => format!(
                "message kind-{}{}",
                usize::from(k) % KIND_COLOURS,
                if reply { " reply" } else { "" }
            ),
            None => "message".to_string(),
        };
        let at = move || {
            let rim = radii.with(|r| r.get(usize::from(from)).copied().unwrap_or(30.0));
            let (a, b) = (position(from), position(to));
            let p = message_position(a, b, rim, sent_at, deliver_at, sim.now.get());
            format!(
                "translate({:.1} {:.1}) rotate({:.0})",
                p.x,
                p.y,
                heading(a, b)
            )
        };
        let title = format!(
            "{} from n{from} to n{to} (sent t={sent_at}, due t={deliver_at}). Click or Enter: deliver now; Shift+click or Delete: drop.",
            m.label
        );
        let on_key = move |e: ev::KeyboardEvent| {
            let action = if activates(&e) {
                Action::Deliver(id)
            } else if matches!(e.key().as_str(), "Delete" | "Backspace") {
                Action::Drop(id)
            } else {
                return;
            };
            e.prevent_default();
            e.stop_propagation();
            sim.act(action);
        };
        let aria = title.clone();
        // A request is a filled dot, a reply a ring; the arrowhead points where it is going.
        view! {
            <g class=class tabindex="0" role="button" aria-label=aria on:keydown=on_key
                on:click=move |e: ev::MouseEvent| {
                sim.act(if e.shift_key() { Action::Drop(id) } else { Action::Deliver(id) })
            }>
                <title>{title}</title>
                <g transform=at>
                    <circle class="message-hit" r="12"></circle>
                    <path class="message-head" d="M15 0 L7 -5.5 L7 5.5 Z"></path>
                    <circle class="message-dot" r=if reply { "6" } else { "7.5" }></circle>
                </g>
            </g>
        }
    };
    let node_state = Memo::new(move |_| {
        sim.view.with(|view| {
            view.nodes
                .iter()
                .map(|n| {
                    let (role, emphasis, badge) = match &n.view {
                        Some(v) => (v.role.clone(), v.emphasis, v.badge.clone()),
                        None => ("down".to_string(), Emphasis::Peer, None),
                    };
                    (n.id, n.status, role, emphasis, badge)
                })
                .collect::<Vec<_>>()
        })
    });
    let nodes = move || {
        let f = frame.get();
        node_state.with(|nodes| {
            nodes
                .iter()
                .map(|(id, status, role, emphasis, badge)| {
                    let (id, status, emphasis) = (*id, *status, *emphasis);
                    let p = f.node_position(usize::from(id));
                    let lead = emphasis == Emphasis::Lead && status != Status::Down;
                    let client = emphasis == Emphasis::Client;
                    let r = f.radius_of(lead, client);
                    let role = role.clone();
                    // A role wider than the node (at 13 px, about 7 px a character) is
                    // squeezed to fit inside it.
                    let room = if client { 1.9 * r } else { 1.75 * r };
                    let squeeze = (role.chars().count() as f64 * 7.0 > room).then_some(room);
                    let select = move || sim.selected.set(Some(id));
                    let on_key = move |e: ev::KeyboardEvent| {
                        if activates(&e) {
                            e.prevent_default();
                            e.stop_propagation();
                            select();
                        }
                    };
                    let selected = move || sim.selected.get() == Some(id);
                    let label = format!(
                        "n{id} {role}{}, {}. Click or Enter selects it; then C crashes or restarts it, P pauses or resumes it.",
                        badge.as_ref().map(|b| format!(" {b}")).unwrap_or_default(),
                        status_word(status)
                    );
                    let aria = label.clone();
                    let class = format!("{} {}", status_class(status), emphasis_class(emphasis));
                    let shape = if client {
                        view! {
                            <rect class="node-shape" x=p.x - r y=p.y - r * 0.8 width=2.0 * r
                                height=1.6 * r rx="10"></rect>
                        }
                        .into_any()
                    } else {
                        view! { <circle class="node-shape" cx=p.x cy=p.y r=r></circle> }.into_any()
                    };
                    let badge = badge.clone().map(|b| {
                        // Bottom right, clear of the timer ring that starts at the top.
                        let (bx, by) = (p.x + r * 0.78, p.y + r * 0.78);
                        let w = 9.0 + 7.5 * b.chars().count() as f64;
                        view! {
                            <g class="node-badge" aria-hidden="true">
                                <rect x=bx - w / 2.0 y=by - 10.0 width=w height="20" rx="10"></rect>
                                // The leading space keeps the visible text ("n0 follower T1") equal to how the
                                // node's name begins.
                                <text x=bx y=by + 4.5 text-anchor="middle">{format!(" {b}")}</text>
                            </g>
                        }
                    });
                    view! {
                        <g class=class class:selected=selected on:click=move |_| select()
                            on:focus=move |_| select() on:keydown=on_key
                            tabindex="0" role="button" aria-label=aria
                            aria-pressed=move || if selected() { "true" } else { "false" }>
                            <title>{label}</title>
                            {lead.then(|| view! { <circle class="node-halo" cx=p.x cy=p.y r=r + 4.0></circle> })}
                            {shape}
                            // One text, so that what it reads ("n0 leader") is how its label starts.
                            <text text-anchor="middle">
                                <tspan class="node-id" x=p.x y=p.y - 2.0>{format!("n{id}")}</tspan>
                                " "
                                <tspan class="node-role" x=p.x y=p.y + 14.0
                                    textLength=squeeze.map(|w| format!("{w:.0}"))
                                    lengthAdjust=squeeze.map(|_| "spacingAndGlyphs")>{role}</tspan>
                            </text>
                            {badge}
                            {(status == Status::Down).then(|| view! {
                                <path class="node-cross" d=format!("M{} {} l24 24 m0 -24 l-24 24", p.x - 12.0, p.y - 12.0)></path>
                            })}
                            {(status == Status::Paused).then(|| view! {
                                <text class="node-pause" x=p.x - r * 0.72 y=p.y - r * 0.6>"❚❚"</text>
                            })}
                        </g>
                    }
                })
                .collect_view()
        })
    };
    // A ring around each live node drains as its next timer (a Raft follower's election
    // timeout, a leader's heartbeat) runs down.
    let timer_rings = move || {
        let now = sim.now.get();
        sim.view.with(|view| {
            view.nodes
                .iter()
                .filter(|n| n.status != Status::Down)
                .filter_map(|n| {
                    let t = n.timers.first()?;
                    let left = timer_remaining(t.armed_at, t.fires_at, now);
                    let rim = radii.with(|r| r.get(usize::from(n.id)).copied().unwrap_or(30.0));
                    let d = ring_arc(position(n.id), rim + 5.0, left);
                    let title = format!(
                        "n{}: {} fires at t={} ({:.0}% of its timeout left)",
                        n.id,
                        t.label,
                        t.fires_at,
                        left * 100.0
                    );
                    Some(view! { <path class="node-timer" d=d><title>{title}</title></path> })
                })
                .collect_view()
        })
    };
    view! {
        <svg class="sim-cluster" viewBox=move || { let f = frame.get(); format!("0 0 {} {}", f.width, f.height) } role="group"
            aria-label="The cluster: nodes, links and messages in flight" node_ref=svg
            on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up
            on:pointercancel=move |_| stroke.set(None)>
            <g class="links">{links}</g>
            <g class="messages">
                <For each=messages key=|m| (m.id, m.from, m.to, m.sent_at, m.deliver_at) children=message/>
            </g>
            <g class="timers" aria-hidden="true">{timer_rings}</g>
            <g class="nodes">{nodes}</g>
            {move || stroke_points().map(|points| view! { <polyline class="knife" points=points></polyline> })}
        </svg>
    }
}

/// A role without a short trailing name: `client A` → `client`, `leader us` → `leader`,
/// `order service` stays.
fn role_kind(role: &str) -> &str {
    match role.rsplit_once(' ') {
        Some((kind, name)) if name.chars().count() <= 3 => kind,
        _ => role,
    }
}

/// The CSS class of a role's emphasis.
fn emphasis_class(emphasis: Emphasis) -> &'static str {
    match emphasis {
        Emphasis::Lead => "lead",
        Emphasis::Contend => "contend",
        Emphasis::Peer => "peer",
        Emphasis::Client => "client",
    }
}

/// What the drawing's shapes and colours mean: the roles on screen and the protocol's message
/// kinds.
#[component]
fn Legend(sim: Sim, kinds: Vec<KindInfo>) -> impl IntoView {
    // Roles present, without a short trailing name ("client A" and "client B" are one entry,
    // "leader us" is a leader), in the order of emphasis.
    let roles = Memo::new(move |_| {
        sim.view.with(|view| {
            let mut roles: Vec<(Emphasis, String)> = Vec::new();
            for v in view.nodes.iter().filter_map(|n| n.view.as_ref()) {
                let word = role_kind(&v.role).to_string();
                if !roles.iter().any(|(_, w)| *w == word) {
                    roles.push((v.emphasis, word));
                }
            }
            roles.sort_by_key(|(e, _)| *e as u8);
            roles
        })
    });
    let role_items = move || {
        roles
            .get()
            .into_iter()
            .map(|(emphasis, word)| {
                let shape = if emphasis == Emphasis::Client {
                    view! { <rect x="1" y="3" width="16" height="12" rx="3"></rect> }.into_any()
                } else {
                    view! { <circle cx="9" cy="9" r="7"></circle> }.into_any()
                };
                view! {
                    <li class=format!("legend-role {}", emphasis_class(emphasis))>
                        <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">{shape}</svg>
                        {word}
                    </li>
                }
            })
            .collect_view()
    };
    let any_reply = kinds.iter().any(|k| k.reply);
    let kind_items = kinds
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let class = format!(
                "legend-kind kind-{}{}",
                i % KIND_COLOURS,
                if k.reply { " reply" } else { "" }
            );
            let title = format!(
                "{}: {}{}",
                k.name,
                k.meaning,
                if k.reply { " (a reply)" } else { "" }
            );
            view! {
                <li class=class title=title>
                    <svg width="18" height="18" viewBox="-9 -9 18 18" aria-hidden="true">
                        <circle class="message-dot" r=if k.reply { "5" } else { "6" }></circle>
                    </svg>
                    {k.name}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="sim-legend" aria-label="Legend">
            <ul class="legend-roles" aria-label="Roles">{role_items}</ul>
            <ul class="legend-kinds" aria-label="Messages">
                {kind_items}
                {any_reply.then(|| view! { <li class="legend-note muted">"● request · ○ reply · ▸ direction"</li> })}
            </ul>
        </div>
    }
}

/// Whether the page shows the dark theme (the chart's colours follow it).
fn dark_theme() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("data-theme"))
        .is_some_and(|t| t == "dark")
}

/// Messages sent, delivered and lost over the log window, drawn with plotters; redrawn only
/// when the counts change.
#[component]
fn Traffic(sim: Sim, dark: RwSignal<bool>) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let data = Memo::new(move |_| {
        sim.view.with(|v| {
            let t0 = v.spacetime.first().map_or(v.time, |e| e.t);
            chart::buckets(&v.spacetime, t0, v.time.max(t0))
        })
    });
    let summary = move || {
        data.with(|d| {
            let (s, r, l) = d.iter().fold((0, 0, 0), |(s, r, l), b| {
                (s + b.sent, r + b.delivered, l + b.lost)
            });
            format!("Over the log window: {s} sent, {r} delivered, {l} lost.")
        })
    };
    // Redrawn at most every CHART_REDRAW_MS while the counts keep changing (plotters measures
    // every label in the page's layout), always ending on the latest counts.
    let draw = move || {
        let (Some(Some(element)), Some(dark)) =
            (canvas.try_get_untracked(), dark.try_get_untracked())
        else {
            return;
        };
        data.try_with_untracked(|buckets| {
            #[cfg(target_arch = "wasm32")]
            {
                let _ = chart::draw(element, buckets, dark);
            }
            #[cfg(not(target_arch = "wasm32"))]
            let _ = (element, buckets, dark);
        });
    };
    throttled(
        CHART_REDRAW_MS,
        move || {
            data.track();
            dark.track();
            canvas.track();
        },
        || false,
        draw,
    );
    view! {
        <figure class="sim-chart">
            <figcaption class="muted">"Messages per time bucket over the log window " <span class="sr-only">{summary}</span></figcaption>
            <canvas node_ref=canvas width="640" height="190" role="img" aria-label=summary></canvas>
        </figure>
    }
}

/// The parameter sweep the scenario declares (see `engine::scenarios::sweep`), computed once
/// for the run's seed and drawn with plotters, with the numbers in a table beneath.
#[component]
fn SweepChart(sweep: engine::sim::panel::Sweep, dark: RwSignal<bool>) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let rows = chart::sweep_rows(&sweep);
    let names: Vec<String> = sweep.series.iter().map(|s| s.name.clone()).collect();
    let summary = format!(
        "{}: {}",
        sweep.title,
        rows.iter()
            .map(|(x, v)| format!(
                "{}: {}",
                x.checked_sub(1)
                    .and_then(|i| sweep.names.get(i as usize).cloned())
                    .unwrap_or_else(|| x.to_string()),
                v.iter()
                    .zip(&names)
                    .map(|(v, n)| format!("{v} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let drawn = sweep.clone();
    Effect::new(move |_| {
        let dark = dark.get();
        let Some(element) = canvas.get() else {
            return;
        };
        #[cfg(target_arch = "wasm32")]
        {
            let _ = chart::draw_sweep(element, &drawn, dark);
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (element, &drawn, dark);
    });
    let x_label = sweep.x_label.clone();
    let current = sweep.current;
    view! {
        <figure class="sim-chart sim-sweep">
            <figcaption><strong>{sweep.title.clone()}</strong> " " <span class="muted">{sweep.legend.clone()}</span></figcaption>
            <canvas node_ref=canvas width="640" height="220" role="img" aria-label=summary></canvas>
            <details class="sweep-table">
                <summary>"The numbers"</summary>
                <table>
                    <thead><tr><th>{x_label}</th>{names.iter().map(|n| view! { <th>{n.clone()}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {rows.into_iter().map(|(x, values)| view! {
                            <tr class:current=x == current>
                                <th>{x.checked_sub(1)
                                    .and_then(|i| sweep.names.get(i as usize).cloned())
                                    .unwrap_or_else(|| x.to_string())}</th>
                                {values.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// A signal that follows the page's theme (`html[data-theme]`), so charts redraw at once
/// when the reader toggles it.
fn theme_signal() -> RwSignal<bool> {
    let dark = RwSignal::new(dark_theme());
    #[cfg(target_arch = "wasm32")]
    {
        use leptos::wasm_bindgen::closure::Closure;
        use leptos::wasm_bindgen::JsCast;
        let changed = Closure::<dyn FnMut()>::new(move || dark.set(dark_theme()));
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if let (Some(root), Ok(observer)) = (
            root,
            web_sys::MutationObserver::new(changed.as_ref().unchecked_ref()),
        ) {
            let options = web_sys::MutationObserverInit::new();
            options.set_attributes(true);
            options.set_attribute_filter(&js_sys::Array::of1(&"data-theme".into()));
            let _ = observer.observe_with_options(&root, &options);
            // The observer and its callback live until the view is unmounted.
            let held = StoredValue::new_local(Some((observer, changed)));
            on_cleanup(move || {
                held.update_value(|h| {
                    if let Some((observer, _)) = h.take() {
                        observer.disconnect();
                    }
                })
            });
        }
    }
    dark
}

/// The protocol's panels (see `engine::sim::panel`), drawn as markup by [`panels::markup`]:
/// redrawn only when the panels change, not on every animation frame.
#[component]
fn Panels(sim: Sim) -> impl IntoView {
    let data = Memo::new(move |_| sim.view.with(|v| v.panels.clone()));
    // The consistency model whose violating operations a history panel marks.
    let model = RwSignal::new(None::<String>);
    let target = |e: &ev::Event, selector: &str| {
        e.target()
            .and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .and_then(|el| el.closest(selector).ok().flatten())
    };
    // A history bar goes to the step that invoked it; a verdict chip marks its operations.
    let activate = move |e: &ev::Event| -> bool {
        if let Some(bar) = target(e, "[data-step]") {
            if let Some(step) = bar.get_attribute("data-step").and_then(|s| s.parse().ok()) {
                sim.step(Command::Seek(step));
                return true;
            }
        }
        if let Some(chip) = target(e, "[data-model]") {
            model.set(chip.get_attribute("data-model"));
            return true;
        }
        false
    };
    let on_click = move |e: ev::MouseEvent| {
        activate(&e);
    };
    let on_key = move |e: ev::KeyboardEvent| {
        let is_bar = target(&e, "[data-step]").is_some();
        if is_bar && activates(&e) && activate(&e) {
            e.prevent_default();
            e.stop_propagation();
        }
    };
    // A history wider than the page shows its latest operations: the ones a run just made,
    // or the one a click just went to (a seek ends the history there).
    let host = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        data.track();
        model.track();
        let Some(el) = host.get() else { return };
        let el: &web_sys::Element = &el;
        if let Ok(Some(scroll)) = el.query_selector(".history-scroll") {
            scroll.set_scroll_left(scroll.scroll_width());
        }
    });
    view! {
        <div class="sim-panels" node_ref=host on:click=on_click on:keydown=on_key
            inner_html=move || {
                let asked = model.get();
                data.with(|p| panels::markup(p, asked.as_deref()))
            }></div>
    }
}

/// The protocol's live options (see `engine::sim::protocol::ProtocolOption`) as choices: a
/// change is an action at the current step, so the run from here on uses it, the event log
/// shows it and a shared link carries it.
#[component]
fn Options(sim: Sim, options: Vec<engine::scenarios::OptionInfo>) -> impl IntoView {
    let current = Memo::new(move |_| sim.view.with(|v| v.options.clone()));
    let choice_of = move |name: &str| {
        current.with(|c| {
            c.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
    };
    options
        .into_iter()
        .map(|o| {
            let name = o.name.clone();
            let for_value = name.clone();
            let choices = o
                .choices
                .iter()
                .map(|c| view! { <option value=c.clone()>{c.clone()}</option> })
                .collect_view();
            view! {
                <label class="sim-option" title=o.help.clone()>
                    <span>{o.label.clone()}</span>
                    <select aria-label=o.label.clone() prop:value=move || choice_of(&for_value)
                        on:change=move |e| sim.act(Action::Set(name.clone(), event_target_value(&e)))>
                        {choices}
                    </select>
                </label>
            }
        })
        .collect_view()
}

#[component]
fn Inspector(sim: Sim) -> impl IntoView {
    let body = move || {
        sim.secondary.track();
        let view = sim.view.get_untracked();
        let selected = sim
            .selected
            .get()
            .or_else(|| view.nodes.first().map(|n| n.id));
        let node = selected
            .and_then(|id| view.nodes.iter().find(|n| n.id == id))
            .cloned();
        let properties = view
            .properties
            .iter()
            .map(|p| {
                let (class, mark) = if p.violated { ("property violated", "✗ violated") } else { ("property held", "✓ holds") };
                view! { <li class=class><span class="mark">{mark}</span> " " <code>{p.name.clone()}</code></li> }
            })
            .collect_view();
        let node_panel = node.map(|node| {
            let id = node.id;
            let fields = node
                .view
                .map(|v| {
                    v.fields
                        .into_iter()
                        .map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> })
                        .collect_view()
                        .into_any()
                })
                .unwrap_or_else(|| view! { <dt>"state"</dt><dd>"lost (crashed)"</dd> }.into_any());
            let timers = node
                .timers
                .iter()
                .map(|t| format!("{} @ t={}", t.label, t.fires_at))
                .collect::<Vec<_>>()
                .join(", ");
            let status = node.status;
            let actions = view! {
                <div class="node-actions" role="group" aria-label=format!("Faults for n{id}")>
                    {
                        let verb = match status { Status::Up => "Crash", Status::Down => "Restart", Status::Paused => "Resume" };
                        view! {
                            <button type="button" class="button" title="Keyboard: C" aria-label=format!("{verb} n{id}")
                                on:click=move |_| sim.crash_or_restart_selected()>{verb}</button>
                        }
                    }
                    {(status != Status::Down).then(|| {
                        let verb = if status == Status::Paused { "Resume" } else { "Pause" };
                        view! {
                            <button type="button" class="button" title="Keyboard: P" aria-label=format!("{verb} n{id}")
                                on:click=move |_| sim.pause_or_resume_selected()>{verb}</button>
                        }
                    })}
                </div>
            };
            view! {
                <h4>{format!("Node n{id}")} <span class="muted">{format!(" · {}", status_word(status))}</span></h4>
                {actions}
                <dl class="fields">
                    {fields}
                    <dt>"local clock"</dt><dd>{node.local_time}</dd>
                    <dt>"timers"</dt><dd>{if timers.is_empty() { "none".to_string() } else { timers }}</dd>
                </dl>
            }
        });
        view! {
            {node_panel}
            <h4>"Properties"</h4>
            <ul class="properties">{properties}</ul>
        }
    };
    // Forms for the selected node: rebuilt when the selection changes, not on every frame, so
    // typing is never interrupted by a running simulation.
    let controls = move || {
        let id = sim
            .selected
            .get()
            .or_else(|| sim.view.with_untracked(|v| v.nodes.first().map(|n| n.id)))?;
        let (skew0, drift0, example) = sim.view.with_untracked(|v| {
            let node = v.nodes.iter().find(|n| n.id == id);
            (
                node.map_or(0, |n| n.skew_ticks),
                node.map_or(0, |n| n.drift_ppm),
                v.example_request.clone(),
            )
        });
        let skew = RwSignal::new(skew0.to_string());
        let drift = RwSignal::new(drift0.to_string());
        let set_clock = move |ev: ev::SubmitEvent| {
            ev.prevent_default();
            match (
                skew.get_untracked().trim().parse(),
                drift.get_untracked().trim().parse(),
            ) {
                (Ok(s), Ok(d)) => sim.act(Action::Clock(id, s, d)),
                _ => sim.notice.set(Some(
                    "Skew and drift are whole numbers (ticks and parts per million).".into(),
                )),
            }
        };
        let request_form = example.map(|example| {
            let text = RwSignal::new(String::new());
            let send = move |ev: ev::SubmitEvent| {
                ev.prevent_default();
                let request = text.get_untracked().trim().to_string();
                if !request.is_empty() {
                    sim.act(Action::Request(id, request));
                }
            };
            view! {
                <form class="node-form" on:submit=send>
                    <label>{format!("Client request to n{id}")}
                        <input type="text" placeholder=format!("e.g. {example}") prop:value=move || text.get()
                            on:input=move |e| text.set(event_target_value(&e))/>
                    </label>
                    <button type="submit" class="button">"Send"</button>
                </form>
            }
        });
        Some(view! {
            {request_form}
            <form class="node-form clock-form" on:submit=set_clock aria-label=format!("Clock of n{id}")>
                <label>"Skew (ticks)"<input type="number" step="1" prop:value=move || skew.get() on:input=move |e| skew.set(event_target_value(&e))/></label>
                <label>"Drift (ppm)"<input type="number" step="1000" prop:value=move || drift.get() on:input=move |e| drift.set(event_target_value(&e))/></label>
                <button type="submit" class="button">"Set clock"</button>
            </form>
        })
    };
    view! { <aside class="sim-inspector" aria-label="Node state and properties">{body}{controls}</aside> }
}

#[component]
fn Network(sim: Sim) -> impl IntoView {
    let link = Memo::new(move |_| sim.view.with(|v| v.links.first().map(|l| l.config)));
    // Room to double the scenario's own latency (a slow-link scenario starts above 200).
    let latency_cap = sim.view.with_untracked(|v| {
        v.links
            .first()
            .map_or(200, |l| (l.config.latency_max_ticks * 2).max(200))
    });
    let link = move || link.get();
    let slider = move |name: &'static str,
                       label: &'static str,
                       max: u64,
                       unit: &'static str,
                       read: fn(&engine::sim::world::LinkCfg) -> u64| {
        let value = move || link().map_or(0, |c| read(&c));
        view! {
            <label class="sim-param">
                <span>{label} ": " <strong>{move || format_param(value(), unit)}</strong></span>
                <input type="range" min="0" max=max.to_string() prop:value=move || value().to_string()
                    on:change=move |e| {
                        if let Ok(v) = event_target_value(&e).parse() {
                            sim.command(Command::SetParam { name: name.to_string(), value: v });
                        }
                    }/>
            </label>
        }
    };
    view! {
        <div class="sim-network" role="group" aria-label="Network faults">
            {slider("loss_ppm", "Loss", 500_000, "ppm", |c| u64::from(c.loss_ppm))}
            {slider("dup_ppm", "Duplication", 300_000, "ppm", |c| u64::from(c.dup_ppm))}
            {slider("latency_max_ticks", "Max latency", latency_cap, "ticks", |c| c.latency_max_ticks)}
            <button type="button" class="button" on:click=move |_| sim.act(Action::HealAll)
                title="Heal links, restart crashed nodes, resume paused ones, calm the network">"Heal everything"</button>
        </div>
    }
}

fn format_param(value: u64, unit: &str) -> String {
    if unit == "ppm" {
        format!("{}%", value as f64 / 10_000.0)
    } else {
        format!("{value} {unit}")
    }
}

#[component]
fn EventLog(sim: Sim) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    // The message line picked for "crash just before / just after": its place in the whole
    // trace, its text and where it happened.
    let picked = RwSignal::new(None::<(usize, String, TraceMark)>);
    // Lines are keyed by their place in the whole trace, so a frame adds the new lines and
    // drops the old ones instead of redrawing the window. The newest line is the current step
    // (marked by CSS as the list's last line when no filter hides lines).
    let lines = move || {
        let needle = filter.get().to_ascii_lowercase();
        sim.view.with(|v| {
            v.trace
                .iter()
                .zip(&v.trace_marks)
                .enumerate()
                .filter(|(_, (line, _))| {
                    needle.is_empty() || line.to_ascii_lowercase().contains(&needle)
                })
                .map(|(i, (line, mark))| (v.trace_start + i, line.clone(), *mark))
                .collect::<Vec<_>>()
        })
    };
    let pickable = |mark: &TraceMark| mark.message && mark.node.is_some();
    let line = move |(i, text, mark): (usize, String, TraceMark)| {
        let can = pickable(&mark);
        let title = text.clone();
        view! {
            <li class="log-line" class:pickable=can
                class:picked=move || picked.with(|p| p.as_ref().is_some_and(|p| p.0 == i))
                title=can.then_some("Click to crash this node just before or just after this message")
                on:click=move |_| if can { picked.set(Some((i, title.clone(), mark))) }>
                {text}
            </li>
        }
    };
    // With the log focused, the arrow keys pick the previous or next message line.
    let on_key = move |e: ev::KeyboardEvent| {
        let up = match e.key().as_str() {
            "ArrowUp" => true,
            "ArrowDown" => false,
            "Escape" => {
                picked.set(None);
                return;
            }
            _ => return,
        };
        let all = lines();
        let here = picked.with_untracked(|p| p.as_ref().map(|p| p.0));
        let mut candidates = all.into_iter().filter(|(_, _, m)| pickable(m));
        let next = match (here, up) {
            (None, _) => candidates.next_back(),
            (Some(h), true) => candidates.rfind(|(i, ..)| *i < h),
            (Some(h), false) => candidates.find(|(i, ..)| *i > h),
        };
        if let Some(n) = next {
            e.prevent_default();
            picked.set(Some(n));
        }
    };
    let crash = move |after: bool| {
        let Some((_, _, mark)) = picked.get_untracked() else {
            return;
        };
        let Some(node) = mark.node else { return };
        sim.step(Command::Seek(mark.step + u64::from(after)));
        sim.act(Action::Crash(node));
        sim.selected.set(Some(node));
        picked.set(None);
    };
    let toolbar = move || {
        picked.get().map(|(_, text, mark)| {
            let n = mark.node.unwrap_or_default();
            view! {
                <div class="log-pick" role="group" aria-label="Crash at this message">
                    <span class="log-pick-line">{text}</span>
                    <button type="button" class="button" on:click=move |_| crash(false)>
                        {format!("Crash n{n} just before")}
                    </button>
                    <button type="button" class="button" on:click=move |_| crash(true)>
                        {format!("Crash n{n} just after")}
                    </button>
                    <button type="button" class="button quiet" aria-label="Close"
                        on:click=move |_| picked.set(None)>"×"</button>
                </div>
            }
        })
    };
    view! {
        <section class="sim-log" aria-label="Event log">
            <div class="sim-log-header">
                <h4>"Event log"</h4>
                <input type="search" placeholder="Filter: n1, send, crash…" aria-label="Filter the event log"
                    on:input=move |e| filter.set(event_target_value(&e))/>
            </div>
            <p class="muted log-hint">"Click a send or recv line (or focus the log and use ↑ ↓) to crash its node just before or just after that message."</p>
            {toolbar}
            // A column-reverse scroller starts, and stays, at its end: the newest line is in
            // view without reading the layout on every frame.
            // Focusable, so that a keyboard can scroll it.
            <div class="log-scroller" tabindex="0" role="region" aria-label="Event log lines"
                on:keydown=on_key>
                <ol class="log" class:filtered=move || filter.with(|f| !f.trim().is_empty())>
                    <For each=lines key=|(i, text, _)| (*i, text.clone()) children=line/>
                </ol>
            </div>
        </section>
    }
}

/// A simulation opened from a shared link (`#/sim/<step>/<token>`). A token that does not
/// decode opens the first scenario's default run with a message saying why.
#[component]
pub fn SharedSim(
    /// The run token from the URL.
    token: String,
    /// The step the link was shared at.
    step: u64,
) -> impl IntoView {
    // A link that does not open is corrected to the run it most likely meant (at its step),
    // else replaced by the first scenario's default run (from its start).
    let (spec, problem, start_step) = match engine::scenarios::spec_from_token(&token) {
        Ok(spec) => (spec, None, step),
        Err(err) => match engine::scenarios::corrected_spec(&token) {
            Some(spec) => {
                let asked = token.split('~').nth(1).unwrap_or_default();
                let problem = format!(
                    "This link names the simulation “{asked}” ({err}); it most likely means “{}”, so that is the run shown.",
                    spec.scenario
                );
                (spec, Some(problem), step)
            }
            None => {
                let first = engine::scenarios::scenario_ids()
                    .first()
                    .copied()
                    .unwrap_or("retry-lossy");
                let spec = engine::scenarios::default_spec(first, 1)
                    .expect("the first scenario has a default run");
                (spec, Some(format!("This link's run could not be opened ({err}). Showing the default run of “{first}” instead.")), 0)
            }
        },
    };
    view! {
        {problem.map(|p| view! { <div class="notice notice-warning" role="alert"><p>{p}</p></div> })}
        <SimView spec=spec start_step=start_step/>
    }
}
