//! Stopping the proxy in order, as mini-redis does: one signal, broadcast to
//! the accept loop, every connection and every open flow; and a completion
//! wait, a channel that each connection holds a sender of, which closes
//! once the last of them has finished.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio::sync::{mpsc, watch};

/// Tells every part of the proxy that it is stopping.
pub(crate) struct Stopper {
    tx: watch::Sender<bool>,
    /// Set before the watch is told, so that a [`Stopped`] woken by it can
    /// see why with one load.
    stopping: Arc<AtomicBool>,
}

/// Whether the proxy is stopping, as one task sees it.
#[derive(Clone)]
pub(crate) struct StopSignal {
    rx: watch::Receiver<bool>,
    stopping: Arc<AtomicBool>,
}

impl Stopper {
    pub(crate) fn new() -> Self {
        Stopper {
            tx: watch::channel(false).0,
            stopping: Arc::new(AtomicBool::new(false)),
        }
    }

    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.tx.send_replace(true);
    }

    pub(crate) fn signal(&self) -> StopSignal {
        StopSignal {
            rx: self.tx.subscribe(),
            stopping: Arc::clone(&self.stopping),
        }
    }
}

impl Drop for Stopper {
    fn drop(&mut self) {
        // Dropping the sender wakes every waiter: they end as if stopped.
        self.stopping.store(true, Ordering::Release);
    }
}

impl StopSignal {
    /// Resolves once the proxy is stopping, at once if it already is.
    pub(crate) fn stopped(self) -> Stopped {
        let StopSignal { mut rx, stopping } = self;
        Stopped {
            wait: Box::pin(async move {
                // An error means the stopper is gone with the proxy: stopped too.
                let _ = rx.wait_for(|stopping| *stopping).await;
            }),
            stopping,
            registered: None,
        }
    }
}

/// The future of [`StopSignal::stopped`]. A streaming response polls it at
/// every chunk, and polling the watch's wait takes a lock each time; but once
/// the wait holds a task's waker it wakes that task when the stop comes, so
/// until then a poll with the same waker only has to look at the flag.
pub(crate) struct Stopped {
    wait: Pin<Box<dyn Future<Output = ()> + Send>>,
    stopping: Arc<AtomicBool>,
    registered: Option<Waker>,
}

impl Future for Stopped {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if this.stopping.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if let Some(waker) = &this.registered {
            if waker.will_wake(cx.waker()) {
                return Poll::Pending;
            }
        }
        let polled = this.wait.as_mut().poll(cx);
        if polled.is_pending() {
            this.registered = Some(cx.waker().clone());
        }
        polled
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use futures_util::task::{waker, ArcWake};

    use super::*;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl ArcWake for Count {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(stopped: &mut Stopped, waker: &Waker) -> Poll<()> {
        Pin::new(stopped).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn a_wait_polled_again_and_again_still_wakes_and_ends_at_the_stop() {
        let stopper = Stopper::new();
        let (first, second) = (Arc::new(Count::default()), Arc::new(Count::default()));
        let (first_waker, second_waker) = (waker(Arc::clone(&first)), waker(Arc::clone(&second)));
        let mut stopped = stopper.signal().stopped();
        for _ in 0..3 {
            assert!(poll(&mut stopped, &first_waker).is_pending());
        }
        // A new waker replaces the old one: only it is woken.
        assert!(poll(&mut stopped, &second_waker).is_pending());
        stopper.stop();
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert!(poll(&mut stopped, &second_waker).is_ready());
        // A signal taken after the stop is stopped at once.
        assert!(poll(&mut stopper.signal().stopped(), &first_waker).is_ready());
    }

    #[test]
    fn a_wait_ends_when_the_stopper_is_dropped_with_the_proxy() {
        let stopper = Stopper::new();
        let count = Arc::new(Count::default());
        let w = waker(Arc::clone(&count));
        let mut stopped = stopper.signal().stopped();
        assert!(poll(&mut stopped, &w).is_pending());
        assert!(poll(&mut stopped, &w).is_pending());
        drop(stopper);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(poll(&mut stopped, &w).is_ready());
    }
}
