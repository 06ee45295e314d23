//! The burn-down chart: pure geometry first (unit-tested), then the SVG.

use super::fmt::{date_iso, date_long, date_short, num, plural, DAY};
use super::view::PageData;
use crate::config::fmt_time;
use std::fmt::Write as _;

/// Chart canvas (SVG user units).
const W: f64 = 960.0;
const H: f64 = 340.0;
const ML: f64 = 64.0;
const MR: f64 = 28.0;
const MT: f64 = 34.0;
const MB: f64 = 46.0;

/// Scales of the burn-down chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// First instant on the x axis.
    pub lo: i64,
    /// Last instant on the x axis.
    pub hi: i64,
    /// Top of the y axis (hosts).
    pub ymax: i64,
    /// Step between y ticks.
    pub ystep: i64,
}

/// A nice y axis for values up to `max`: (top, step), at most 5 steps, integer steps of
/// 1, 2 or 5 × 10^k; an all-zero series gets the axis 0..1.
pub fn y_axis(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let mut mag: i64 = 1;
    loop {
        for m in [1i64, 2, 5] {
            let step = m.saturating_mul(mag);
            if step.saturating_mul(5) >= max || step == i64::MAX {
                let top = max.div_euclid(step) * step + if max % step == 0 { 0 } else { step };
                return (top.max(step), step);
            }
        }
        mag = mag.saturating_mul(10);
    }
}

impl Scale {
    /// Scales for `points` (day, noncompliant), the campaign and the projected completion.
    /// The x axis always shows the start and the deadline and every point; it extends to
    /// the completion when that is at most half the shown span beyond, else the
    /// projection is clipped at the edge.
    pub fn new(points: &[(i64, i64)], start: i64, deadline: i64, completion: Option<i64>) -> Scale {
        let first = points.first().map_or(start, |p| p.0);
        let last = points.last().map_or(start, |p| p.0);
        let lo = start.min(deadline).min(first);
        let mut hi = deadline.max(last).max(start);
        let cap = hi.saturating_add(((hi - lo) / 2).max(7 * DAY));
        if let Some(c) = completion {
            if c > hi {
                hi = c.min(cap);
            }
        }
        if hi - lo < DAY {
            hi = lo + DAY;
        }
        let max = points.iter().map(|p| p.1).max().unwrap_or(0);
        let (ymax, ystep) = y_axis(max);
        // Half a day of room on both sides so that points never sit on the axes.
        Scale {
            lo: lo - DAY / 2,
            hi: hi + DAY / 2,
            ymax,
            ystep,
        }
    }

    /// x of instant `t`.
    pub fn x(&self, t: i64) -> f64 {
        let span = (self.hi - self.lo).max(1) as f64;
        ML + (W - ML - MR) * ((t - self.lo) as f64 / span)
    }

    /// y of `v` hosts.
    pub fn y(&self, v: f64) -> f64 {
        let top = self.ymax.max(1) as f64;
        H - MB - (H - MT - MB) * (v / top)
    }

    /// Midnights for x labels, at most ~8, every 1, 2, 7, 14… days from the first.
    pub fn x_ticks(&self) -> Vec<i64> {
        let span_days = (self.hi - self.lo) / DAY + 1;
        let step = [1i64, 2, 7, 14, 28, 56, 91, 182, 364]
            .into_iter()
            .find(|s| span_days / s <= 8)
            .unwrap_or((span_days / 8).max(1));
        let mut t = crate::agg::day_of(self.lo);
        if t < self.lo {
            t += DAY;
        }
        let mut out = Vec::new();
        while t <= self.hi && out.len() < 64 {
            out.push(t);
            t += step * DAY;
        }
        out
    }

    /// y tick values, 0 to the top.
    pub fn y_ticks(&self) -> Vec<i64> {
        let step = self.ystep.max(1);
        (0..=self.ymax / step).map(|i| i * step).take(64).collect()
    }
}

/// The projection segment from the last point to (completion, 0), clipped at the right
/// edge; `None` when the completion is not after the last point.
pub fn projection_segment(
    last: (i64, i64),
    completion: i64,
    scale: &Scale,
) -> Option<((i64, f64), (i64, f64))> {
    let (x0, y0) = last;
    if completion <= x0 || y0 <= 0 {
        return None;
    }
    let y0 = y0 as f64;
    if completion <= scale.hi {
        return Some(((x0, y0), (completion, 0.0)));
    }
    let frac = (scale.hi - x0) as f64 / (completion - x0) as f64;
    Some(((x0, y0), (scale.hi, y0 * (1.0 - frac))))
}

pub(super) fn burndown_svg(d: &PageData) -> String {
    let completion = d.fleet_completion();
    let total_nc: i64 = d.agencies.iter().map(|a| a.noncompliant).sum();
    let completion = completion.filter(|_| total_nc > 0);
    let scale = Scale::new(&d.burndown, d.start, d.deadline, completion);
    let (x0, x1) = (ML, W - MR);
    let (y0, y1) = (H - MB, MT);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg id=\"burndown\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" \
role=\"img\" aria-labelledby=\"burndown-title burndown-desc\" data-points=\"{}\">\
<title id=\"burndown-title\">Noncompliant hosts per day, all agencies</title>\
<desc id=\"burndown-desc\">{} daily points from {} to {}; deadline {}.</desc>",
        d.burndown.len(),
        d.burndown.len(),
        d.burndown.first().map_or("-".into(), |p| date_iso(p.0)),
        d.burndown.last().map_or("-".into(), |p| date_iso(p.0)),
        date_iso(d.deadline),
    );
    // Grid and y labels.
    for v in scale.y_ticks() {
        let y = scale.y(v as f64);
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 - 8.0,
            y + 4.0,
            num(v)
        );
    }
    // Campaign window shading.
    let (cs, cd) = (scale.x(d.start), scale.x(d.deadline));
    let _ = write!(
        s,
        "<rect class=\"window\" x=\"{cs:.1}\" y=\"{y1:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
        (cd - cs).max(0.0),
        y0 - y1
    );
    // x ticks.
    for t in scale.x_ticks() {
        let x = scale.x(t);
        let _ = write!(
            s,
            "<line class=\"xtick\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y0:.1}\" y2=\"{:.1}\"/>\
<text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y0 + 5.0,
            y0 + 19.0,
            date_short(t)
        );
    }
    // Axes and titles.
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{x0:.1}\" x2=\"{x0:.1}\" y1=\"{y1:.1}\" y2=\"{y0:.1}\"/>\
<line class=\"axis\" x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{y0:.1}\" y2=\"{y0:.1}\"/>\
<text class=\"axis-title\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">noncompliant hosts</text>\
<text class=\"axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">date (UTC)</text>",
        (y0 + y1) / 2.0,
        (x0 + x1) / 2.0,
        H - 6.0
    );
    // Deadline.
    let xd = scale.x(d.deadline);
    let _ = write!(
        s,
        "<g id=\"deadline-marker\" data-deadline=\"{}\"><line class=\"deadline\" x1=\"{xd:.1}\" x2=\"{xd:.1}\" y1=\"{:.1}\" y2=\"{y0:.1}\"/>\
<text class=\"deadline-label\" x=\"{xd:.1}\" y=\"{:.1}\" text-anchor=\"{}\">deadline {}</text></g>",
        fmt_time(d.deadline),
        y1 - 8.0,
        y1 - 12.0,
        if xd > W - 140.0 { "end" } else { "middle" },
        date_short(d.deadline)
    );
    // Today.
    if d.now >= scale.lo && d.now <= scale.hi {
        let xt = scale.x(d.now);
        let _ = write!(
            s,
            "<g id=\"today-marker\"><line class=\"today\" x1=\"{xt:.1}\" x2=\"{xt:.1}\" y1=\"{y1:.1}\" y2=\"{y0:.1}\"/>\
<text class=\"today-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">today</text></g>",
            if xt > W - 90.0 { xt - 4.0 } else { xt + 4.0 },
            y1 + 12.0,
            if xt > W - 90.0 { "end" } else { "start" }
        );
    }
    // Projection.
    if let (Some(c), Some(&last)) = (completion, d.burndown.last()) {
        let _ = write!(
            s,
            "<g id=\"projection\" data-completion=\"{}\">",
            fmt_time(c)
        );
        if let Some(((ax, ay), (bx, by))) = projection_segment(last, c, &scale) {
            let _ = write!(
                s,
                "<line class=\"proj\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
                scale.x(ax),
                scale.y(ay),
                scale.x(bx),
                scale.y(by)
            );
            let clipped = bx < c;
            let (lx, anchor) = if scale.x(bx) > W - 200.0 {
                (scale.x(bx) - 4.0, "end")
            } else {
                (scale.x(bx) + 6.0, "start")
            };
            let _ = write!(
                    s,
                    "<text class=\"proj-label\" x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{} {}</text>",
                    scale.y(by) - 8.0,
                    if clipped { "zero on" } else { "projected zero" },
                    date_short(c),
                );
        }
        s.push_str("</g>");
    }
    // The series.
    if d.burndown.len() > 1 {
        let pts: Vec<String> = d
            .burndown
            .iter()
            .map(|&(t, v)| format!("{:.1},{:.1}", scale.x(t), scale.y(v as f64)))
            .collect();
        let _ = write!(
            s,
            "<polyline id=\"noncompliant-line\" class=\"series\" points=\"{}\"/>",
            pts.join(" ")
        );
    }
    s.push_str("<g id=\"points\">");
    for &(t, v) in &d.burndown {
        let _ = write!(
            s,
            "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" data-day=\"{}\" data-noncompliant=\"{v}\"><title>{}: {}</title></circle>",
            scale.x(t),
            scale.y(v as f64),
            date_iso(t),
            date_long(t),
            plural(v, "noncompliant host", "noncompliant hosts"),
        );
    }
    s.push_str("</g>");
    if d.burndown.len() < 2 {
        let _ = write!(
            s,
            "<text class=\"note\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            (x0 + x1) / 2.0,
            (y0 + y1) / 2.0,
            if d.burndown.is_empty() {
                "no daily snapshots yet"
            } else if d.totals().hosts() == 0 {
                "no hosts reporting yet"
            } else {
                "one day of data so far: the trend needs two days"
            }
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::view::fixture::START;

    fn scale_ok(s: &Scale) {
        assert!(s.hi > s.lo, "{s:?}");
        assert!(
            s.ymax >= 1 && s.ystep >= 1 && s.ymax % s.ystep == 0,
            "{s:?}"
        );
        for t in [s.lo, s.hi, (s.lo + s.hi) / 2] {
            let x = s.x(t);
            assert!(
                x.is_finite() && (ML - 0.01..=W - MR + 0.01).contains(&x),
                "{x}"
            );
        }
        for v in [0.0, s.ymax as f64] {
            let y = s.y(v);
            assert!(
                y.is_finite() && (MT - 0.01..=H - MB + 0.01).contains(&y),
                "{y}"
            );
        }
        let ticks = s.x_ticks();
        assert!(!ticks.is_empty() && ticks.len() <= 12, "{ticks:?}");
        assert!(ticks
            .iter()
            .all(|&t| t >= s.lo && t <= s.hi && t % DAY == 0));
    }

    #[test]
    fn y_axis_is_nice() {
        assert_eq!(y_axis(0), (1, 1));
        assert_eq!(y_axis(-3), (1, 1));
        assert_eq!(y_axis(1), (1, 1));
        assert_eq!(y_axis(3), (3, 1));
        assert_eq!(y_axis(7), (8, 2));
        assert_eq!(y_axis(10), (10, 2));
        assert_eq!(y_axis(11), (15, 5));
        assert_eq!(y_axis(100), (100, 20));
        assert_eq!(y_axis(101), (150, 50));
        assert_eq!(y_axis(12_345), (15_000, 5_000));
        let (top, step) = y_axis(i64::MAX / 2);
        assert!(top >= i64::MAX / 2 && step > 0);
    }

    #[test]
    fn scale_with_no_points() {
        let s = Scale::new(&[], START, START + 30 * DAY, None);
        scale_ok(&s);
        assert_eq!((s.ymax, s.ystep), (1, 1));
        assert!(s.lo < START && s.hi > START + 30 * DAY);
    }

    #[test]
    fn scale_with_one_point() {
        let p = [(START + 3 * DAY, 42)];
        let s = Scale::new(&p, START, START + 30 * DAY, None);
        scale_ok(&s);
        assert_eq!(s.ymax, 50);
        let x = s.x(p[0].0);
        assert!(x > s.x(START) && x < s.x(START + 30 * DAY));
        // One point is no trend: nothing to project from.
        assert_eq!(
            projection_segment(p[0], START + 40 * DAY, &s).map(|_| ()),
            Some(())
        );
        assert_eq!(projection_segment(p[0], p[0].0, &s), None);
    }

    #[test]
    fn scale_with_all_zero() {
        let p: Vec<(i64, i64)> = (0..5).map(|i| (START + i * DAY, 0)).collect();
        let s = Scale::new(&p, START, START + 30 * DAY, None);
        scale_ok(&s);
        assert_eq!(s.y_ticks(), vec![0, 1]);
        assert_eq!(s.y(0.0), H - MB, "zero sits on the x axis");
        assert_eq!(
            projection_segment(p[4], START + 9 * DAY, &s),
            None,
            "nothing left to fix"
        );
    }

    #[test]
    fn deadline_before_the_first_point() {
        // The deadline passed before the first snapshot: the axis still shows it.
        let deadline = START + 30 * DAY;
        let p: Vec<(i64, i64)> = (0..4).map(|i| (deadline + (5 + i) * DAY, 10 - i)).collect();
        let s = Scale::new(&p, START, deadline, None);
        scale_ok(&s);
        assert!(s.x(deadline) < s.x(p[0].0));
        assert!(s.x(START) >= ML && s.x(p[3].0) <= W - MR);
        // Start after the deadline (a misconfiguration) still gives a sane axis.
        let s = Scale::new(&p, deadline + DAY, deadline, None);
        scale_ok(&s);
    }

    #[test]
    fn projection_is_clipped_at_the_edge() {
        let p: Vec<(i64, i64)> = (0..5).map(|i| (START + i * DAY, 100 - i)).collect();
        let far = START + 400 * DAY;
        let s = Scale::new(&p, START, START + 30 * DAY, Some(far));
        scale_ok(&s);
        assert!(s.hi < far, "a far completion does not squash the chart");
        let ((ax, ay), (bx, by)) = projection_segment(p[4], far, &s).unwrap();
        assert_eq!((ax, ay), (p[4].0, 96.0));
        assert_eq!(bx, s.hi);
        assert!(by > 0.0 && by < 96.0, "{by}");
        // A near completion extends the axis and ends on zero.
        let near = START + 34 * DAY;
        let s = Scale::new(&p, START, START + 30 * DAY, Some(near));
        assert!(s.hi >= near);
        let (_, (bx, by)) = projection_segment(p[4], near, &s).unwrap();
        assert_eq!((bx, by), (near, 0.0));
    }

    #[test]
    fn x_ticks_stay_few_on_long_campaigns() {
        let s = Scale::new(&[], START, START + 365 * DAY, None);
        scale_ok(&s);
        let s = Scale::new(&[], START, START + DAY, None);
        scale_ok(&s);
    }
}
