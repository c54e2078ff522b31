//! Forward capture: the proxy as `HTTPS_PROXY`. Anthropic's hosts are played
//! by the HTTPS mock on a loopback address of their own (port 443: CI runs
//! as root), reached through `--resolve` and trusted through
//! `--upstream-ca`; clients trust the proxy's CA, as `run --mitm` makes
//! Claude Code do. Each test takes its own 127.0.0.x so they run side by side.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use testkit::binary::{flow_events, shape};
use testkit::{MockUpstream, TraceClaude, OAUTH_ACCESS_TOKEN, OAUTH_REFRESH_TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::util::{bin, API_KEY};

const WAIT: Duration = Duration::from_secs(15);

/// The mock standing in for Anthropic's hosts on `ip`:443, and the proxy
/// sending those hosts there.
async fn anthropic_on(ip: &str, extra: &[&str]) -> (MockUpstream, TraceClaude) {
    anthropic_with_state(ip, extra, None).await
}

/// Like [`anthropic_on`], keeping the proxy's state in `state` (one that
/// outlives the proxy, for a restart) rather than in the test's directory.
async fn anthropic_with_state(
    ip: &str,
    extra: &[&str],
    state: Option<&Path>,
) -> (MockUpstream, TraceClaude) {
    let addr: SocketAddr = format!("{ip}:443").parse().unwrap();
    let mock = MockUpstream::start_tls_on(addr, &["api.anthropic.com", "platform.claude.com"])
        .await
        .expect("the HTTPS mock binds port 443 of a loopback address, which needs root");
    let ca = mock.tls.as_ref().unwrap().file.to_str().unwrap().to_owned();
    let mut args = vec![
        "--resolve".to_owned(),
        format!("api.anthropic.com:443:{ip}"),
        "--resolve".to_owned(),
        format!("platform.claude.com:443:{ip}"),
        "--upstream-ca".to_owned(),
        ca,
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let tc = TraceClaude::start_with(bin(), &mock.url(), None, &args, |command| {
        if let Some(state) = state {
            command.env("TRACE_CLAUDE_STATE_DIR", state);
        }
    })
    .unwrap();
    (mock, tc)
}

/// What the proxy left for `run --mitm`: its token and its CA certificate.
fn proxy_state(tc: &TraceClaude) -> (String, PathBuf) {
    proxy_state_in(&tc.dir.path().join("state"), tc.proxy_port)
}

fn proxy_state_in(base: &Path, port: u16) -> (String, PathBuf) {
    let dir = base.join(format!("proxy-{port}"));
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("proxy.json")).unwrap()).unwrap();
    (
        state["token"].as_str().unwrap().to_owned(),
        PathBuf::from(state["ca_cert"].as_str().unwrap()),
    )
}

/// A client configured as `run --mitm` configures Claude Code.
fn through_proxy(tc: &TraceClaude, token: &str, ca: &Path) -> reqwest::Client {
    testkit::install_crypto_provider();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    let proxy = reqwest::Proxy::https(format!(
        "http://trace_claude:{token}@127.0.0.1:{}",
        tc.proxy_port
    ))
    .unwrap();
    reqwest::Client::builder()
        .proxy(proxy)
        .tls_certs_only([ca])
        .build()
        .unwrap()
}

fn requests_to<'a>(events: &'a [Value], host: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["type"] == "request" && e["host"] == host)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_anthropic_host_is_decrypted_forwarded_and_recorded_with_its_host() {
    let (mock, tc) = anthropic_on("127.0.0.2", &[]).await;
    let (token, ca) = proxy_state(&tc);
    let client = through_proxy(&tc, &token, &ca);
    let answer = client
        .post("https://api.anthropic.com/v1/messages?beta=true")
        .header("x-api-key", API_KEY)
        .header("x-mock-scenario", "text")
        .body(r#"{"model":"m","stream":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.text().await.unwrap().contains("event: message_stop"));

    // The host got the request as sent, without the proxy's token.
    let seen = mock.state.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/messages?beta=true");
    assert_eq!(seen[0].header("x-api-key"), Some(API_KEY));
    assert_eq!(seen[0].header("proxy-authorization"), None);
    assert_eq!(seen[0].header("host"), Some("api.anthropic.com"));

    let events = tc.wait_for(WAIT, |events| testkit::ended_events(events) >= 1);
    let requests = requests_to(&events, "api.anthropic.com");
    assert_eq!(requests.len(), 1, "{events:?}");
    let request = requests[0];
    assert_eq!(request["mode"], "forward");
    assert_eq!(request["headers"]["host"], "api.anthropic.com");
    assert_ne!(
        request["headers"]["x-api-key"], API_KEY,
        "the key is redacted"
    );
    let flow = flow_events(&events, request["flow_id"].as_str().unwrap());
    assert_eq!(shape(&flow).last().map(String::as_str), Some("stream_end"));
    let log = std::fs::read_to_string(&tc.log_path).unwrap();
    assert!(!log.contains(&token), "the proxy's token is in the log");

    // Reverse mode on the same proxy, at the same time: told apart.
    let reverse =
        crate::util::claude_request(&tc.proxy_url(), "text").body(r#"{"model":"m","stream":true}"#);
    crate::util::read_ok(reverse).await;
    let events = tc.wait_for(WAIT, |events| testkit::ended_events(events) >= 2);
    let modes: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "request")
        .map(|e| &e["mode"])
        .collect();
    assert_eq!(modes, [&Value::from("forward"), &Value::from("reverse")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_token_the_forward_proxy_answers_407_and_opens_nothing() {
    let (mock, tc) = anthropic_on("127.0.0.3", &[]).await;
    let (token, _) = proxy_state(&tc);
    let wrong = format!(
        "Basic {}",
        base64_of(&format!("trace_claude:{}", token.to_uppercase() + "0"))
    );
    for auth in [None, Some(wrong.as_str()), Some("Bearer nope")] {
        let mut stream = TcpStream::connect(("127.0.0.1", tc.proxy_port))
            .await
            .unwrap();
        let mut head =
            "CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n".to_owned();
        if let Some(auth) = auth {
            head.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let n = tokio::time::timeout(WAIT, stream.read(&mut answer))
            .await
            .unwrap()
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]).to_lowercase();
        assert!(answer.starts_with("http/1.1 407"), "{auth:?}: {answer}");
        assert!(answer.contains("proxy-authenticate: basic"), "{answer}");
    }
    // Nor as an absolute-URI request (HTTP_PROXY style).
    let plain = reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(format!("http://127.0.0.1:{}", tc.proxy_port)).unwrap())
        .build()
        .unwrap();
    let refused = plain.get("http://example.test/").send().await.unwrap();
    assert_eq!(refused.status(), 407);
    assert!(mock.state.requests().is_empty());
    // Refusals are not recorded: another program's probing is not the user's traffic.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(tc.events().is_empty(), "{:?}", tc.events());
}

#[tokio::test(flavor = "multi_thread")]
async fn another_host_is_tunnelled_untouched_and_logged_as_a_tunnel() {
    // An echo server standing in for a telemetry host.
    let echo = TcpListener::bind("127.0.0.4:0").await.unwrap();
    let port = echo.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = echo.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = socket.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    let resolve = format!("intake.example.test:{port}:127.0.0.4");
    let (_mock, tc) = anthropic_on("127.0.0.5", &["--resolve", &resolve]).await;
    let (token, _) = proxy_state(&tc);
    let mut stream = TcpStream::connect(("127.0.0.1", tc.proxy_port))
        .await
        .unwrap();
    let head = format!(
        "CONNECT intake.example.test:{port} HTTP/1.1\r\nHost: intake.example.test:{port}\r\nProxy-Authorization: Basic {}\r\n\r\n",
        base64_of(&format!("trace_claude:{token}"))
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = stream.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    // Bytes that are no protocol at all pass through unchanged.
    let payload = b"\x16\x03\x01 opaque bytes, not decrypted".repeat(100);
    stream.write_all(&payload).await.unwrap();
    let mut back = vec![0u8; payload.len()];
    stream.read_exact(&mut back).await.unwrap();
    assert_eq!(back, payload);
    drop(stream);

    let events = tc.wait_for(WAIT, |events| events.iter().any(|e| e["type"] == "tunnel"));
    let tunnel = events.iter().find(|e| e["type"] == "tunnel").unwrap();
    assert_eq!(tunnel["host"], "intake.example.test");
    assert_eq!(tunnel["port"], port);
    assert_eq!(tunnel["bytes_up"], payload.len());
    assert_eq!(tunnel["bytes_down"], payload.len());
    assert!(tunnel["started"].as_str() <= tunnel["ended"].as_str());
    assert!(tunnel.get("error").is_none(), "{tunnel}");

    // The flow list shows it as a CONNECT to that host.
    let flows = crate::util::get_json(&format!("{}/api/flows", tc.web_url())).await;
    let row = &flows["flows"][0];
    assert_eq!(row["method"], "CONNECT");
    assert_eq!(row["host"], "intake.example.test");
    assert_eq!(row["tunnel_bytes"]["up"], payload.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_tokens_of_a_sign_in_are_redacted_in_the_log_and_reach_the_client_whole() {
    let (_mock, tc) = anthropic_on("127.0.0.6", &[]).await;
    let (token, ca) = proxy_state(&tc);
    let client = through_proxy(&tc, &token, &ca);
    let refresh = "sk-ant-ort01-CLIENTSIDErefreshCLIENTSIDErefresh-cccc";
    let answer: Value = client
        .post("https://platform.claude.com/v1/oauth/token")
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"grant_type":"refresh_token","refresh_token":"{refresh}","client_id":"c"}}"#
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["access_token"], OAUTH_ACCESS_TOKEN,
        "the client gets its token"
    );
    tc.wait_for(WAIT, |events| testkit::ended_events(events) >= 1);
    let log = std::fs::read_to_string(&tc.log_path).unwrap();
    for secret in [OAUTH_ACCESS_TOKEN, OAUTH_REFRESH_TOKEN, refresh] {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
    let events = tc.events();
    let request = requests_to(&events, "platform.claude.com")[0];
    assert_eq!(request["body"]["grant_type"], "refresh_token");
    assert_eq!(request["body"]["refresh_token"], "sk-ant-…cccc");
    let response = events.iter().find(|e| e["type"] == "response").unwrap();
    assert_eq!(response["body"]["access_token"], "sk-ant-…aaaa");
    assert_eq!(response["body"]["expires_in"], 28800);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ca_is_private_name_constrained_and_survives_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let (mock, tc) = anthropic_with_state(
        "127.0.0.7",
        &["--intercept", "mcp.example.test"],
        Some(state.path()),
    )
    .await;
    let dir = state.path().join(format!("proxy-{}", tc.proxy_port));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("ca")), 0o700);
    assert_eq!(mode(&dir.join("ca/ca-key.pem")), 0o600);
    assert_eq!(mode(&dir.join("token")), 0o600);
    // The key is nowhere but there: not in the log, not beside the certificate.
    let (token, ca) = proxy_state_in(state.path(), tc.proxy_port);
    assert!(!std::fs::read_to_string(&ca)
        .unwrap()
        .contains("PRIVATE KEY"));
    assert!(!std::fs::read_to_string(&tc.log_path)
        .unwrap()
        .contains("PRIVATE KEY"));

    // The CA may vouch only for the intercepted hosts: a certificate it
    // signs for any other name is refused by a verifying client.
    let intercepted: Vec<String> = shared::hosts::FIRST_PARTY
        .iter()
        .map(|h| h.to_string())
        .chain(["mcp.example.test".to_owned()])
        .collect();
    let authority = proxy::mitm::Authority::load_or_create(&dir.join("ca"), &intercepted).unwrap();
    assert_eq!(
        std::fs::read_to_string(&ca).unwrap(),
        authority.cert_pem(),
        "the same CA"
    );
    for (host, trusted) in [("mcp.example.test", true), ("evil.example.test", false)] {
        let result = tls_handshake(&authority, host, &ca).await;
        assert_eq!(result.is_ok(), trusted, "{host}: {result:?}");
        if let Err(e) = result {
            assert!(e.to_lowercase().contains("name"), "{host}: {e}");
        }
    }

    // A client set up against this proxy keeps working when it restarts on
    // the same port: same token, same CA.
    let client = through_proxy(&tc, &token, &ca);
    let call = || {
        client
            .post("https://api.anthropic.com/v1/messages")
            .header("x-mock-scenario", "text")
            .body(r#"{"model":"m","stream":true}"#)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 200);
    let port = tc.proxy_port;
    let mock_url = "https://127.0.0.7:443".to_owned();
    let mock_ca = mock.tls.as_ref().unwrap().file.to_str().unwrap().to_owned();
    drop(tc);
    let again = TraceClaude::start_with(
        bin(),
        &mock_url,
        None,
        &[
            "--port",
            &port.to_string(),
            "--resolve",
            "api.anthropic.com:443:127.0.0.7",
            "--upstream-ca",
            &mock_ca,
            "--intercept",
            "mcp.example.test",
        ],
        |command| {
            command.env("TRACE_CLAUDE_STATE_DIR", state.path());
        },
    )
    .unwrap();
    let second = call().await.unwrap();
    assert_eq!(
        second.status(),
        200,
        "the restarted proxy refused the old client"
    );
    second.text().await.unwrap();
    again.wait_for(WAIT, |events| testkit::ended_events(events) >= 1);
}

/// A TLS server presenting `authority`'s certificate for `host`, and a
/// client that trusts only the CA: the handshake's outcome.
async fn tls_handshake(
    authority: &proxy::mitm::Authority,
    host: &str,
    ca: &Path,
) -> Result<(), String> {
    let config = authority.server_config(host).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((socket, _)) = listener.accept().await {
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            if let Ok(mut tls) = acceptor.accept(socket).await {
                let mut request = [0u8; 4096];
                let _ = tls.read(&mut request).await;
                let _ = tls
                    .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            }
        }
    });
    testkit::install_crypto_provider();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .resolve(host, addr)
        .build()
        .unwrap();
    client
        .get(format!("https://{host}:{}/", addr.port()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        })
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_websocket_inside_an_intercepted_host_passes_through_and_its_messages_are_recorded() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let (mock, tc) = anthropic_on("127.0.0.9", &[]).await;
    let (token, ca) = proxy_state(&tc);
    // As Claude Code opens Remote Control's socket: CONNECT, TLS trusting
    // the proxy's CA, then the upgrade.
    let mut tcp = TcpStream::connect(("127.0.0.1", tc.proxy_port))
        .await
        .unwrap();
    let head = format!(
        "CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\nProxy-Authorization: Basic {}\r\n\r\n",
        base64_of(&format!("trace_claude:{token}"))
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tcp.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    testkit::install_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    let der =
        <rustls::pki_types::CertificateDer as rustls::pki_types::pem::PemObject>::from_pem_file(
            &ca,
        )
        .unwrap();
    roots.add(der).unwrap();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect("api.anthropic.com".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let (mut ws, response) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::client_async("wss://api.anthropic.com/v1/sessions/ws", tls),
    )
    .await
    .expect("the upgrade got no answer")
    .unwrap();
    assert_eq!(response.status(), 101);
    let hello = r#"{"type":"hello","session_key":"sk-ant-sid01-SOCKETSECRETsocketsecret-dddd"}"#;
    ws.send(Message::text(hello)).await.unwrap();
    let echoed = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("no echo")
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(echoed.to_text().unwrap()).unwrap()["echo"],
        hello,
        "the host got the message as sent, and its answer came back"
    );
    ws.close(None).await.unwrap();
    let closing = async { while let Some(Ok(_)) = ws.next().await {} };
    if tokio::time::timeout(Duration::from_secs(3), closing)
        .await
        .is_err()
    {
        panic!(
            "the close got no answer; logged: {:#?}",
            tc.events()
                .iter()
                .map(|e| format!("{} {} {}", e["type"], e["from"], e["kind"]))
                .collect::<Vec<_>>()
        );
    }
    drop(ws);
    assert_eq!(mock.state.requests()[0].path, "/v1/sessions/ws");

    let events = tc.wait_for(WAIT, |events| testkit::ended_events(events) >= 1);
    let request = requests_to(&events, "api.anthropic.com")[0];
    let flow = flow_events(&events, request["flow_id"].as_str().unwrap());
    let kinds: Vec<String> = flow
        .iter()
        .map(|e| match e["type"].as_str().unwrap() {
            "websocket" => format!(
                "ws:{}:{}",
                e["from"].as_str().unwrap(),
                e["kind"].as_str().unwrap()
            ),
            other => other.to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "request",
            "response_headers",
            "ws:client:text",
            "ws:server:text",
            "ws:client:close",
            "ws:server:close",
            "stream_end"
        ]
    );
    assert_eq!(flow[1]["status_code"], 101);
    assert_eq!(flow[2]["data"]["type"], "hello");
    assert_eq!(
        flow[2]["data"]["session_key"], "sk-ant-…dddd",
        "{}",
        flow[2]
    );
    // The echo holds the key as a string inside a string: not a credential
    // field, and the host's own words; kept.
    assert!(flow[3]["data"]["echo"]
        .as_str()
        .unwrap()
        .contains("\"type\":\"hello\""));
}
