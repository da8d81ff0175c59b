//! Where things are drawn: pure functions of the world view, tested natively.

/// The SVG viewBox width of the cluster drawing.
pub const VIEW_WIDTH: f64 = 640.0;
/// The SVG viewBox height of the cluster drawing.
pub const VIEW_HEIGHT: f64 = 360.0;
/// A node's radius.
pub const NODE_RADIUS: f64 = 30.0;

/// A point in the drawing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Horizontal, from the left.
    pub x: f64,
    /// Vertical, from the top.
    pub y: f64,
}

/// Node `index` of `count`, evenly spaced on a circle, the first at the top. Two nodes sit side
/// by side; one sits in the middle.
pub fn node_position(index: usize, count: usize) -> Point {
    let center = Point {
        x: VIEW_WIDTH / 2.0,
        y: VIEW_HEIGHT / 2.0,
    };
    if count <= 1 {
        return center;
    }
    if count == 2 {
        let dx = VIEW_WIDTH / 4.0;
        return Point {
            x: center.x + if index == 0 { -dx } else { dx },
            y: center.y,
        };
    }
    let radius = VIEW_HEIGHT / 2.0 - NODE_RADIUS - 14.0;
    let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * index as f64 / count as f64;
    Point {
        x: center.x + radius * 1.35 * angle.cos(),
        y: center.y + radius * angle.sin(),
    }
}

/// The SVG path of a ring segment around a node: from the top, clockwise, covering `fraction`
/// (0 to 1) of the circle of `radius` around `center`. Empty for a zero fraction.
pub fn ring_arc(center: Point, radius: f64, fraction: f64) -> String {
    let fraction = fraction.clamp(0.0, 1.0);
    if fraction <= 0.0 {
        return String::new();
    }
    // A full circle cannot be one arc command: stop just short of it.
    let angle = std::f64::consts::TAU * fraction.min(0.9999);
    let start = Point {
        x: center.x,
        y: center.y - radius,
    };
    let end = Point {
        x: center.x + radius * angle.sin(),
        y: center.y - radius * angle.cos(),
    };
    let large = u8::from(fraction > 0.5);
    format!(
        "M{:.2} {:.2} A{radius:.2} {radius:.2} 0 {large} 1 {:.2} {:.2}",
        start.x, start.y, end.x, end.y
    )
}

/// The fraction of a timer armed at `armed_at` and firing at `fires_at` still to run at `now`.
pub fn timer_remaining(armed_at: u64, fires_at: u64, now: f64) -> f64 {
    let span = fires_at.saturating_sub(armed_at).max(1) as f64;
    ((fires_at as f64 - now) / span).clamp(0.0, 1.0)
}

/// Where a message sent at `sent_at` and due at `deliver_at` is at time `now`: on the segment
/// between the two nodes' rims, offset sideways so the two directions of a link do not overlap.
pub fn message_position(from: Point, to: Point, sent_at: u64, deliver_at: u64, now: f64) -> Point {
    let span = deliver_at.saturating_sub(sent_at).max(1) as f64;
    let progress = ((now - sent_at as f64) / span).clamp(0.0, 1.0);
    let (dx, dy) = (to.x - from.x, to.y - from.y);
    let length = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / length, dy / length);
    let start = Point {
        x: from.x + ux * NODE_RADIUS,
        y: from.y + uy * NODE_RADIUS,
    };
    let travel = (length - 2.0 * NODE_RADIUS).max(0.0) * progress;
    // Perpendicular offset to the right of the direction of travel.
    let side = 6.0;
    Point {
        x: start.x + ux * travel - uy * side,
        y: start.y + uy * travel + ux * side,
    }
}

/// Whether the segments `a1–a2` and `b1–b2` cross (touching counts).
pub fn segments_cross(a1: Point, a2: Point, b1: Point, b2: Point) -> bool {
    let orient =
        |p: Point, q: Point, r: Point| (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x);
    let (d1, d2) = (orient(b1, b2, a1), orient(b1, b2, a2));
    let (d3, d4) = (orient(a1, a2, b1), orient(a1, a2, b2));
    d1 * d2 <= 0.0 && d3 * d4 <= 0.0 && (d1, d2, d3, d4) != (0.0, 0.0, 0.0, 0.0)
}

/// The links (pairs `a < b` of `count` nodes) that a stroke drawn across the cluster crosses.
pub fn links_crossed(stroke: &[Point], count: usize) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for a in 0..count {
        for b in a + 1..count {
            let (pa, pb) = (node_position(a, count), node_position(b, count));
            if stroke
                .windows(2)
                .any(|w| segments_cross(w[0], w[1], pa, pb))
            {
                out.push((a as u16, b as u16));
            }
        }
    }
    out
}

/// The groups a set of cut links splits `count` nodes into, when it is a clean partition: the
/// connected components of the remaining links, provided every link between two components is
/// cut (and so none inside one). `None` when the cut leaves everyone connected or is not a
/// partition (e.g. one link of a triangle).
pub fn partition_groups(count: usize, cut: &[(u16, u16)]) -> Option<Vec<Vec<u16>>> {
    let is_cut = |a: usize, b: usize| cut.contains(&(a.min(b) as u16, a.max(b) as u16));
    let mut group = vec![usize::MAX; count];
    let mut groups: Vec<Vec<u16>> = Vec::new();
    for start in 0..count {
        if group[start] != usize::MAX {
            continue;
        }
        let g = groups.len();
        let mut members = vec![start as u16];
        group[start] = g;
        let mut i = 0;
        while i < members.len() {
            let a = usize::from(members[i]);
            for (b, gb) in group.iter_mut().enumerate() {
                if b != a && *gb == usize::MAX && !is_cut(a, b) {
                    *gb = g;
                    members.push(b as u16);
                }
            }
            i += 1;
        }
        members.sort_unstable();
        groups.push(members);
    }
    let clean = cut
        .iter()
        .all(|&(a, b)| group[usize::from(a)] != group[usize::from(b)]);
    (groups.len() > 1 && clean).then_some(groups)
}

/// Speed slider position (0..=100) to simulated ticks per second, on a log scale from 5 to 5,000.
pub fn ticks_per_second(slider: u32) -> f64 {
    let t = f64::from(slider.min(100)) / 100.0;
    5.0 * 1000f64.powf(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(p: Point) -> bool {
        p.x >= NODE_RADIUS
            && p.x <= VIEW_WIDTH - NODE_RADIUS
            && p.y >= NODE_RADIUS
            && p.y <= VIEW_HEIGHT - NODE_RADIUS
    }

    #[test]
    fn nodes_fit_and_do_not_overlap() {
        for count in 1..=9 {
            let points: Vec<Point> = (0..count).map(|i| node_position(i, count)).collect();
            for (i, a) in points.iter().enumerate() {
                assert!(inside(*a), "{count} nodes: node {i} at {a:?}");
                for b in &points[i + 1..] {
                    let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
                    assert!(d > 2.0 * NODE_RADIUS, "{count} nodes overlap ({d})");
                }
            }
        }
    }

    #[test]
    fn messages_travel_from_rim_to_rim() {
        let a = Point { x: 100.0, y: 100.0 };
        let b = Point { x: 400.0, y: 100.0 };
        let start = message_position(a, b, 10, 20, 10.0);
        let middle = message_position(a, b, 10, 20, 15.0);
        let end = message_position(a, b, 10, 20, 99.0);
        assert_eq!((start.x, end.x), (130.0, 370.0));
        assert_eq!(middle.x, 250.0);
        assert!(start.y > a.y, "offset to one side");
        let back = message_position(b, a, 10, 20, 15.0);
        assert!(back.y < a.y, "the other direction runs on the other side");
        let instant = message_position(a, b, 10, 10, 10.0);
        assert_eq!(
            instant.x, 130.0,
            "a zero-latency message does not divide by zero"
        );
    }

    #[test]
    fn the_speed_scale_is_logarithmic() {
        assert_eq!(ticks_per_second(0), 5.0);
        assert!((ticks_per_second(50) - 158.11).abs() < 0.01);
        assert!((ticks_per_second(100) - 5000.0).abs() < 1e-6);
        assert_eq!(ticks_per_second(1000), ticks_per_second(100));
    }

    #[test]
    fn a_timer_ring_shrinks_from_full_to_empty() {
        let c = Point { x: 100.0, y: 100.0 };
        assert_eq!(timer_remaining(100, 300, 100.0), 1.0);
        assert_eq!(timer_remaining(100, 300, 200.0), 0.5);
        assert_eq!(timer_remaining(100, 300, 400.0), 0.0);
        assert_eq!(ring_arc(c, 10.0, 0.0), "");
        // A quarter ends at the right of the centre, with the small-arc flag.
        assert_eq!(
            ring_arc(c, 10.0, 0.25),
            "M100.00 90.00 A10.00 10.00 0 0 1 110.00 100.00"
        );
        // Three quarters end at the left, with the large-arc flag.
        assert_eq!(
            ring_arc(c, 10.0, 0.75),
            "M100.00 90.00 A10.00 10.00 0 1 1 90.00 100.00"
        );
    }

    #[test]
    fn a_stroke_cuts_the_links_it_crosses() {
        let p = |x, y| Point { x, y };
        assert!(segments_cross(
            p(0.0, 0.0),
            p(10.0, 10.0),
            p(0.0, 10.0),
            p(10.0, 0.0)
        ));
        assert!(!segments_cross(
            p(0.0, 0.0),
            p(10.0, 0.0),
            p(0.0, 5.0),
            p(10.0, 5.0)
        ));
        assert!(!segments_cross(
            p(0.0, 0.0),
            p(4.0, 4.0),
            p(6.0, 6.0),
            p(10.0, 10.0)
        ));
        // Three nodes: n0 at the top, n1 bottom right, n2 bottom left. A vertical stroke down
        // the middle below n0 crosses only n1–n2; a horizontal stroke just under n0 crosses
        // both of n0's links and isolates it.
        let mid = VIEW_WIDTH / 2.0;
        let vertical = [p(mid, VIEW_HEIGHT * 0.6), p(mid, VIEW_HEIGHT)];
        assert_eq!(links_crossed(&vertical, 3), vec![(1, 2)]);
        let under_n0 = node_position(0, 3).y + NODE_RADIUS + 10.0;
        let horizontal = [p(0.0, under_n0), p(VIEW_WIDTH, under_n0)];
        assert_eq!(links_crossed(&horizontal, 3), vec![(0, 1), (0, 2)]);
        assert_eq!(
            partition_groups(3, &links_crossed(&horizontal, 3)),
            Some(vec![vec![0], vec![1, 2]])
        );
    }

    #[test]
    fn only_clean_cuts_are_partitions() {
        assert_eq!(partition_groups(3, &[]), None);
        // One link of a triangle: everyone is still connected.
        assert_eq!(partition_groups(3, &[(1, 2)]), None);
        // Five nodes split 2 | 3.
        let cut = [(0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4)];
        assert_eq!(
            partition_groups(5, &cut),
            Some(vec![vec![0, 1], vec![2, 3, 4]])
        );
        // The same cut plus a link inside a group is not a clean partition.
        let mut messy = cut.to_vec();
        messy.push((2, 3));
        assert_eq!(partition_groups(5, &messy), None);
    }
}
