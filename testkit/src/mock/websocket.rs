//! A WebSocket endpoint on the mock, as Remote Control's would be: it
//! answers each text message with `{"echo": MESSAGE}` and a close with a close.

use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::body::MockResponse;
use super::SeenRequest;

pub(crate) fn wants_upgrade(req: &hyper::Request<Incoming>) -> bool {
    req.headers()
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

pub(crate) fn echo(seen: &SeenRequest, upgrade: OnUpgrade) -> MockResponse {
    let accept = derive_accept_key(seen.header("sec-websocket-key").unwrap_or("").as_bytes());
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        // tungstenite answers a close itself as the stream is read on, and
        // then ends it.
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                let reply = serde_json::json!({ "echo": text.as_str() }).to_string();
                if ws.send(Message::text(reply)).await.is_err() {
                    return;
                }
            }
        }
    });
    let mut response = hyper::Response::new(
        http_body_util::Empty::new()
            .map_err(|never: std::convert::Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = hyper::StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        "upgrade",
        hyper::header::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        "connection",
        hyper::header::HeaderValue::from_static("Upgrade"),
    );
    if let Ok(value) = hyper::header::HeaderValue::from_str(&accept) {
        headers.insert("sec-websocket-accept", value);
    }
    response
}
