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
}
