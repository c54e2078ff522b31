//! Hydrates the server-rendered page: from here on the `app` components run
//! in the browser and follow the event stream.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

/// Renders a report file (`trace_claude export --html`): there is no server
/// page to hydrate, so the app is mounted fresh on its own data.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn report() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
