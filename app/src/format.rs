//! How numbers, times and ids read on the page.

use shared::Timestamp;

/// The time of day to the millisecond, in the viewer's time zone.
pub fn clock(ts: &Timestamp) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            ts.0.timestamp_millis() as f64
        ));
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            date.get_hours(),
            date.get_minutes(),
            date.get_seconds(),
            date.get_milliseconds()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        ts.0.format("%H:%M:%S%.3f").to_string()
    }
}

/// A duration: milliseconds below ten seconds, seconds above.
pub fn millis(ms: Option<f64>) -> String {
    match ms {
        None => String::new(),
        Some(ms) if ms < 10_000.0 => format!("{ms:.0} ms"),
        Some(ms) => format!("{:.1} s", ms / 1000.0),
    }
}

/// A token count with thousands separated, so columns compare at a glance.
/// A byte count for people: `812 B`, `4.2 kB`, `1.3 MB`.
pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

pub fn tokens(n: Option<u64>) -> String {
    let Some(n) = n else { return String::new() };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Dollars, with enough digits that a cheap call is not shown as $0.00.
pub fn cost(usd: Option<f64>) -> String {
    match usd {
        None => String::new(),
        Some(v) if v >= 1.0 => format!("${v:.2}"),
        Some(v) => format!("${v:.4}"),
    }
}

pub fn rate(per_sec: Option<f64>) -> String {
    per_sec.map(|r| format!("{r:.0}")).unwrap_or_default()
}

pub fn percent(ratio: Option<f64>) -> String {
    ratio
        .map(|r| format!("{:.0}%", r * 100.0))
        .unwrap_or_default()
}

/// The first 8 characters of a long id: enough to tell ids apart on screen.
pub fn short(id: &str) -> &str {
    id.char_indices().nth(8).map_or(id, |(i, _)| &id[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_expects() {
        assert_eq!(tokens(Some(1234567)), "1,234,567");
        assert_eq!(tokens(Some(999)), "999");
        assert_eq!(tokens(None), "");
        assert_eq!(millis(Some(1234.4)), "1234 ms");
        assert_eq!(millis(Some(12_345.0)), "12.3 s");
        assert_eq!(cost(Some(0.00123)), "$0.0012");
        assert_eq!(cost(Some(12.345)), "$12.35");
        assert_eq!(short("0123456789abc"), "01234567");
        assert_eq!(short("é"), "é");
    }
}
