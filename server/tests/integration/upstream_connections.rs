//! The proxy's own HTTP/1.1 client against a hand-written upstream that
//! counts its connections: kept-alive connections are reused, one the
//! upstream closed while idle is never used for a request, interim answers
//! are skipped, and a response that is not HTTP is a clear 502.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use testkit::TraceClaude;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use testkit::client;

use crate::util::bin;

/// What the upstream does with each request on a connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Answers and keeps the connection open.
    KeepAlive,
    /// Answers, then closes the connection after a moment, as a server
    /// closes an idle keep-alive connection.
    CloseWhenIdle,
    /// `100 Continue`, then the answer.
    ContinueFirst,
    /// A chunked body that also claims a length, which chunking overrides.
    ChunkedWithLength,
    /// Not HTTP at all.
    Garbage,
}

/// A one-host upstream on 127.0.0.1; returns its URL and a count of the
/// connections it accepted.
async fn upstream(behaviour: Behaviour) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(socket, behaviour));
        }
    });
    (url, accepted)
}

async fn serve(mut socket: TcpStream, behaviour: Behaviour) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // One request: its head, then as many body bytes as it declares.
        let head_end = loop {
            if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        };
        let head = String::from_utf8_lossy(&seen[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while seen.len() < head_end + length {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        seen.drain(..head_end + length);
        let answer: &[u8] = match behaviour {
            Behaviour::Garbage => b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
            Behaviour::ChunkedWithLength => {
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\ncontent-length: 999\r\n\r\n6\r\n{\"ok\":\r\n5\r\ntrue}\r\n0\r\n\r\n"
            }
            Behaviour::ContinueFirst => {
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"ok\":true}"
            }
            _ => b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"ok\":true}",
        };
        if socket.write_all(answer).await.is_err() {
            return;
        }
        match behaviour {
            Behaviour::CloseWhenIdle => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                return;
            }
            Behaviour::Garbage => return,
            _ => {}
        }
    }
}

async fn call(tc: &TraceClaude) -> (u16, String) {
    let response = client()
        .post(format!("{}/v1/messages", tc.proxy_url()))
        .header("content-type", "application/json")
        .body(r#"{"model":"m"}"#)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_one_after_another_share_one_upstream_connection() {
    let (url, accepted) = upstream(Behaviour::KeepAlive).await;
    let tc = TraceClaude::start(bin(), &url, &[]).unwrap();
    for _ in 0..5 {
        assert_eq!(call(&tc).await, (200, r#"{"ok":true}"#.to_owned()));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_the_upstream_closed_while_idle_is_not_used_again() {
    let (url, accepted) = upstream(Behaviour::CloseWhenIdle).await;
    let tc = TraceClaude::start(bin(), &url, &[]).unwrap();
    for _ in 0..3 {
        assert_eq!(call(&tc).await, (200, r#"{"ok":true}"#.to_owned()));
        // Longer than the upstream keeps an idle connection.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    let log = std::fs::read_to_string(&tc.log_path).unwrap();
    assert!(!log.contains(r#""type":"error""#), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interim_100_continue_is_skipped_for_the_answer_after_it() {
    let (url, _) = upstream(Behaviour::ContinueFirst).await;
    let tc = TraceClaude::start(bin(), &url, &[]).unwrap();
    assert_eq!(call(&tc).await, (200, r#"{"ok":true}"#.to_owned()));
    assert_eq!(call(&tc).await, (200, r#"{"ok":true}"#.to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_body_that_also_claims_a_length_reaches_the_client_whole() {
    let (url, _) = upstream(Behaviour::ChunkedWithLength).await;
    let tc = TraceClaude::start(bin(), &url, &[]).unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), call(&tc))
        .await
        .expect("the answer does not wait for 999 bytes");
    assert_eq!(answer, (200, r#"{"ok":true}"#.to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_that_does_not_speak_http_is_a_502_that_says_so() {
    let (url, _) = upstream(Behaviour::Garbage).await;
    let tc = TraceClaude::start(bin(), &url, &[]).unwrap();
    let (status, body) = call(&tc).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("not HTTP/1.1"), "{body}");
    tc.wait_for(Duration::from_secs(10), |events| {
        events
            .iter()
            .any(|e| e["type"] == "error" && e["status_code"] == 502)
    });
}
