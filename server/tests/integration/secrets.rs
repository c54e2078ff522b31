//! Keys and prompts stay the user's: credentials are redacted everywhere they
//! could surface, the servers listen on loopback only unless told otherwise,
//! the UI trusts no other origin and runs nothing from the traffic, and
//! nothing is written outside the sessions directory, readable by its owner only.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use testkit::{client, ended_events as ended, MockUpstream, TraceClaude};

use crate::util::{bin, mock_and_proxy, read_ok, scenario};

const WAIT: Duration = Duration::from_secs(20);

/// Every secret holds this marker in its middle; redaction keeps only a
/// 4-character tail, so the marker must appear nowhere.
const MARK: &str = "LEAKED";

fn secret(name: &str) -> String {
    format!("sk-ant-api03-{MARK}-{name}-0123456789abcdef-TAIL")
}

/// Sends a request carrying a secret in every place a credential can be.
async fn send_secrets(proxy: &str, scenario: &str) -> reqwest::Response {
    client()
        .post(format!(
            "{proxy}/v1/messages?beta=true&api_key={}&key={}&access_token={}",
            secret("query-api-key"),
            secret("query-key"),
            secret("query-token")
        ))
        .header("x-mock-scenario", scenario)
        .header("x-api-key", secret("x-api-key"))
        .header(
            "authorization",
            format!("Bearer {}", secret("authorization")),
        )
        .header(
            "proxy-authorization",
            format!("Basic {}", secret("proxy-authorization")),
        )
        .header("cookie", format!("session={}", secret("cookie")))
        .header("x-mock-set-cookie", "send the cookie back")
        .body(r#"{"model":"m","stream":true}"#)
        .send()
        .await
        .unwrap()
}

/// Everything the UI's API answers: the events, the live stream, the session.
async fn api_answers(tc: &TraceClaude) -> String {
    let web = tc.web_url();
    let mut text = String::new();
    for path in ["/api/events", "/api/session"] {
        let response = client().get(format!("{web}{path}")).send().await.unwrap();
        text.push_str(&response.text().await.unwrap());
    }
    let mut stream = client()
        .get(format!("{web}/api/events/stream"))
        .send()
        .await
        .unwrap();
    let expected = tc.events().len();
    while text.matches("\nid: ").count() < expected {
        match tokio::time::timeout(WAIT, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("the event stream ended early: {other:?}"),
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_appear_nowhere_in_the_log_the_api_or_stderr_unless_no_redact() {
    let (mock, tc) = mock_and_proxy().await;
    // A flow that completes (its answer sets a cookie), one cut mid-stream,
    // and one whose upstream cannot be reached: the error messages must not
    // carry the request's URL with its keys.
    let echoed = send_secrets(&tc.proxy_url(), "json").await;
    assert_eq!(
        echoed.headers()["set-cookie"],
        format!("session={}", secret("cookie")).as_str()
    );
    echoed.bytes().await.unwrap();
    let reset = send_secrets(&tc.proxy_url(), "reset").await;
    let _ = reset.bytes().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = TraceClaude::start(bin(), &nowhere, &[]).unwrap();
    assert_eq!(send_secrets(&down.proxy_url(), "echo").await.status(), 502);

    // The upstream got every credential as sent.
    let seen = &mock.state.requests()[0];
    assert_eq!(seen.header("x-api-key"), Some(secret("x-api-key").as_str()));
    assert!(seen.path.contains(&secret("query-key")));

    tc.wait_for(WAIT, |e| ended(e) == 2);
    down.wait_for(WAIT, |e| ended(e) == 1);
    for proxy in [&tc, &down] {
        let log = std::fs::read_to_string(&proxy.log_path).unwrap();
        assert!(!log.contains(MARK), "a secret is in the log:\n{log}");
        let api = api_answers(proxy).await;
        assert!(
            !api.contains(MARK),
            "a secret is in the API's answers:\n{api}"
        );
        let stderr = proxy.stderr();
        assert!(!stderr.contains(MARK), "a secret is on stderr:\n{stderr}");
    }
    // What the log keeps: the scheme and a tail to tell keys apart.
    let events = tc.events();
    let request = &events[0];
    assert_eq!(request["headers"]["x-api-key"], "sk-ant-…TAIL");
    assert_eq!(request["headers"]["authorization"], "Bearer …TAIL");
    assert_eq!(request["headers"]["proxy-authorization"], "Basic …TAIL");
    assert_eq!(request["headers"]["cookie"], "…TAIL");
    assert!(request["path"]
        .as_str()
        .unwrap()
        .contains("api_key=sk-ant-…TAIL&key=sk-ant-…TAIL&access_token=sk-ant-…TAIL"));
    assert_eq!(events[1]["headers"]["set-cookie"], "…TAIL");

    // --no-redact, and only it, keeps them.
    let plain = TraceClaude::start(bin(), &mock.url(), &["--no-redact"]).unwrap();
    send_secrets(&plain.proxy_url(), "echo")
        .await
        .bytes()
        .await
        .unwrap();
    plain.wait_for(WAIT, |e| ended(e) == 1);
    let log = std::fs::read_to_string(&plain.log_path).unwrap();
    for place in ["x-api-key", "authorization", "cookie", "query-key"] {
        assert!(
            log.contains(&secret(place)),
            "{place} is not kept with --no-redact"
        );
    }
}

fn connects(addr: &str) -> bool {
    std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2)).is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn both_servers_listen_on_loopback_only_unless_bind_says_otherwise_with_a_warning() {
    let (mock, tc) = mock_and_proxy().await;
    // 127.0.0.2 is this machine too, but not the address listened on: a
    // server bound to every address would answer there.
    for port in [tc.proxy_port, tc.web_port] {
        assert!(connects(&format!("127.0.0.1:{port}")));
        assert!(
            !connects(&format!("127.0.0.2:{port}")),
            "port {port} listens beyond 127.0.0.1"
        );
    }
    assert!(
        !tc.stderr().contains("rather than loopback"),
        "no warning by default: {}",
        tc.stderr()
    );

    let open = TraceClaude::start(bin(), &mock.url(), &["--bind", "0.0.0.0"]).unwrap();
    for port in [open.proxy_port, open.web_port] {
        assert!(connects(&format!("127.0.0.2:{port}")));
    }
    let warning = open.stderr();
    assert!(
        warning.contains("warning: listening on 0.0.0.0 rather than loopback"),
        "{warning}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_trusts_no_other_origin_and_never_serves_traffic_as_html() {
    let (_mock, tc) = mock_and_proxy().await;
    let payload = "<script>alert('xss')</script><img src=x onerror=alert(1)>";
    client()
        .post(format!("{}/v1/messages?q={payload}", tc.proxy_url()))
        .header("x-mock-scenario", "text")
        .header("x-mock-text", payload)
        .header("x-evil", payload)
        .body(format!(r#"{{"model":"{payload}","stream":true}}"#))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    tc.wait_for(WAIT, |e| ended(e) == 1);

    let web = tc.web_url();
    for path in [
        "/",
        "/api/events",
        "/api/session",
        "/%3Cscript%3Ealert('xss')%3C/script%3E",
        "/api/%3Cscript%3E",
    ] {
        let response = client().get(format!("{web}{path}")).send().await.unwrap();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        let json = path.starts_with("/api/events") || path == "/api/session";
        if json {
            // JSON may hold the markup as text; it is never served as HTML.
            assert_eq!(headers["content-type"], "application/json", "{path}");
        } else {
            assert!(
                !body.contains("<script>alert"),
                "{path} reflects a script: {body:.300}"
            );
            assert!(!body.contains("<img src=x"), "{path} reflects markup");
        }
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.get("access-control-allow-origin").is_none());
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src"), "{path}: {csp}");
        let sources: Vec<&str> = csp.split([';', ' ']).collect();
        for lax in ["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"] {
            assert!(!sources.contains(&lax), "{path}: {csp} allows {lax}");
        }
    }

    // Foreign hosts (DNS rebinding) and other origins get nothing.
    for path in ["/", "/api/events", "/api/session", "/api/log_health/stream"] {
        let foreign = client()
            .get(format!("{web}{path}"))
            .header("host", format!("rebound.example:{}", tc.web_port))
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 403, "{path}");
        let cross = client()
            .get(format!("{web}{path}"))
            .header("origin", "http://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(cross.status(), 403, "{path}");
    }
}

/// Every file and directory under `dir`, recursively.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(tree(&path));
        }
        out.push(path);
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_is_private_even_with_umask_0_and_nothing_is_written_elsewhere() {
    let mock = MockUpstream::start().await.unwrap();
    let root = tempfile::tempdir().unwrap();
    let (cwd, home, tmp) = (
        root.path().join("cwd"),
        root.path().join("home"),
        root.path().join("tmp"),
    );
    for dir in [&cwd, &home, &tmp] {
        std::fs::create_dir(dir).unwrap();
    }
    let sessions = root.path().join("cwd/sessions");
    let mut tc = TraceClaude::start_with(bin(), &mock.url(), Some(&sessions), &[], |command| {
        command
            .current_dir(&cwd)
            .env("HOME", &home)
            .env("TMPDIR", &tmp)
            .env("XDG_CACHE_HOME", home.join(".cache"));
        // SAFETY: umask is async-signal-safe, as pre_exec requires.
        unsafe {
            command.pre_exec(|| {
                libc::umask(0);
                Ok(())
            });
        }
    })
    .unwrap();
    assert!(tc.log_path.starts_with(&sessions));
    read_ok(scenario(&tc.proxy_url(), "text")).await;
    client()
        .get(format!("{}/api/events", tc.web_url()))
        .send()
        .await
        .unwrap();
    tc.wait_for(WAIT, |e| ended(e) == 1);
    assert!(tc.signal_and_wait("INT").unwrap().success());

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&tc.log_path), 0o600, "the log is for its owner only");
    assert_eq!(mode(&sessions), 0o700, "so is the sessions directory");
    let written = tree(root.path());
    let expected = vec![
        cwd.clone(),
        sessions.clone(),
        tc.log_path.clone(),
        home.clone(),
        tmp.clone(),
    ];
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(
        written, expected_sorted,
        "files written outside the session log"
    );
}
