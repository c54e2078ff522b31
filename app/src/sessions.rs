//! Which session the page shows: the picker over the server's session logs,
//! and search within the shown one.

use leptos::prelude::*;

use crate::{FlowsUi, SourceUi};

/// Choosing a session reloads the page on `?session=NAME`, so the address
/// always says what is shown and can be bookmarked or shared.
#[component]
pub fn SessionPicker(source: SourceUi) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let search = if name.is_empty() {
                String::new()
            } else {
                format!("?session={}", crate::fetch::encode(&name))
            };
            let _ = window.location().set_search(&search);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = name;
    };
    let options = move || {
        let viewing = source.viewing.get();
        source
            .sessions
            .get()
            .into_iter()
            .map(|s| {
                let value = if s.live {
                    String::new()
                } else {
                    s.name.clone()
                };
                let selected = match &viewing {
                    Some(v) => *v == s.name,
                    None => s.live,
                };
                let label = format!(
                    "{}{} · {}",
                    s.name,
                    if s.live { " (live)" } else { "" },
                    size(s.bytes)
                );
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <select class="session-picker" data-role="session-picker" aria-label="Session" on:change=on_change>
            {options}
        </select>
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1 << 20 => format!("{:.0} kB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
    }
}

/// Asks the server which flows contain the search text, a moment after the
/// user stops typing.
pub fn search(flows: FlowsUi, source: SourceUi) {
    #[cfg(feature = "hydrate")]
    {
        let generation = StoredValue::new(0u64);
        Effect::new(move |_| {
            let text = flows.search.get();
            generation.update_value(|g| *g += 1);
            let mine = generation.get_value();
            if text.trim().is_empty() {
                flows.matches.set(None);
                return;
            }
            set_timeout(
                move || {
                    if generation.get_value() != mine {
                        return;
                    }
                    let session = source.viewing.get_untracked();
                    leptos::task::spawn_local(async move {
                        let url = crate::fetch::session_url(
                            &format!("/api/search?q={}", crate::fetch::encode(&text)),
                            session.as_deref(),
                        );
                        let found = if source.report.get_untracked() {
                            crate::report::search(&text).await
                        } else {
                            crate::fetch::get_json::<shared::api::SearchResult>(&url)
                                .await
                                .map(|found| {
                                    found.flows.iter().map(|f| f.as_str().to_owned()).collect()
                                })
                        };
                        match found {
                            Ok(ids) if generation.get_value() == mine => {
                                flows.matches.set(Some(ids.into_iter().collect()));
                            }
                            Ok(_) => {}
                            Err(e) => leptos::logging::warn!("trace_claude: search failed: {e}"),
                        }
                    });
                },
                std::time::Duration::from_millis(200),
            );
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (flows, source);
}

/// Downloads of the shown session: the log itself, HAR for other HTTP
/// tools, and the self-contained HTML report.
#[component]
pub fn Downloads(source: SourceUi) -> impl IntoView {
    let href = move |format: &'static str| {
        move || {
            let session = source.viewing.get();
            crate::fetch::session_url(&format!("/api/export/{format}"), session.as_deref())
        }
    };
    view! {
        <Show when=move || !source.report.get()>
            <nav class="downloads" aria-label="Download this session">
                <span class="label">"Download"</span>
                <a data-download="jsonl" href=href("jsonl") download>"JSONL"</a>
                <a data-download="har" href=href("har") download>"HAR"</a>
                <a data-download="html" href=href("html") download>"HTML report"</a>
            </nav>
        </Show>
    }
}
