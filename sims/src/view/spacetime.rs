//! The space-time (Lamport) diagram: one vertical line per node, time running down, an arrow
//! per message from its send to its receipt. It draws the same trace window as the event log,
//! so it follows the timeline. Clicking an event shows its causal past and future
//! (happened-before, Lamport 1978); events in neither are concurrent with it.

use engine::sim::session::{SpacetimeEvent, SpacetimeKind, WorldView};
use leptos::prelude::*;

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

/// The diagram for the current view.
#[component]
pub fn SpaceTime(
    /// The world being drawn.
    view: RwSignal<WorldView>,
) -> impl IntoView {
    let selected = RwSignal::new(None::<(u64, u16, String)>);
    let body = move || {
        view.with(|v| {
            let events = &v.spacetime;
            let count = v.nodes.len();
            let (t0, t1) = (events.first().map_or(0, |e| e.t), events.last().map_or(0, |e| e.t));
            let past = causal_past(events);
            let chosen = selected
                .get()
                .and_then(|(t, node, line)| events.iter().position(|e| e.t == t && e.node == node && e.line == line));
            let relation = |i: usize| match chosen {
                None => "st-event",
                Some(c) if c == i => "st-event chosen",
                Some(c) if past[c].contains(&i) => "st-event past",
                Some(c) if past[i].contains(&c) => "st-event future",
                Some(_) => "st-event concurrent",
            };
            let lanes = (0..count as u16)
                .map(|n| {
                    let x = lane_x(n, count);
                    view! {
                        <line class="st-lane" x1=x y1=MARGIN / 2.0 x2=x y2=HEIGHT - MARGIN / 3.0></line>
                        <text class="st-lane-label" x=x y=12.0 text-anchor="middle">{format!("n{n}")}</text>
                    }
                })
                .collect_view();
            let arrows = events
                .iter()
                .filter_map(|e| match e.kind {
                    SpacetimeKind::Recv { from, id } => {
                        let send = events.iter().find(|s| matches!(s.kind, SpacetimeKind::Send { id: sid, .. } if sid == id) && s.node == from)?;
                        Some(view! {
                            <line class="st-message" x1=lane_x(send.node, count) y1=time_y(send.t, t0, t1)
                                x2=lane_x(e.node, count) y2=time_y(e.t, t0, t1) marker-end="url(#st-arrow)"></line>
                        })
                    }
                    _ => None,
                })
                .collect_view();
            let dots = events
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let key = (e.t, e.node, e.line.clone());
                    let shape = match e.kind {
                        SpacetimeKind::Drop { .. } => "st-drop",
                        SpacetimeKind::Local => "st-local",
                        _ => "st-msg",
                    };
                    view! {
                        <circle class=format!("{} {shape}", relation(i)) cx=lane_x(e.node, count) cy=time_y(e.t, t0, t1)
                            r=if shape == "st-local" { 3.5 } else { 5.0 }
                            on:click=move |_| selected.update(|s| *s = if s.as_ref() == Some(&key) { None } else { Some(key.clone()) })>
                            <title>{e.line.clone()}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <defs>
                    <marker id="st-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" class="st-arrowhead"></path>
                    </marker>
                </defs>
                {lanes}
                {arrows}
                {dots}
            }
        })
    };
    let legend = move || {
        selected.get().map_or("Click an event to see what happened before it, after it, and what is concurrent with it.".to_string(), |(_, _, line)| {
            format!("{line} — blue: happened before it; green: happened after it; faded: concurrent.")
        })
    };
    view! {
        <section class="sim-spacetime" aria-label="Space-time diagram">
            <h4>"Space-time diagram"</h4>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
                aria-label="Space-time diagram: one line per node, time downwards, arrows for messages">
                {body}
            </svg>
            <p class="muted st-legend">{legend}</p>
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
