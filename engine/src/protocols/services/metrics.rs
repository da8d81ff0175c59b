//! RED metrics per service (Wilkie, "The RED Method", 2015): **r**ate (requests handled per
//! window), **e**rrors (how many of them failed) and **d**uration (the 50th and 99th
//! percentile of how long they took), over windows of simulated time. Computed from the
//! server and consumer spans each service records, as a metrics pipeline fed by spans would.

use super::spans::{Span, SpanKind};
use crate::sim::protocol::NodeId;

/// Width of one metrics window, ticks.
pub const WINDOW_TICKS: u64 = 500;
/// Most windows a series keeps (the latest ones).
pub const WINDOWS_MAX: usize = 40;

/// One window of one service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// True time the window starts.
    pub start: u64,
    /// Requests that finished in it.
    pub requests: u32,
    /// Of which failed.
    pub errors: u32,
    /// Median duration, ticks.
    pub p50_ticks: u64,
    /// 99th percentile duration, ticks.
    pub p99_ticks: u64,
}

/// The nearest-rank percentile `q` (in percent) of `sorted` (ascending); 0 when empty.
pub fn percentile(sorted: &[u64], q: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as u64).div_ceil(100).max(1);
    sorted[(rank as usize - 1).min(sorted.len() - 1)]
}

/// RED of one service: the whole run and per window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Red {
    /// The service.
    pub service: NodeId,
    /// Over the whole run so far.
    pub total: Window,
    /// Per window, oldest first (at most [`WINDOWS_MAX`], the latest).
    pub windows: Vec<Window>,
}

fn window(start: u64, durations: &mut [u64], errors: u32) -> Window {
    durations.sort_unstable();
    Window {
        start,
        requests: durations.len() as u32,
        errors,
        p50_ticks: percentile(durations, 50),
        p99_ticks: percentile(durations, 99),
    }
}

/// RED metrics of `service` from the finished server and consumer spans it recorded.
pub fn red(spans: &[Span], service: NodeId) -> Red {
    let handled: Vec<(u64, u64, bool)> = spans
        .iter()
        .filter(|s| s.service == service)
        .filter(|s| matches!(s.kind, SpanKind::Server | SpanKind::Consumer))
        .filter_map(|s| Some((s.end?, s.end? - s.start, s.error)))
        .collect();
    let mut all: Vec<u64> = handled.iter().map(|h| h.1).collect();
    let total = window(0, &mut all, handled.iter().filter(|h| h.2).count() as u32);
    let last = handled.iter().map(|h| h.0 / WINDOW_TICKS).max();
    let windows = match last {
        None => Vec::new(),
        Some(last) => {
            let first = last.saturating_sub(WINDOWS_MAX as u64 - 1);
            (first..=last)
                .map(|w| {
                    let of: Vec<_> = handled.iter().filter(|h| h.0 / WINDOW_TICKS == w).collect();
                    let mut d: Vec<u64> = of.iter().map(|h| h.1).collect();
                    window(
                        w * WINDOW_TICKS,
                        &mut d,
                        of.iter().filter(|h| h.2).count() as u32,
                    )
                })
                .collect()
        }
    };
    Red {
        service,
        total,
        windows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::services::context::SpanFields;

    #[test]
    fn nearest_rank_percentiles() {
        let d: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&d, 50), 50);
        assert_eq!(percentile(&d, 99), 99);
        assert_eq!(percentile(&[7], 99), 7);
        assert_eq!(percentile(&[1, 2, 3], 50), 2);
        assert_eq!(percentile(&[], 50), 0);
    }

    #[test]
    fn red_counts_handled_requests_per_window_and_ignores_calls_made() {
        let span = |kind, start, end, error| Span {
            fields: SpanFields::default(),
            kind,
            service: 3,
            name: "x".into(),
            start,
            end: Some(end),
            step: 0,
            error,
            attempt: 1,
        };
        let spans = vec![
            span(SpanKind::Server, 0, 10, false),
            span(SpanKind::Server, 100, 400, true),
            span(SpanKind::Client, 100, 300, false),
            span(SpanKind::Server, 600, 620, false),
        ];
        let r = red(&spans, 3);
        assert_eq!(r.total.requests, 3);
        assert_eq!(r.total.errors, 1);
        assert_eq!(r.total.p99_ticks, 300);
        assert_eq!(r.windows.len(), 2);
        assert_eq!((r.windows[0].requests, r.windows[0].errors), (2, 1));
        assert_eq!((r.windows[1].start, r.windows[1].p50_ticks), (500, 20));
        assert_eq!(red(&spans, 4).windows, vec![]);
    }
}
