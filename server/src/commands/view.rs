//! `trace_claude view`: the web UI over saved session logs, without a proxy.

use anyhow::Context;

use crate::cli::ViewArgs;
use crate::commands::listen::{bind, shutdown_signal};
use crate::log::catalog::{Catalog, Source};
use crate::web::site;
use crate::{prices, web};

pub async fn view(args: ViewArgs) -> anyhow::Result<()> {
    for file in &args.files {
        let meta = std::fs::metadata(file)
            .with_context(|| format!("cannot open the session log {}", file.display()))?;
        if !meta.is_file() {
            anyhow::bail!("{} is not a session log file", file.display());
        }
    }
    let prices = prices::load(args.prices.file.as_deref())?;
    let listener = bind(args.bind, args.web_port, "the web UI", "--web-port").await?;
    let addr = listener.local_addr()?;
    if !args.bind.is_loopback() {
        eprintln!(
            "trace_claude: warning: serving on {} rather than loopback: anyone who can reach it can read these logs",
            args.bind
        );
    }

    let catalog = Catalog::new(Source::Files(args.files.clone()));
    // Index the first log while the browser is still on its way: a large
    // one then lists its flows as soon as the page asks.
    let warm = catalog.clone();
    tokio::task::spawn_blocking(move || {
        if let Some(first) = warm.find(None) {
            if let Err(e) = warm.index(&first) {
                eprintln!("trace_claude: cannot read {}: {e}", first.path.display());
            }
        }
    });
    let files: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
    let session = shared::api::ServerInfo::View {
        files: files.clone(),
    };
    let site = site::Site::locate()?;
    let state = web::WebState::new(None, catalog, prices, addr, session, site);
    let app = web::router(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("trace_claude: the web server stopped: {e}");
        }
    });

    println!("✓ Web UI at http://{addr}");
    match files.as_slice() {
        [one] => println!("✓ Viewing {one}"),
        many => println!("✓ Viewing {} session logs: {}", many.len(), many.join(", ")),
    }
    println!("Press Ctrl+C to stop.");
    shutdown_signal().await
}
