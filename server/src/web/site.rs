//! The UI's built files (the site: WebAssembly, JS glue, CSS, assets): where
//! they come from, and serving them.
//!
//! A release binary carries its site inside it (`build.rs`), so it works
//! copied anywhere. Otherwise the site is a directory: `LEPTOS_SITE_ROOT`
//! (which `cargo leptos watch` sets, and which also overrides an embedded
//! site), else a `site/` beside the binary's directory or in it
//! (`target/release/trace_claude` → `target/site`).

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::config::{get_configuration, LeptosOptions};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// One file of a site compiled into the binary.
pub struct EmbeddedFile {
    /// Relative to the site root, with '/' separators.
    pub path: &'static str,
    pub content_type: &'static str,
    /// A quoted strong `ETag`, from the content's hash.
    pub etag: &'static str,
    pub bytes: &'static [u8],
}

/// Empty unless this is a release build (see `build.rs`).
static EMBEDDED: &[EmbeddedFile] = include!(concat!(env!("OUT_DIR"), "/site_files.rs"));

pub struct Site {
    /// What the page's shell needs: the output name, the `pkg` directory, the
    /// reload port under `cargo leptos watch`.
    pub options: LeptosOptions,
    files: Files,
}

enum Files {
    Embedded(&'static [EmbeddedFile]),
    Dir(PathBuf),
}

impl Site {
    /// The site this binary serves (see the module's comment for the order).
    pub fn locate() -> anyhow::Result<Site> {
        let mut options = get_configuration(None)
            .context("cannot read the web UI's configuration")?
            .leptos_options;
        let explicit = std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from);
        let files = match explicit {
            Some(dir) => Files::Dir(dir),
            None if !EMBEDDED.is_empty() => Files::Embedded(EMBEDDED),
            None => Files::Dir(
                beside_the_binary().unwrap_or_else(|| PathBuf::from(&*options.site_root)),
            ),
        };
        if let Files::Dir(dir) = &files {
            options.site_root = dir.to_string_lossy().into_owned().into();
        }
        let site = Site { options, files };
        if let Err(e) = site.read(&site.script_path()) {
            eprintln!("trace_claude: warning: {e:#}");
        }
        Ok(site)
    }

    /// Where the files come from, for messages.
    pub fn origin(&self) -> String {
        match &self.files {
            Files::Embedded(_) => "embedded in the binary".to_owned(),
            Files::Dir(dir) => dir.display().to_string(),
        }
    }

    /// `pkg/NAME.js`: the module that loads the app.
    pub fn script_path(&self) -> String {
        self.pkg_path("js")
    }

    /// `pkg/NAME.EXTENSION`.
    pub fn pkg_path(&self, extension: &str) -> String {
        format!(
            "{}/{}.{extension}",
            self.options.site_pkg_dir, self.options.output_name
        )
    }

    /// One file of the site, by its path from the site root.
    pub fn read(&self, path: &str) -> anyhow::Result<Cow<'static, [u8]>> {
        match &self.files {
            Files::Embedded(files) => files
                .iter()
                .find(|file| file.path == path)
                .map(|file| Cow::Borrowed(file.bytes))
                .with_context(|| format!("this binary's embedded web UI has no {path}")),
            Files::Dir(dir) => {
                let file = dir.join(path);
                std::fs::read(&file).map(Cow::Owned).with_context(|| {
                    format!(
                        "the web UI is not built ({} is missing); run ./bin/trace_claude, which builds it",
                        file.display()
                    )
                })
            }
        }
    }

    /// Answers a request for a site file; anything else is a 404.
    pub async fn serve(self: Arc<Self>, request: Request) -> Response {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return not_found();
        }
        match &self.files {
            Files::Embedded(files) => {
                let path = request.uri().path().trim_start_matches('/');
                match files.iter().find(|file| file.path == path) {
                    Some(file) => embedded(file, &request),
                    None => not_found(),
                }
            }
            Files::Dir(dir) => {
                // ServeDir refuses paths that climb out of the directory.
                let files = ServeDir::new(dir).fallback(tower::service_fn(|_| async {
                    Ok::<_, std::convert::Infallible>(not_found())
                }));
                match files.oneshot(request).await {
                    Ok(response) => response.map(Body::new),
                    Err(never) => match never {},
                }
            }
        }
    }
}

/// An embedded file, revalidated on every load (`no-cache`) so that a rebuilt
/// binary on the same port never leaves a stale app in the browser; the
/// `ETag` makes that revalidation a 304 with no body.
fn embedded(file: &EmbeddedFile, request: &Request) -> Response {
    let etag = HeaderValue::from_static(file.etag);
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == file.etag));
    let headers = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    )];
    (headers, content_type, file.bytes).into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "trace_claude: no such page\n").into_response()
}

fn beside_the_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    // target/release/trace_claude → target/site; also an installed bin/ + site/.
    [dir.join("../site"), dir.join("site")]
        .into_iter()
        .find(|candidate| candidate.join("pkg").is_dir())
        .map(|found| found.canonicalize().unwrap_or(found))
}
