//! Stopping the proxy in order, as mini-redis does: one signal, broadcast to
//! the accept loop, every connection and every open flow; and a completion
//! wait, a channel that each connection holds a sender of, which closes
//! once the last of them has finished.

use tokio::sync::{mpsc, watch};

/// Tells every part of the proxy that it is stopping.
pub(crate) struct Stopper(watch::Sender<bool>);

/// Whether the proxy is stopping, as one task sees it.
#[derive(Clone)]
pub(crate) struct StopSignal(watch::Receiver<bool>);

impl Stopper {
    pub(crate) fn new() -> Self {
        Stopper(watch::channel(false).0)
    }

    pub(crate) fn stop(&self) {
        self.0.send_replace(true);
    }

    pub(crate) fn signal(&self) -> StopSignal {
        StopSignal(self.0.subscribe())
    }
}

impl StopSignal {
    /// Resolves once the proxy is stopping, at once if it already is.
    pub(crate) async fn stopped(mut self) {
        // An error means the stopper is gone with the proxy: stopped too.
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}

/// Held by each connection while it runs; dropped, it tells the waiter.
#[derive(Clone)]
pub(crate) struct Running(#[allow(dead_code)] mpsc::Sender<()>);

/// Learns when every [`Running`] is gone.
pub(crate) struct AllDone(mpsc::Receiver<()>);

pub(crate) fn completion() -> (Running, AllDone) {
    let (tx, rx) = mpsc::channel(1);
    (Running(tx), AllDone(rx))
}

impl AllDone {
    /// Resolves once every [`Running`] has been dropped.
    pub(crate) async fn wait(mut self) {
        // Nothing is ever sent: `recv` returns `None` when the last sender goes.
        let _ = self.0.recv().await;
    }
}

/// The `error` line of a flow whose response the shutdown cut, with how much
/// of it the client got when that is known.
pub(crate) fn cut_response(streaming: bool, forwarded: Option<u64>) -> String {
    let what = if streaming {
        "trace_claude was stopped while the response was streaming"
    } else {
        "trace_claude was stopped while the response body was being forwarded"
    };
    match forwarded {
        Some(bytes) => format!("{what}; the client got {bytes} bytes of it"),
        None => what.to_owned(),
    }
}
