//! The command line as docs/INTERFACE.md fixes it, run as a user runs it.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use testkit::binary::FREE_PORTS;
use testkit::{MockUpstream, TraceClaude};

use crate::util::{assert_one_line_error, bin, mock_and_proxy, run, scenario};

/// `trace_claude listen` on free ports, writing into `sessions`, plus `extra`.
fn listen_command(sessions: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(bin());
    command
        .arg("listen")
        .args(FREE_PORTS)
        .arg("--sessions-dir")
        .arg(sessions)
        .args(extra)
        .stdin(Stdio::null())
        .env("TRACE_CLAUDE_STATE_DIR", crate::util::test_state_dir());
    command
}

fn listen(sessions: &Path, extra: &[&str]) -> Output {
    listen_command(sessions, extra).output().unwrap()
}

#[test]
fn help_lists_the_commands_and_flags() {
    let out = run(["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["listen", "run"] {
        assert!(text.contains(word), "{text}");
    }
    let out = run(["listen", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--port",
        "--web-port",
        "--sessions-dir",
        "--upstream",
        "--no-redact",
        "[default: 8000]",
        "[default: 8001]",
        "TRACE_CLAUDE_UPSTREAM",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
}

#[test]
fn usage_errors_are_one_line() {
    assert_one_line_error(&run(["listen", "--bogus"]), "--bogus");
    assert_one_line_error(&run(["listen", "--port", "seventy"]), "seventy");
    assert_one_line_error(&run(["frobnicate"]), "frobnicate");
}

#[test]
fn a_bad_upstream_url_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("s");
    let out = listen(&sessions, &["--upstream", "not a url"]);
    assert_one_line_error(&out, "not a url");
    let out = listen_command(&sessions, &[])
        .env("TRACE_CLAUDE_UPSTREAM", "ftp://example.com")
        .output()
        .unwrap();
    assert_one_line_error(&out, "ftp://example.com");
    assert!(
        !sessions.exists(),
        "no session is created when the command fails"
    );
}

#[test]
fn a_port_in_use_is_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().to_str().unwrap();
    let out = run([
        "listen",
        "--port",
        &port,
        "--web-port",
        "0",
        "--sessions-dir",
        sessions,
    ]);
    assert_one_line_error(&out, &format!("127.0.0.1:{port}"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--port"));
    let out = run([
        "listen",
        "--port",
        "0",
        "--web-port",
        &port,
        "--sessions-dir",
        sessions,
    ]);
    assert_one_line_error(&out, "--web-port");
}

#[test]
fn an_unwritable_sessions_dir_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let sessions = file.join("sessions");
    assert_one_line_error(
        &listen(&sessions, &[]),
        "cannot create the sessions directory",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_banner_names_the_real_ports_and_log_and_ctrl_c_flushes_and_exits_0() {
    let (_mock, mut tc) = mock_and_proxy().await;
    assert_eq!(tc.banner.len(), 8, "{:?}", tc.banner);
    assert_eq!(tc.banner[3], "Run claude with:");
    assert_eq!(
        tc.banner[4],
        format!(
            "TRACE_CLAUDE_PORT={} trace_claude_run claude -p \"hello\"",
            tc.proxy_port
        )
    );
    assert_eq!(
        tc.banner[5],
        "Or through HTTPS_PROXY, to see every call on every host:"
    );
    assert_eq!(
        tc.banner[6],
        format!(
            "TRACE_CLAUDE_PORT={} trace_claude_run --mitm claude -p \"hello\"",
            tc.proxy_port
        )
    );
    let name = tc
        .log_path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        name.starts_with("session_")
            && name.ends_with(".jsonl")
            && name.len() == "session_20260329_112707.jsonl".len(),
        "{name}"
    );
    assert!(tc.log_path.exists());

    // A slow stream still open when Ctrl+C comes: what was forwarded is in the log.
    let mut response = scenario(&tc.proxy_url(), "slow")
        .header("x-mock-count", "200")
        .header("x-mock-interval-ms", "20")
        .body("{}")
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while seen.matches("event: content_block_delta").count() < 3 {
        seen.push_str(&String::from_utf8_lossy(
            &response.chunk().await.unwrap().unwrap(),
        ));
    }
    let status = tc.signal_and_wait("INT").unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {}", tc.stderr());
    let events = tc.events();
    let deltas = events
        .iter()
        .filter(|e| e["event"] == "content_block_delta")
        .count();
    assert!(deltas >= 3, "the client saw 3 deltas, the log has {deltas}");
    assert!(std::fs::read_to_string(&tc.log_path)
        .unwrap()
        .ends_with('\n'));
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_started_in_the_same_second_get_files_of_their_own() {
    let mock = MockUpstream::start().await.unwrap();
    let first = TraceClaude::start(bin(), &mock.url(), &[]).unwrap();
    let sessions = first.log_path.parent().unwrap().to_owned();
    let others: Vec<TraceClaude> = (0..2)
        .map(|_| TraceClaude::start_with_sessions(bin(), &mock.url(), &sessions).unwrap())
        .collect();
    let mut names: Vec<_> = std::iter::once(&first)
        .chain(&others)
        .map(|tc| tc.log_path.clone())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(std::fs::read_dir(&sessions).unwrap().count(), 3);
}

mod run_command {
    use super::*;

    fn run_through(port: u16, args: &[&str]) -> Output {
        Command::new(bin())
            .arg("run")
            .args(args)
            .env("TRACE_CLAUDE_PORT", port.to_string())
            .output()
            .unwrap()
    }

    #[test]
    fn sets_the_base_url_and_passes_arguments_and_exit_code_untouched() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let out = run_through(
            port,
            &[
                "sh",
                "-c",
                "echo \"$ANTHROPIC_BASE_URL\"; printf '%s\\n' \"$@\"; exit 7",
                "sh",
                "--model",
                "opus",
                "-p",
                "explain this code",
                "--allowedTools",
                "Read,Grep",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(7),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines[0], format!("http://127.0.0.1:{port}"));
        assert_eq!(
            &lines[1..],
            [
                "--model",
                "opus",
                "-p",
                "explain this code",
                "--allowedTools",
                "Read,Grep"
            ]
        );
    }

    #[test]
    fn says_how_to_start_the_proxy_when_nothing_listens() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = run_through(port, &["true"]);
        assert_one_line_error(&out, &format!("trace_claude listen --port {port}"));
    }

    #[test]
    fn a_missing_command_is_named() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let out = run_through(port, &["no-such-command-xyz"]);
        assert_one_line_error(&out, "no-such-command-xyz");
    }
}

/// `trace_claude run [--mitm] env` against `tc`: the environment the command got.
fn environment_of_run(tc: &TraceClaude, mitm: bool, set: &[(&str, &str)]) -> Vec<String> {
    let mut command = Command::new(bin());
    command.arg("run");
    if mitm {
        command.arg("--mitm");
    }
    command
        .arg("env")
        .env("TRACE_CLAUDE_PORT", tc.proxy_port.to_string())
        .env("TRACE_CLAUDE_STATE_DIR", tc.dir.path().join("state"))
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("HTTPS_PROXY")
        .env_remove("ENABLE_TOOL_SEARCH")
        .env_remove("CLAUDE_CODE_ENABLE_FINE_GRAINED_TOOL_STREAMING")
        .env_remove("CLAUDE_CODE_PROPAGATE_TRACEPARENT");
    for (name, value) in set {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn run_points_the_command_at_the_proxy_one_way_or_the_other() {
    // Forwarding to Anthropic's API (never reached here): a plain run gives
    // back what a non-Anthropic base URL turns off, unless the user chose.
    let to_anthropic = TraceClaude::start(bin(), "https://api.anthropic.com", &[]).unwrap();
    let env = environment_of_run(&to_anthropic, false, &[("ENABLE_TOOL_SEARCH", "false")]);
    let base = format!(
        "ANTHROPIC_BASE_URL=http://127.0.0.1:{}",
        to_anthropic.proxy_port
    );
    assert!(env.contains(&base), "{env:?}");
    assert!(
        env.contains(&"ENABLE_TOOL_SEARCH=false".to_owned()),
        "the user's choice stays"
    );
    assert!(env.contains(&"CLAUDE_CODE_ENABLE_FINE_GRAINED_TOOL_STREAMING=1".to_owned()));
    assert!(env.contains(&"CLAUDE_CODE_PROPAGATE_TRACEPARENT=1".to_owned()));
    assert!(!env.iter().any(|v| v.starts_with("HTTPS_PROXY=")));

    // --mitm: through HTTPS_PROXY with the token, trusting the proxy's CA,
    // with no base URL at all.
    let env = environment_of_run(&to_anthropic, true, &[]);
    let state_dir = to_anthropic
        .dir
        .path()
        .join(format!("state/proxy-{}", to_anthropic.proxy_port));
    let token = std::fs::read_to_string(state_dir.join("token")).unwrap();
    let proxy = format!(
        "HTTPS_PROXY=http://trace_claude:{}@127.0.0.1:{}",
        token.trim(),
        to_anthropic.proxy_port
    );
    assert!(env.contains(&proxy), "{env:?}");
    let ca = format!(
        "NODE_EXTRA_CA_CERTS={}",
        state_dir.join("ca/ca.pem").display()
    );
    assert!(env.contains(&ca), "{env:?}");
    assert!(env.contains(&"NO_PROXY=localhost,127.0.0.1,::1".to_owned()));
    assert!(
        !env.iter().any(|v| v.starts_with("ANTHROPIC_BASE_URL=")),
        "{env:?}"
    );

    // Another upstream (a gateway, the mock): the seed's behaviour exactly.
    let mock = MockUpstream::start().await.unwrap();
    let elsewhere = TraceClaude::start(bin(), &mock.url(), &[]).unwrap();
    let env = environment_of_run(&elsewhere, false, &[]);
    assert!(
        !env.iter().any(|v| v.starts_with("ENABLE_TOOL_SEARCH=")),
        "{env:?}"
    );
    assert!(!env.iter().any(|v| v.starts_with("TRACE_CLAUDE_COMMAND=")));
}
