//! A bare TCP relay in front of the mock, for the benchmark: tokio copying
//! bytes both ways, no HTTP parsed, nothing recorded. It runs on the runtime
//! trace_claude runs on (tokio's multi-thread one), in a process of its own as
//! trace_claude does, so the benchmark can split what trace_claude adds
//! beyond nginx into what any tokio proxy pays on the machine (nginx to the
//! relay) and what trace_claude's HTTP handling and recording cost (the relay
//! to trace_claude).
//!
//! The relay process is the calling program itself, started again with
//! [`RELAY_ENV`] set: a program that uses [`Relay::start`] calls
//! [`serve_if_asked`] first.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};

/// Set to `LISTEN_PORT:UPSTREAM_PORT` in the relay's process.
pub const RELAY_ENV: &str = "TESTKIT_RELAY";

/// The relay process; killed when dropped.
pub struct Relay {
    child: Child,
    pub port: u16,
}

impl Relay {
    /// Starts `exe` (the running program, which calls [`serve_if_asked`]) as
    /// a relay to `upstream_port` on loopback.
    pub fn start(exe: &Path, upstream_port: u16) -> anyhow::Result<Relay> {
        let port = crate::free_port()?;
        let child = Command::new(exe)
            .env(RELAY_ENV, format!("{port}:{upstream_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {} as a relay", exe.display()))?;
        let mut relay = Relay { child, port };
        crate::wait_until_listening(&mut relay.child, port).context("the relay did not start")?;
        Ok(relay)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In the process [`Relay::start`] started, relays until killed and never
/// returns; in any other, returns at once.
pub async fn serve_if_asked() {
    let Some(order) = std::env::var_os(RELAY_ENV) else {
        return;
    };
    let result = async {
        let (listen, upstream) = parse_order(&order.to_string_lossy())?;
        serve(TcpListener::bind(("127.0.0.1", listen)).await?, upstream).await
    };
    if let Err(e) = result.await {
        eprintln!("relay: {e:#}");
    }
    std::process::exit(1);
}

fn parse_order(order: &str) -> anyhow::Result<(u16, u16)> {
    order
        .split_once(':')
        .and_then(|(l, u)| Some((l.parse().ok()?, u.parse().ok()?)))
        .with_context(|| format!("{RELAY_ENV}={order:?} is not LISTEN_PORT:UPSTREAM_PORT"))
}

/// Relays each connection `listener` accepts to `upstream_port` on loopback.
pub async fn serve(listener: TcpListener, upstream_port: u16) -> anyhow::Result<()> {
    loop {
        let (mut client, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut upstream = match TcpStream::connect(("127.0.0.1", upstream_port)).await {
                Ok(upstream) => upstream,
                Err(e) => {
                    eprintln!("relay: cannot connect to 127.0.0.1:{upstream_port}: {e}");
                    return;
                }
            };
            // As trace_claude and nginx do on both sides.
            let _ = client.set_nodelay(true);
            let _ = upstream.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockUpstream;

    async fn text(base: &str) -> (u16, String) {
        let response = crate::client()
            .post(format!("{base}/v1/messages"))
            .header("x-mock-scenario", "text")
            .body(r#"{"model":"m","stream":true}"#)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    #[tokio::test]
    async fn what_comes_through_the_relay_is_what_the_mock_sent() {
        let mock = MockUpstream::start().await.unwrap();
        let port: u16 = mock.url().rsplit(':').next().unwrap().parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relayed = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(serve(listener, port));
        let direct = text(&mock.url()).await;
        assert_eq!(direct.0, 200);
        assert!(direct.1.contains("message_stop"), "{}", direct.1);
        // Twice, so the second request also rides a kept-alive connection.
        assert_eq!(text(&relayed).await, direct);
        assert_eq!(text(&relayed).await, direct);
        assert_eq!(mock.state.requests().len(), 3);
    }

    #[test]
    fn an_order_that_is_not_two_ports_is_refused_by_name() {
        assert_eq!(parse_order("4000:5000").unwrap(), (4000, 5000));
        for bad in ["4000", "4000:", ":5000", "4000:70000", "a:b"] {
            let message = format!("{:#}", parse_order(bad).unwrap_err());
            assert!(
                message.contains(RELAY_ENV) && message.contains(bad),
                "{message}"
            );
        }
    }
}
