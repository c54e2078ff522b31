//! Which cards to put in the page: only those near the viewport, with spacers
//! standing in for the rest, so a session of any length scrolls like a short one.

use std::collections::HashMap;
use std::sync::Arc;

use crate::timeline::Entry;
use crate::Expansion;

/// Height of a closed card in CSS pixels; the stylesheet fixes it (`.card`).
pub const ROW_HEIGHT: f64 = 27.0;
/// Height assumed for an open card until it has been measured.
pub const OPEN_GUESS: f64 = 320.0;
/// How far beyond the viewport, above and below, cards are kept rendered.
pub const OVERSCAN: f64 = 900.0;

/// The slice of the shown entries to render, and the space around it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Window {
    pub first: usize,
    /// One past the last entry to render.
    pub end: usize,
    pub space_before: f64,
    pub space_after: f64,
}

/// Lays out `rows` (closed cards `ROW_HEIGHT`, open ones their measured
/// height) and picks those within `OVERSCAN` of the viewport
/// `[scroll_top, scroll_top + viewport)`.
pub fn layout(
    rows: &[Arc<Entry>],
    expansion: &Expansion,
    measured: &HashMap<usize, f64>,
    scroll_top: f64,
    viewport: f64,
) -> Window {
    let from = scroll_top - OVERSCAN;
    let to = scroll_top + viewport + OVERSCAN;
    let mut window = Window::default();
    let mut offset = 0.0;
    let mut found_first = false;
    for (i, row) in rows.iter().enumerate() {
        let height = if expansion.is_expanded(row.key) {
            measured.get(&row.key).copied().unwrap_or(OPEN_GUESS)
        } else {
            ROW_HEIGHT
        };
        let bottom = offset + height;
        if !found_first {
            if bottom > from {
                found_first = true;
                window.first = i;
                window.space_before = offset;
                window.end = i + 1;
            }
        } else if offset < to {
            window.end = i + 1;
        } else {
            window.space_after += height;
        }
        offset = bottom;
    }
    if !found_first {
        // Scrolled past everything (the list just shrank): show the end.
        window.first = rows.len();
        window.end = rows.len();
        window.space_before = offset;
    }
    window
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<Arc<Entry>> {
        let mut t = crate::timeline::Timeline::new();
        for seq in 1..=n as u64 {
            let event = serde_json::from_value(serde_json::json!({
                "ts": "2026-03-29T11:27:07.000001Z", "type": "stream_end", "flow_id": "f"
            }))
            .unwrap();
            t.accept("s", seq, event);
        }
        t.shown().to_vec()
    }

    fn total(w: &Window, rendered: f64) -> f64 {
        w.space_before + rendered + w.space_after
    }

    #[test]
    fn renders_only_what_is_near_the_viewport_and_keeps_the_full_height() {
        let rows = rows(20_000);
        let w = layout(
            &rows,
            &Expansion::default(),
            &HashMap::new(),
            270_000.0,
            800.0,
        );
        let rendered = (w.end - w.first) as f64 * ROW_HEIGHT;
        assert!(w.end - w.first < 200, "{w:?}");
        assert!(w.space_before <= 270_000.0 - OVERSCAN + ROW_HEIGHT);
        assert!(w.space_before + rendered >= 270_000.0 + 800.0 + OVERSCAN - ROW_HEIGHT);
        assert_eq!(total(&w, rendered), 20_000.0 * ROW_HEIGHT);
    }

    #[test]
    fn open_cards_count_with_their_measured_height() {
        let rows = rows(100);
        let mut expansion = Expansion::default();
        expansion.toggle(rows[0].key);
        expansion.toggle(rows[1].key);
        let measured = HashMap::from([(rows[0].key, 500.0)]);
        let w = layout(&rows, &expansion, &measured, 5_000.0, 100.0);
        // 500 measured + the unmeasured guess + 98 closed rows.
        let full = 500.0 + OPEN_GUESS + 98.0 * ROW_HEIGHT;
        let rendered: f64 = (w.first..w.end)
            .map(|i| match i {
                0 => 500.0,
                1 => OPEN_GUESS,
                _ => ROW_HEIGHT,
            })
            .sum();
        assert_eq!(total(&w, rendered), full);
    }

    #[test]
    fn the_top_and_an_empty_list() {
        let rows = rows(10);
        let w = layout(&rows, &Expansion::default(), &HashMap::new(), 0.0, 800.0);
        assert_eq!(
            (w.first, w.end, w.space_before, w.space_after),
            (0, 10, 0.0, 0.0)
        );
        let w = layout(&[], &Expansion::default(), &HashMap::new(), 500.0, 800.0);
        assert_eq!((w.first, w.end), (0, 0));
    }
}
