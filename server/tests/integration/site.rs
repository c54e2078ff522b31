//! The web UI's site. A release binary carries it: copied alone into an empty
//! directory and started from another, it serves the page, its JS glue, its
//! WebAssembly and its CSS (revalidated by ETag), serves nothing from the
//! working directory, and exports HTML reports. A debug binary pointed at a
//! site directory (`LEPTOS_SITE_ROOT`, as `cargo leptos watch` runs it)
//! serves that directory, built the way the watch loop builds it.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use testkit::{client, MockUpstream, TraceClaude};

use crate::util::{repo, STREAM_BODY};

/// The release binary as `./bin/trace_claude` builds and runs it.
fn release_binary() -> PathBuf {
    let build = Command::new(repo().join("scripts/build")).output().unwrap();
    assert!(
        build.status.success(),
        "scripts/build failed: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    repo().join("target/release/trace_claude")
}

/// The site files the page at `web` asks for: `/pkg/…` and the favicon.
async fn page_assets(web: &str) -> (String, Vec<String>) {
    let page = client().get(format!("{web}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let mut assets: Vec<String> = html
        .match_indices("\"/pkg/")
        .chain(html.match_indices("'/pkg/"))
        .filter_map(|(at, _)| {
            let rest = &html[at + 1..];
            rest.find(['"', '\'']).map(|end| rest[..end].to_owned())
        })
        .collect();
    assets.sort();
    assets.dedup();
    (html, assets)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_binary_copied_anywhere_serves_its_whole_ui_and_exports_reports() {
    let built = tokio::task::spawn_blocking(release_binary).await.unwrap();
    let size = std::fs::metadata(&built).unwrap().len();
    // A budget, to notice what a change costs: 24.5 MB with the OpenTelemetry
    // exporter, 28.4 MB once the MCP server (rmcp, its protocol types and
    // their symbols) joined.
    assert!(
        size <= 30 * 1024 * 1024,
        "the release binary is {size} bytes, over 30 MB"
    );
    let installed = tempfile::tempdir().unwrap();
    let bin = installed.path().join("trace_claude");
    std::fs::copy(&built, &bin).unwrap();
    // Started from a directory with files a page must never be able to read.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("secret.txt"), "not for the web").unwrap();
    std::fs::create_dir(elsewhere.path().join("pkg")).unwrap();
    std::fs::write(elsewhere.path().join("pkg/trace_claude.js"), "// stale").unwrap();

    let mock = MockUpstream::start().await.unwrap();
    let tc = TraceClaude::start_with(&bin, &mock.url(), None, &[], |command| {
        command
            .current_dir(elsewhere.path())
            .env_remove("LEPTOS_SITE_ROOT");
    })
    .unwrap();
    let web = tc.web_url();
    let (_, assets) = page_assets(&web).await;
    for wanted in [
        "/pkg/trace_claude.js",
        "/pkg/trace_claude.wasm",
        "/pkg/trace_claude.css",
    ] {
        assert!(
            assets.iter().any(|a| a == wanted),
            "{wanted} not in {assets:?}"
        );
    }
    let expected_types = [
        ("/pkg/trace_claude.js", "text/javascript"),
        ("/pkg/trace_claude.wasm", "application/wasm"),
        ("/pkg/trace_claude.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ];
    for (path, content_type) in expected_types {
        let response = client().get(format!("{web}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let served_type = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            served_type.starts_with(content_type),
            "{path}: {served_type}"
        );
        let etag = response.headers()[ETAG].clone();
        let body = response.bytes().await.unwrap();
        match path {
            "/pkg/trace_claude.wasm" => assert!(body.starts_with(b"\0asm"), "not WebAssembly"),
            "/pkg/trace_claude.js" => {
                assert_ne!(&body[..], b"// stale", "served from the working directory");
                assert!(body.len() > 1000, "{} bytes of JS", body.len());
            }
            _ => assert!(!body.is_empty(), "{path} is empty"),
        }
        // A reload costs a 304 and no body.
        let again = client()
            .get(format!("{web}{path}"))
            .header(IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()[ETAG], etag);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    for missing in ["/secret.txt", "/pkg/nope.js", "/../secret.txt", "/sessions"] {
        let response = client()
            .get(format!("{web}{missing}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{missing}");
    }
    assert!(
        !tc.stderr().contains("not built"),
        "the embedded site was not found: {}",
        tc.stderr()
    );

    // One call recorded, then the report: the same app, from the binary.
    let answer = client()
        .post(format!("{}/v1/messages", tc.proxy_url()))
        .body(STREAM_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.bytes().await.unwrap();
    tc.wait_for(Duration::from_secs(10), |events| {
        events.iter().any(testkit::binary::is_flow_end)
    });
    let report = elsewhere.path().join("report.html");
    let export = Command::new(&bin)
        .current_dir(elsewhere.path())
        .env_remove("LEPTOS_SITE_ROOT")
        .arg("export")
        .arg("--html")
        .arg(&tc.log_path)
        .arg("-o")
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    let css = client()
        .get(format!("{web}/pkg/trace_claude.css"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first_rule = css.lines().find(|l| l.contains('{')).unwrap();
    assert!(html.contains(first_rule), "the report lacks the stylesheet");
    assert!(
        html.len() > 500_000,
        "a {}-byte report cannot hold the app",
        html.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_debug_binary_serves_the_site_the_watch_loop_builds_from_leptos_site_root() {
    // The browser half of `cargo leptos watch`: the frontend crate, dev
    // profile, with the settings of [[workspace.metadata.leptos]].
    let site = tempfile::tempdir().unwrap();
    let out = site.path().join("site");
    let build = tokio::task::spawn_blocking({
        let out = out.clone();
        move || {
            Command::new(env!("CARGO"))
                .current_dir(repo())
                .args([
                    "run",
                    "--quiet",
                    "--locked",
                    "-p",
                    "site-build",
                    "--",
                    "--dev",
                    "--out",
                ])
                .arg(&out)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        build.status.success(),
        "site-build --dev failed: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let js = std::fs::read(out.join("pkg/trace_claude.js")).unwrap();

    let mock = MockUpstream::start().await.unwrap();
    let tc = TraceClaude::start_with(crate::util::bin(), &mock.url(), None, &[], |command| {
        command
            .env("LEPTOS_SITE_ROOT", &out)
            .env("LEPTOS_WATCH", "1")
            .env("LEPTOS_RELOAD_PORT", "3019");
    })
    .unwrap();
    let web = tc.web_url();
    let page = client().get(format!("{web}/")).send().await.unwrap();
    // The live-reload socket is allowed, and nothing else new.
    let csp = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("connect-src 'self' ws://127.0.0.1:3019"),
        "{csp}"
    );
    let (_, assets) = page_assets(&web).await;
    assert!(
        assets.contains(&"/pkg/trace_claude.wasm".to_owned()),
        "{assets:?}"
    );
    let served = client()
        .get(format!("{web}/pkg/trace_claude.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.bytes().await.unwrap(),
        js,
        "not the file in LEPTOS_SITE_ROOT"
    );
    let wasm = client()
        .get(format!("{web}/pkg/trace_claude.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.status(), 200);
    assert!(wasm.bytes().await.unwrap().starts_with(b"\0asm"));
    let missing = client()
        .get(format!("{web}/pkg/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn scripts_install_puts_both_commands_on_a_path_and_they_work_from_there() {
    let prefix = tempfile::tempdir().unwrap();
    let install = tokio::task::spawn_blocking({
        let prefix = prefix.path().to_owned();
        move || {
            Command::new(repo().join("scripts/install"))
                .env("PREFIX", &prefix)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let bin = prefix.path().join("bin");
    let elsewhere = tempfile::tempdir().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let version = Command::new("trace_claude")
        .arg("--version")
        .current_dir(elsewhere.path())
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("trace_claude "));
    // trace_claude_run finds its trace_claude beside it; with no proxy on the
    // port it says how to start one, by the name it is installed under.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let run = Command::new("trace_claude_run")
        .args(["true"])
        .current_dir(elsewhere.path())
        .env("PATH", &path)
        .env("TRACE_CLAUDE_PORT", port.to_string())
        .env_remove("TRACE_CLAUDE_COMMAND")
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(&format!("`trace_claude listen --port {port}`")),
        "{err}"
    );
}
