//! The HTML document the server sends, and its Content-Security-Policy.

use leptos::hydration::{AutoReload, HydrationScripts};
use leptos::prelude::*;

use crate::App;

/// The page: the app rendered inside a document whose only scripts are the
/// hydration module (allowed by a per-response nonce) and the WebAssembly it
/// loads. Nothing from the traffic can run: the CSP forbids any other script.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        // `cargo leptos watch` reloads the page through a websocket.
        let reload = match std::env::var("LEPTOS_WATCH") {
            Ok(_) => format!(" ws://127.0.0.1:{}", options.reload_port),
            Err(_) => String::new(),
        };
        let csp = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'{reload}; object-src 'none'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
        );
        if let Ok(value) = http::HeaderValue::from_str(&csp) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    let css = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"trace_claude"</title>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <link rel="stylesheet" href=css/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
