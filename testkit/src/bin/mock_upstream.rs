//! The mock upstream as a process, for the browser tests and manual trials:
//! `mock_upstream [PORT]` prints `listening on http://127.0.0.1:PORT`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(p) => p.parse()?,
        None => 0,
    };
    let mock = testkit::MockUpstream::start_on(port).await?;
    println!("listening on {}", mock.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
