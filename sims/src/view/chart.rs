//! The traffic chart under a simulation: messages sent, delivered and lost per time bucket over
//! the trace window, drawn with plotters on a canvas. Bucketing is a pure function tested
//! natively; drawing happens only in the browser.

use engine::sim::session::{SpacetimeEvent, SpacetimeKind};

/// Buckets the chart divides the window into.
pub const BUCKETS: usize = 24;

/// Counts in one time bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    /// First tick of the bucket.
    pub from: u64,
    /// Messages sent (duplicates included).
    pub sent: u32,
    /// Messages delivered.
    pub delivered: u32,
    /// Messages lost.
    pub lost: u32,
}

/// Splits `[t0, t1]` into [`BUCKETS`] equal buckets and counts the window's message events.
pub fn buckets(events: &[SpacetimeEvent], t0: u64, t1: u64) -> Vec<Bucket> {
    let span = (t1.saturating_sub(t0) + 1).max(BUCKETS as u64);
    let width = span.div_ceil(BUCKETS as u64);
    let mut out: Vec<Bucket> = (0..BUCKETS as u64)
        .map(|k| Bucket {
            from: t0 + k * width,
            ..Bucket::default()
        })
        .collect();
    for e in events {
        if e.t < t0 {
            continue;
        }
        let k = (((e.t - t0) / width) as usize).min(BUCKETS - 1);
        match e.kind {
            SpacetimeKind::Send { .. } => out[k].sent += 1,
            SpacetimeKind::Recv { .. } => out[k].delivered += 1,
            SpacetimeKind::Drop { .. } => out[k].lost += 1,
            _ => {}
        }
    }
    out
}

/// Draws `data` on `canvas` (browser only).
#[cfg(target_arch = "wasm32")]
pub fn draw(canvas: web_sys::HtmlCanvasElement, data: &[Bucket], dark: bool) -> Option<()> {
    use plotters::prelude::*;
    use plotters_canvas::CanvasBackend;
    let root = CanvasBackend::with_canvas_object(canvas)?.into_drawing_area();
    let (bg, fg) = if dark {
        (RGBColor(0x16, 0x1c, 0x23), RGBColor(0xc8, 0xd0, 0xd8))
    } else {
        (RGBColor(0xff, 0xff, 0xff), RGBColor(0x40, 0x48, 0x50))
    };
    root.fill(&bg).ok()?;
    let x0 = data.first().map_or(0, |b| b.from);
    let step = data.get(1).map_or(1, |b| b.from - x0).max(1);
    let x1 = x0 + step * data.len() as u64;
    let top = data
        .iter()
        .map(|b| b.sent.max(b.delivered).max(b.lost))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(30)
        .build_cartesian_2d(x0..x1, 0u32..top + top / 2 + 1)
        .ok()?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(fg.mix(0.12))
        .axis_style(fg.mix(0.6))
        .label_style(("sans-serif", 11).into_font().color(&fg))
        .x_desc("true time (ticks)")
        .x_labels(6)
        .y_labels(4)
        .draw()
        .ok()?;
    // Okabe–Ito: blue, bluish green, vermillion; each series also has its own marker shape.
    let series = [
        ("sent", RGBColor(0x00, 0x72, 0xB2), 0usize),
        ("delivered", RGBColor(0x00, 0x9E, 0x73), 1),
        ("lost", RGBColor(0xD5, 0x5E, 0x00), 2),
    ];
    for (name, color, which) in series {
        let points: Vec<(u64, u32)> = data
            .iter()
            .map(|b| {
                let v = match which {
                    0 => b.sent,
                    1 => b.delivered,
                    _ => b.lost,
                };
                (b.from + step / 2, v)
            })
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .ok()?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2))
            });
        match which {
            0 => chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 2, color.filled())))
                .ok()?,
            1 => chart
                .draw_series(
                    points
                        .iter()
                        .map(|&p| TriangleMarker::new(p, 3, color.filled())),
                )
                .ok()?,
            _ => chart
                .draw_series(
                    points
                        .iter()
                        .map(|&p| Cross::new(p, 3, color.stroke_width(2))),
                )
                .ok()?,
        };
    }
    chart
        .configure_series_labels()
        .background_style(bg.mix(0.85))
        .border_style(fg.mix(0.3))
        .label_font(("sans-serif", 11).into_font().color(&fg))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .ok()?;
    root.present().ok()
}

/// Draws a scenario's parameter sweep on `canvas`: the first series on the left axis (circles),
/// the second on the right (triangles), the scenario's own value as a dashed line (browser
/// only).
#[cfg(target_arch = "wasm32")]
pub fn draw_sweep(
    canvas: web_sys::HtmlCanvasElement,
    sweep: &engine::sim::panel::Sweep,
    dark: bool,
) -> Option<()> {
    use plotters::prelude::*;
    use plotters_canvas::CanvasBackend;
    let root = CanvasBackend::with_canvas_object(canvas)?.into_drawing_area();
    let (bg, fg) = if dark {
        (RGBColor(0x16, 0x1c, 0x23), RGBColor(0xc8, 0xd0, 0xd8))
    } else {
        (RGBColor(0xff, 0xff, 0xff), RGBColor(0x40, 0x48, 0x50))
    };
    root.fill(&bg).ok()?;
    let [left, right] = [sweep.series.first()?, sweep.series.get(1)?];
    let mut x0 = left.points.iter().map(|p| p.0).min()?;
    let mut x1 = left.points.iter().map(|p| p.0).max()?.max(x0 + 1);
    // Named categories get half a step of room on both sides, so the end labels fit.
    let named = !sweep.names.is_empty();
    if named {
        x0 = x0.saturating_sub(1);
        x1 += 1;
    }
    let x_name = |x: &u64| -> String {
        if named {
            x.checked_sub(1)
                .and_then(|i| sweep.names.get(i as usize))
                .cloned()
                .unwrap_or_default()
        } else {
            x.to_string()
        }
    };
    let top = |s: &engine::sim::panel::SweepSeries| {
        s.points.iter().map(|p| p.1).max().unwrap_or(0).max(1)
    };
    // Two fifths of headroom above the highest point: the legend sits there, not on the data.
    let headroom = |v: u64| v + v * 2 / 5 + 1;
    let (ly, ry) = (top(left), top(right));
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(40)
        .right_y_label_area_size(44)
        .build_cartesian_2d(x0..x1, 0u64..headroom(ly))
        .ok()?
        .set_secondary_coord(x0..x1, 0u64..headroom(ry));
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(fg.mix(0.12))
        .axis_style(fg.mix(0.6))
        .label_style(("sans-serif", 11).into_font().color(&fg))
        .x_desc(sweep.x_label.as_str())
        .y_desc(left.name.as_str())
        .x_labels(if named { (x1 - x0 + 1) as usize } else { 8 })
        .x_label_formatter(&x_name)
        .y_labels(5)
        .draw()
        .ok()?;
    chart
        .configure_secondary_axes()
        .axis_style(fg.mix(0.6))
        .label_style(("sans-serif", 11).into_font().color(&fg))
        .y_desc(right.name.as_str())
        .y_labels(5)
        .draw()
        .ok()?;
    // Okabe–Ito vermillion and blue, with different markers.
    let (lc, rc) = (RGBColor(0xD5, 0x5E, 0x00), RGBColor(0x00, 0x72, 0xB2));
    chart
        .draw_series(LineSeries::new(left.points.clone(), lc.stroke_width(2)))
        .ok()?
        .label(left.name.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], lc.stroke_width(2)));
    chart
        .draw_series(left.points.iter().map(|&p| Circle::new(p, 3, lc.filled())))
        .ok()?;
    chart
        .draw_secondary_series(LineSeries::new(right.points.clone(), rc.stroke_width(2)))
        .ok()?
        .label(right.name.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], rc.stroke_width(2)));
    chart
        .draw_secondary_series(
            right
                .points
                .iter()
                .map(|&p| TriangleMarker::new(p, 4, rc.filled())),
        )
        .ok()?;
    // The run's own parameter, dashed.
    let top_y = headroom(ly);
    let dashes = (0..top_y).step_by(((top_y / 12).max(1)) as usize * 2);
    chart
        .draw_series(dashes.map(|y| {
            PathElement::new(
                vec![
                    (sweep.current, y),
                    (sweep.current, (y + top_y / 12).min(top_y)),
                ],
                fg.mix(0.7).stroke_width(1),
            )
        }))
        .ok()?;
    chart
        .configure_series_labels()
        .background_style(bg.mix(0.85))
        .border_style(fg.mix(0.3))
        .label_font(("sans-serif", 11).into_font().color(&fg))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .ok()?;
    root.present().ok()
}

/// The sweep as text, for screen readers and the table under the chart: one line per value.
pub fn sweep_rows(sweep: &engine::sim::panel::Sweep) -> Vec<(u64, Vec<u64>)> {
    let Some(first) = sweep.series.first() else {
        return Vec::new();
    };
    first
        .points
        .iter()
        .map(|&(x, _)| {
            let values = sweep
                .series
                .iter()
                .map(|s| s.points.iter().find(|p| p.0 == x).map_or(0, |p| p.1))
                .collect();
            (x, values)
        })
        .collect()
}

/// Draws the staleness chart on `canvas`: per curve, the share of reads that returned the
/// latest acknowledged write against the time since it was acknowledged, and the closed form's
/// t = 0 value as a hollow marker on the y axis (browser only). Curves may be partial (the
/// chart is redrawn as points arrive).
#[cfg(target_arch = "wasm32")]
pub fn draw_staleness(
    canvas: web_sys::HtmlCanvasElement,
    curves: &[engine::worker::StalenessCurve],
    dark: bool,
) -> Option<()> {
    use plotters::prelude::*;
    use plotters_canvas::CanvasBackend;
    let root = CanvasBackend::with_canvas_object(canvas)?.into_drawing_area();
    let (bg, fg) = if dark {
        (RGBColor(0x16, 0x1c, 0x23), RGBColor(0xc8, 0xd0, 0xd8))
    } else {
        (RGBColor(0xff, 0xff, 0xff), RGBColor(0x40, 0x48, 0x50))
    };
    root.fill(&bg).ok()?;
    let t_max = engine::protocols::dynamo::pbs::DELAYS
        .last()
        .copied()
        .unwrap_or(100)
        .max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(-t_max * 0.03..t_max * 1.02, 0f64..119f64)
        .ok()?;
    chart
        .configure_mesh()
        .light_line_style(fg.mix(0.12))
        .bold_line_style(fg.mix(0.2))
        .axis_style(fg.mix(0.6))
        .label_style(("sans-serif", 11).into_font().color(&fg))
        .x_desc("ticks since the write was acknowledged")
        .y_desc("reads that saw it (%)")
        .y_labels(6)
        .y_label_formatter(&|y| {
            if *y <= 100.0 {
                format!("{y:.0}")
            } else {
                String::new()
            }
        })
        .x_labels(8)
        .x_label_formatter(&|x| {
            if *x >= 0.0 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .draw()
        .ok()?;
    // Okabe–Ito: vermillion, blue, bluish green, reddish purple; each with its own marker.
    let colors = [
        RGBColor(0xD5, 0x5E, 0x00),
        RGBColor(0x00, 0x72, 0xB2),
        RGBColor(0x00, 0x9E, 0x73),
        RGBColor(0xCC, 0x79, 0xA7),
    ];
    for (i, curve) in curves.iter().enumerate() {
        let c = colors[i % colors.len()];
        let pts: Vec<(f64, f64)> = curve
            .points
            .iter()
            .map(|p| (p.t as f64, p.fresh_percent()))
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .ok()?
            .label(curve.quorum.to_string())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2)));
        match i % 4 {
            0 => chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .ok()?,
            1 => chart
                .draw_series(pts.iter().map(|&p| TriangleMarker::new(p, 4, c.filled())))
                .ok()?,
            2 => chart
                .draw_series(pts.iter().map(|&p| Cross::new(p, 4, c.stroke_width(2))))
                .ok()?,
            _ => chart
                .draw_series(pts.iter().map(|&(x, y)| {
                    Rectangle::new([(x - 0.9, y - 2.2), (x + 0.9, y + 2.2)], c.filled())
                }))
                .ok()?,
        };
        // The closed form at t = 0: a hollow ring.
        chart
            .draw_series(std::iter::once(Circle::new(
                (0.0, curve.closed_form * 100.0),
                7,
                c.stroke_width(1),
            )))
            .ok()?;
    }
    chart
        .configure_series_labels()
        .background_style(bg.mix(0.85))
        .border_style(fg.mix(0.3))
        .label_font(("sans-serif", 11).into_font().color(&fg))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .ok()?;
    root.present().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(t: u64, kind: SpacetimeKind) -> SpacetimeEvent {
        SpacetimeEvent {
            t,
            node: 0,
            kind,
            line: String::new(),
        }
    }

    #[test]
    fn events_are_counted_in_their_time_bucket() {
        let events = [
            event(0, SpacetimeKind::Send { to: 1, id: 1 }),
            event(5, SpacetimeKind::Send { to: 2, id: 2 }),
            event(30, SpacetimeKind::Recv { from: 0, id: 1 }),
            event(239, SpacetimeKind::Drop { id: 2 }),
        ];
        let b = buckets(&events, 0, 239);
        assert_eq!(b.len(), BUCKETS);
        assert_eq!((b[0].from, b[0].sent), (0, 2));
        assert_eq!((b[3].from, b[3].delivered), (30, 1));
        assert_eq!(
            b[BUCKETS - 1].lost,
            1,
            "the last tick lands in the last bucket"
        );
        let total: u32 = b.iter().map(|x| x.sent + x.delivered + x.lost).sum();
        assert_eq!(total, 4);
    }

    #[test]
    fn a_short_window_still_has_every_bucket() {
        let b = buckets(&[], 100, 100);
        assert_eq!(b.len(), BUCKETS);
        assert!(b.windows(2).all(|w| w[1].from > w[0].from));
    }

    #[test]
    fn sweep_rows_align_the_series_by_parameter() {
        use engine::sim::panel::{Sweep, SweepSeries};
        let sweep = Sweep {
            title: "t".into(),
            x_label: "x".into(),
            current: 2,
            legend: String::new(),
            series: vec![
                SweepSeries {
                    name: "a".into(),
                    points: vec![(1, 10), (2, 5)],
                },
                SweepSeries {
                    name: "b".into(),
                    points: vec![(2, 7), (1, 3)],
                },
            ],
            names: Vec::new(),
        };
        assert_eq!(sweep_rows(&sweep), vec![(1, vec![10, 3]), (2, vec![5, 7])]);
    }
}
