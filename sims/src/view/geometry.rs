//! Where things are drawn: pure functions of the world view, tested natively.

/// The drawing's frame: its viewBox and the cluster it holds. A wide frame suits a desktop
/// column; a narrow one, nearly square, keeps text legible when a phone scales it down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// viewBox width.
    pub width: f64,
    /// viewBox height.
    pub height: f64,
    /// Nodes in the cluster.
    pub count: usize,
}

/// Containers narrower than this many CSS pixels get the narrow frame.
pub const NARROW_BELOW_PX: f64 = 560.0;

impl Frame {
    /// The frame for `count` nodes in a container `container_px` CSS pixels wide.
    pub fn new(count: usize, container_px: f64) -> Frame {
        let (width, height) = if container_px > 0.0 && container_px < NARROW_BELOW_PX {
            (360.0, 340.0)
        } else {
            (640.0, 360.0)
        };
        Frame {
            width,
            height,
            count,
        }
    }

    /// A peer's radius: large for a small cluster, smaller as it grows so that nine still fit.
    pub fn radius(&self) -> f64 {
        match self.count {
            0..=3 => 38.0,
            4..=5 => 34.0,
            6..=7 => 30.0,
            _ => 26.0,
        }
    }

    /// The radius a node of this emphasis is drawn with: a leader is larger than its peers, a
    /// client smaller.
    pub fn radius_of(&self, lead: bool, client: bool) -> f64 {
        let r = self.radius();
        if lead {
            r + 7.0
        } else if client {
            r - 6.0
        } else {
            r
        }
    }

    /// Node `index`, evenly spaced on an ellipse, the first at the top. Two nodes sit side by
    /// side; one sits in the middle.
    pub fn node_position(&self, index: usize) -> Point {
        let center = Point {
            x: self.width / 2.0,
            y: self.height / 2.0,
        };
        let count = self.count;
        if count <= 1 {
            return center;
        }
        if count == 2 {
            let dx = self.width / 4.0;
            return Point {
                x: center.x + if index == 0 { -dx } else { dx },
                y: center.y,
            };
        }
        // Room for the largest node, its timer ring and its badge.
        let margin = self.radius() + 7.0 + 16.0;
        let ry = self.height / 2.0 - margin;
        let rx = (self.width / 2.0 - margin).min(ry * 1.45);
        let angle =
            -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * index as f64 / count as f64;
        Point {
            x: center.x + rx * angle.cos(),
            y: center.y + ry * angle.sin(),
        }
    }
}

/// A point in the drawing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Horizontal, from the left.
    pub x: f64,
    /// Vertical, from the top.
    pub y: f64,
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
/// between the rims of two nodes of radius `rim`, offset sideways so the two directions of a
/// link do not overlap.
pub fn message_position(
    from: Point,
    to: Point,
    rim: f64,
    sent_at: u64,
    deliver_at: u64,
    now: f64,
) -> Point {
    let span = deliver_at.saturating_sub(sent_at).max(1) as f64;
    let progress = ((now - sent_at as f64) / span).clamp(0.0, 1.0);
    let (dx, dy) = (to.x - from.x, to.y - from.y);
    let length = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / length, dy / length);
    let start = Point {
        x: from.x + ux * rim,
        y: from.y + uy * rim,
    };
    let travel = (length - 2.0 * rim).max(0.0) * progress;
    // Perpendicular offset to the right of the direction of travel.
    let side = 7.0;
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

/// The direction of travel from `from` to `to`, in degrees clockwise from the positive x axis.
pub fn heading(from: Point, to: Point) -> f64 {
    (to.y - from.y).atan2(to.x - from.x).to_degrees()
}

/// The links (pairs `a < b` of the frame's nodes) that a stroke drawn across the cluster
/// crosses.
pub fn links_crossed(stroke: &[Point], frame: Frame) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    let count = frame.count;
    for a in 0..count {
        for b in a + 1..count {
            let (pa, pb) = (frame.node_position(a), frame.node_position(b));
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

    const WIDE: f64 = 1000.0;
    const PHONE: f64 = 360.0;

    fn inside(frame: Frame, p: Point, r: f64) -> bool {
        p.x >= r && p.x <= frame.width - r && p.y >= r && p.y <= frame.height - r
    }

    #[test]
    fn nodes_fit_and_do_not_overlap() {
        for container in [WIDE, PHONE] {
            for count in 1..=9 {
                let frame = Frame::new(count, container);
                // The largest a node is drawn (a leader) plus its timer ring.
                let r = frame.radius_of(true, false) + 6.0;
                let points: Vec<Point> = (0..count).map(|i| frame.node_position(i)).collect();
                for (i, a) in points.iter().enumerate() {
                    assert!(inside(frame, *a, r), "{count} nodes: node {i} at {a:?}");
                    for b in &points[i + 1..] {
                        let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
                        assert!(d > 2.0 * r, "{count} nodes in {frame:?} overlap ({d})");
                    }
                }
            }
        }
    }

    #[test]
    fn a_phone_gets_a_frame_it_scales_down_less() {
        let (wide, narrow) = (Frame::new(5, WIDE), Frame::new(5, 390.0));
        assert_eq!((wide.width, narrow.width), (640.0, 360.0));
        // A 390 px phone leaves the drawing about 330 px: the narrow frame's text is drawn at
        // 330/360 of its size, the wide one's at 330/640.
        assert!(330.0 / narrow.width > 0.9 && 330.0 / wide.width < 0.52);
        assert!(Frame::new(3, 3.0).radius() > Frame::new(9, 3.0).radius());
        assert!(
            wide.radius_of(true, false) > wide.radius()
                && wide.radius() > wide.radius_of(false, true)
        );
    }

    #[test]
    fn messages_travel_from_rim_to_rim() {
        let a = Point { x: 100.0, y: 100.0 };
        let b = Point { x: 400.0, y: 100.0 };
        let start = message_position(a, b, 30.0, 10, 20, 10.0);
        let middle = message_position(a, b, 30.0, 10, 20, 15.0);
        let end = message_position(a, b, 30.0, 10, 20, 99.0);
        assert_eq!((start.x, end.x), (130.0, 370.0));
        assert_eq!(middle.x, 250.0);
        assert!(start.y > a.y, "offset to one side");
        let back = message_position(b, a, 30.0, 10, 20, 15.0);
        assert!(back.y < a.y, "the other direction runs on the other side");
        let instant = message_position(a, b, 30.0, 10, 10, 10.0);
        assert_eq!(
            instant.x, 130.0,
            "a zero-latency message does not divide by zero"
        );
        assert_eq!(heading(a, b), 0.0);
        assert_eq!(heading(b, a), 180.0);
        assert_eq!(heading(a, Point { x: 100.0, y: 200.0 }), 90.0);
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
        for container in [WIDE, PHONE] {
            let frame = Frame::new(3, container);
            let mid = frame.width / 2.0;
            let vertical = [p(mid, frame.height * 0.6), p(mid, frame.height)];
            assert_eq!(links_crossed(&vertical, frame), vec![(1, 2)]);
            let under_n0 = frame.node_position(0).y + frame.radius() + 10.0;
            let horizontal = [p(0.0, under_n0), p(frame.width, under_n0)];
            assert_eq!(links_crossed(&horizontal, frame), vec![(0, 1), (0, 2)]);
            assert_eq!(
                partition_groups(3, &links_crossed(&horizontal, frame)),
                Some(vec![vec![0], vec![1, 2]])
            );
        }
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
