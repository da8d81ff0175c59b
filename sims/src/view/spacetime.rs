//! The space-time (Lamport) diagram: one vertical line per node, time running down, an arrow
//! per message from its send to its receipt. It draws the same trace window as the event log,
//! so it follows the timeline. Clicking an event shows its causal past and future
//! (happened-before, Lamport 1978); events in neither are concurrent with it.

use engine::sim::session::{SpacetimeEvent, SpacetimeKind, WorldView};
use leptos::prelude::*;

use super::panels::escape;

/// Width of the diagram's viewBox.
const WIDTH: f64 = 640.0;
/// Height of the diagram's viewBox.
const HEIGHT: f64 = 300.0;
/// Space above and below the first and last events.
const MARGIN: f64 = 24.0;

/// The x of node `node`'s line among `count` nodes.
pub fn lane_x(node: u16, count: usize) -> f64 {
    let count = count.max(1) as f64;
    WIDTH * (f64::from(node) + 0.5) / count
}

/// The y of time `t` when the window spans `t0..=t1`.
pub fn time_y(t: u64, t0: u64, t1: u64) -> f64 {
    let span = t1.saturating_sub(t0).max(1) as f64;
    MARGIN + (HEIGHT - 2.0 * MARGIN) * (t.saturating_sub(t0) as f64 / span)
}

/// Adds event `j` and everything before it to `set`.
fn absorb(j: usize, set: &mut [u64], past: &[Vec<u64>]) {
    for (w, bits) in set.iter_mut().zip(&past[j]) {
        *w |= bits;
    }
    set[j / 64] |= 1 << (j % 64);
}

/// For each event of the window, the indices of the events (in the window) that happened
/// before it: program order on its node, plus send → receive, closed under transitivity.
pub fn causal_past(events: &[SpacetimeEvent]) -> Vec<Vec<usize>> {
    let words = events.len().div_ceil(64);
    let mut past: Vec<Vec<u64>> = Vec::with_capacity(events.len());
    let mut last_on: std::collections::BTreeMap<u16, usize> = Default::default();
    let mut sent: std::collections::BTreeMap<u64, usize> = Default::default();
    for (i, event) in events.iter().enumerate() {
        let mut set = vec![0u64; words];
        if let Some(&previous) = last_on.get(&event.node) {
            absorb(previous, &mut set, &past);
        }
        match event.kind {
            SpacetimeKind::Recv { id, .. } => {
                if let Some(&send) = sent.get(&id) {
                    absorb(send, &mut set, &past);
                }
            }
            SpacetimeKind::Send { id, .. } => {
                sent.insert(id, i);
            }
            _ => {}
        }
        past.push(set);
        last_on.insert(event.node, i);
    }
    past.iter()
        .map(|set| {
            (0..events.len())
                .filter(|&j| set[j / 64] & (1 << (j % 64)) != 0)
                .collect()
        })
        .collect()
}

/// The diagram of `events` among `count` nodes as SVG markup, with event `chosen` (an index
/// into `events`) and its causal past and future marked. Drawn as one string, so a frame of a
/// running simulation costs one parse instead of hundreds of DOM calls; each event carries
/// `data-i`, its index, for the click handler.
pub fn markup(events: &[SpacetimeEvent], count: usize, chosen: Option<usize>) -> String {
    use std::fmt::Write;
    let (t0, t1) = (
        events.first().map_or(0, |e| e.t),
        events.last().map_or(0, |e| e.t),
    );
    let past = chosen.map(|_| causal_past(events));
    let relation = |i: usize| match (chosen, &past) {
        (Some(c), _) if c == i => "st-event chosen",
        (Some(c), Some(past)) if past[c].contains(&i) => "st-event past",
        (Some(c), Some(past)) if past[i].contains(&c) => "st-event future",
        (Some(_), _) => "st-event concurrent",
        (None, _) => "st-event",
    };
    let mut out = String::from(
        r#"<defs><marker id="st-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="st-arrowhead"></path></marker></defs>"#,
    );
    for n in 0..count as u16 {
        let x = lane_x(n, count);
        let _ = write!(
            out,
            r#"<line class="st-lane" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"></line><text class="st-lane-label" x="{x:.1}" y="12" text-anchor="middle">n{n}</text>"#,
            MARGIN / 2.0,
            HEIGHT - MARGIN / 3.0
        );
    }
    let mut sends: std::collections::HashMap<(u64, u16), &SpacetimeEvent> = Default::default();
    for e in events {
        if let SpacetimeKind::Send { id, .. } = e.kind {
            sends.insert((id, e.node), e);
        }
    }
    for e in events {
        if let SpacetimeKind::Recv { from, id } = e.kind {
            if let Some(send) = sends.get(&(id, from)) {
                let _ = write!(
                    out,
                    r#"<line class="st-message" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" marker-end="url(#st-arrow)"></line>"#,
                    lane_x(send.node, count),
                    time_y(send.t, t0, t1),
                    lane_x(e.node, count),
                    time_y(e.t, t0, t1)
                );
            }
        }
    }
    for (i, e) in events.iter().enumerate() {
        let (shape, r) = match e.kind {
            SpacetimeKind::Drop { .. } => ("st-drop", 5.0),
            SpacetimeKind::Local => ("st-local", 3.5),
            _ => ("st-msg", 5.0),
        };
        let _ = write!(
            out,
            r#"<circle class="{} {shape}" data-i="{i}" cx="{:.1}" cy="{:.1}" r="{r}"><title>{}</title></circle>"#,
            relation(i),
            lane_x(e.node, count),
            time_y(e.t, t0, t1),
            escape(&e.line)
        );
    }
    out
}

/// How a chosen event is remembered across frames (the window slides, so not by index).
type EventKey = (u64, u16, String);

fn key_of(e: &SpacetimeEvent) -> EventKey {
    (e.t, e.node, e.line.clone())
}

/// Where the event `key` names sits in `events`, if it is still in the window.
fn index_of(events: &[SpacetimeEvent], key: &EventKey) -> Option<usize> {
    events
        .iter()
        .position(|e| e.t == key.0 && e.node == key.1 && e.line == key.2)
}

/// The diagram for the current view.
#[component]
pub fn SpaceTime(
    /// The world being drawn.
    view: RwSignal<WorldView>,
    /// Fires when the diagram should follow `view` (throttled while the run plays).
    redraw: Trigger,
) -> impl IntoView {
    let selected = RwSignal::new(None::<EventKey>);
    let body = move || {
        let chosen = selected.get();
        redraw.track();
        view.with_untracked(|v| {
            let chosen = chosen.and_then(|key| index_of(&v.spacetime, &key));
            markup(&v.spacetime, v.nodes.len(), chosen)
        })
    };
    let on_click = move |e: leptos::ev::MouseEvent| {
        use leptos::wasm_bindgen::JsCast;
        let index = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-i]").ok().flatten())
            .and_then(|el| el.get_attribute("data-i"))
            .and_then(|i| i.parse::<usize>().ok());
        let Some(key) = index.and_then(|i| view.with_untracked(|v| v.spacetime.get(i).map(key_of)))
        else {
            return;
        };
        selected.update(|s| {
            *s = if s.as_ref() == Some(&key) {
                None
            } else {
                Some(key)
            }
        });
    };
    // Keyboard: arrows move the chosen event through the window in trace order, Home and End
    // jump to its ends, Escape clears the choice.
    let on_key = move |e: leptos::ev::KeyboardEvent| {
        let key = e.key();
        if key == "Escape" {
            selected.set(None);
            e.prevent_default();
            e.stop_propagation();
            return;
        }
        let next = view.with_untracked(|v| {
            let events = &v.spacetime;
            let last = events.len().checked_sub(1)?;
            let current =
                selected.with_untracked(|s| s.as_ref().and_then(|key| index_of(events, key)));
            let index = match (key.as_str(), current) {
                ("ArrowUp" | "ArrowLeft", Some(i)) => i.saturating_sub(1),
                ("ArrowDown" | "ArrowRight", Some(i)) => (i + 1).min(last),
                ("ArrowUp" | "ArrowLeft" | "ArrowDown" | "ArrowRight" | "End", None)
                | ("End", _) => last,
                ("Home", _) => 0,
                _ => return None,
            };
            events.get(index).map(key_of)
        });
        if let Some(key) = next {
            selected.set(Some(key));
            e.prevent_default();
            e.stop_propagation();
        }
    };
    let legend = move || {
        selected.get().map_or("Click an event (or focus the diagram and use the arrow keys) to see what happened before it, after it, and what is concurrent with it.".to_string(), |(_, _, line)| {
            format!("{line} — blue: happened before it; green: happened after it; faded: concurrent.")
        })
    };
    view! {
        <section class="sim-spacetime" aria-label="Space-time diagram">
            <h4>"Space-time diagram"</h4>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" on:click=on_click
                tabindex="0" on:keydown=on_key
                aria-label="Space-time diagram: one line per node, time downwards, arrows for messages. Arrow keys choose an event, Escape clears."
                inner_html=body>
            </svg>
            <p class="muted st-legend" aria-live="polite">{legend}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(t: u64, node: u16, kind: SpacetimeKind) -> SpacetimeEvent {
        SpacetimeEvent {
            t,
            node,
            kind,
            line: format!("t={t} n{node}"),
        }
    }

    #[test]
    fn causal_past_follows_program_order_and_messages_transitively() {
        let events = [
            event(1, 0, SpacetimeKind::Send { to: 1, id: 7 }),
            event(2, 1, SpacetimeKind::Local),
            event(3, 1, SpacetimeKind::Recv { from: 0, id: 7 }),
            event(4, 2, SpacetimeKind::Local),
            event(5, 1, SpacetimeKind::Send { to: 2, id: 8 }),
            event(6, 2, SpacetimeKind::Recv { from: 1, id: 8 }),
        ];
        let past = causal_past(&events);
        assert_eq!(past[0], Vec::<usize>::new());
        assert_eq!(
            past[2],
            vec![0, 1],
            "a receive follows its send and its node's earlier events"
        );
        assert_eq!(past[5], vec![0, 1, 2, 3, 4], "transitively through n1");
        assert!(
            !past[3].contains(&0) && !past[0].contains(&3),
            "n2's first step is concurrent with n0's send"
        );
    }

    #[test]
    fn a_receive_whose_send_left_the_window_only_follows_its_node() {
        let events = [
            event(5, 1, SpacetimeKind::Local),
            event(6, 1, SpacetimeKind::Recv { from: 0, id: 3 }),
        ];
        assert_eq!(causal_past(&events)[1], vec![0]);
    }

    #[test]
    fn the_markup_marks_the_chosen_events_past_future_and_concurrent_events() {
        let events = [
            event(1, 0, SpacetimeKind::Send { to: 1, id: 7 }),
            event(2, 2, SpacetimeKind::Local),
            event(3, 1, SpacetimeKind::Recv { from: 0, id: 7 }),
            event(4, 1, SpacetimeKind::Local),
        ];
        let plain = markup(&events, 3, None);
        assert_eq!(plain.matches("<circle").count(), 4);
        assert_eq!(
            plain.matches("class=\"st-message\"").count(),
            1,
            "one arrow, send to receive"
        );
        assert_eq!(plain.matches("st-lane-label").count(), 3);
        assert!(!plain.contains("chosen"));
        let chosen = markup(&events, 3, Some(2));
        assert!(
            chosen.contains(r#"class="st-event past st-msg" data-i="0""#),
            "{chosen}"
        );
        assert!(chosen.contains(r#"class="st-event concurrent st-local" data-i="1""#));
        assert!(chosen.contains(r#"class="st-event chosen st-msg" data-i="2""#));
        assert!(chosen.contains(r#"class="st-event future st-local" data-i="3""#));
        let hostile = [SpacetimeEvent {
            t: 1,
            node: 0,
            kind: SpacetimeKind::Local,
            line: "<script>\"&".into(),
        }];
        assert!(markup(&hostile, 1, None).contains("<title>&lt;script&gt;&quot;&amp;</title>"));
    }

    #[test]
    fn lanes_and_times_fit_the_drawing() {
        assert_eq!(lane_x(0, 2), WIDTH / 4.0);
        assert_eq!(lane_x(1, 2), 3.0 * WIDTH / 4.0);
        assert_eq!(time_y(10, 10, 20), MARGIN);
        assert_eq!(time_y(20, 10, 20), HEIGHT - MARGIN);
        assert_eq!(
            time_y(7, 7, 7),
            MARGIN,
            "a window of one instant does not divide by zero"
        );
    }
}
