//! The page as a self-contained report file (`trace_claude export --html`):
//! the same app, its data embedded in the file instead of served.
//!
//! The file's loader (see the server's `report` module) leaves the flow
//! summaries in `#tc-report` and exposes `traceClaudeReport.flow(id)` and
//! `.search(text)`, which decompress the embedded flows on demand, so a
//! 100 MB session opens without unpacking every body.

/// True when this page is a report file rather than a served page.
#[cfg(feature = "hydrate")]
pub fn is_report() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("tc-report"))
        .is_some()
}

/// The embedded summaries, shaped as `/api/flows` answers.
#[cfg(feature = "hydrate")]
pub fn payload<T: serde::de::DeserializeOwned>() -> Result<T, String> {
    let text = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("tc-report"))
        .and_then(|e| e.text_content())
        .ok_or("this report has no data")?;
    serde_json::from_str(&text).map_err(|e| format!("this report's data is unreadable: {e}"))
}

/// Calls `traceClaudeReport[name](arg)` and awaits its promise.
#[cfg(feature = "hydrate")]
async fn call(name: &str, arg: &str) -> Result<wasm_bindgen::JsValue, String> {
    use wasm_bindgen::{JsCast, JsValue};
    let global = js_sys::global();
    let api = js_sys::Reflect::get(&global, &JsValue::from_str("traceClaudeReport"))
        .map_err(|_| "the report's loader is missing".to_owned())?;
    let function: js_sys::Function = js_sys::Reflect::get(&api, &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| format!("the report's loader has no {name}"))?;
    let promise: js_sys::Promise = function
        .call1(&api, &JsValue::from_str(arg))
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| format!("{name} did not answer a promise"))?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| format!("{e:?}"))
}

/// One flow's events, unpacked from the file.
#[cfg(feature = "hydrate")]
pub async fn flow<T: serde::de::DeserializeOwned>(id: &str) -> Result<T, String> {
    let text = call("flow", id).await?.as_string().unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| format!("unreadable flow: {e}"))
}

/// The ids of the flows whose events contain `text`.
#[cfg(feature = "hydrate")]
pub async fn search(text: &str) -> Result<Vec<String>, String> {
    let found = call("search", text).await?;
    Ok(js_sys::Array::from(&found)
        .iter()
        .filter_map(|v| v.as_string())
        .collect())
}
