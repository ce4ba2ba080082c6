//! The HTTP server around the router: its own accept loop (rather than `axum::serve`) for
//! what a small server on the open internet needs: a deadline on request headers, a
//! minimum rate for request bodies (a stalled or trickling upload cannot hold a connection
//! and its storage upload for ever), and a shutdown that ends within a deadline, cutting
//! what is still running after it and letting uploads remove their parts first.

use crate::{AppState, router};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tower::ServiceExt;

/// The server's limits; [`ServeOptions::default`] is what `portico serve` uses, apart from
/// the shutdown deadline, which is a setting.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    pub body_rate: BodyRate,
    /// How long a shutdown waits for requests in flight before cutting them.
    pub shutdown_deadline: Duration,
}

/// A request body must bring at least `min_bytes` in every `window` until it ends: a client
/// that stalls, or sends slower than that, is cut off. The defaults, 32 KiB in 30 s, let
/// through any connection that works at all (1 KiB/s) and free a stalled one in 30 s.
#[derive(Clone, Copy, Debug)]
pub struct BodyRate {
    pub window: Duration,
    pub min_bytes: u64,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_timeout: Duration::from_secs(30),
            body_rate: BodyRate {
                window: Duration::from_secs(30),
                min_bytes: 32 * 1024,
            },
            shutdown_deadline: Duration::from_secs(30),
        }
    }
}

/// How the server stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Every request in flight finished.
    Cleanly,
    /// The deadline passed: request bodies still being read were ended (uploads removed
    /// their parts), and `cut` connections still busy after that were closed.
    AtDeadline { cut: usize },
}

/// After the deadline, how long handlers get to clean up once their request bodies end.
const CLEANUP_GRACE: Duration = Duration::from_secs(2);

/// Serves until `shutdown` is cancelled; then stops accepting, lets requests in flight
/// finish within the deadline, and cuts the rest.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: CancellationToken, options: ServeOptions) -> std::io::Result<Stopped> {
    let router = router(state);
    let cut_off = CancellationToken::new();
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(options.header_timeout);
    let mut connections = JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, a connection reset before accept: wait, go on.
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let cut = cut_off.clone();
        let rate = options.body_rate;
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let request = request.map(|body| Body::new(GuardedBody::new(body, rate, cut.clone())));
            router.clone().oneshot(request)
        });
        let builder = builder.clone();
        let stop = shutdown.clone();
        connections.spawn(async move {
            let _ = stream.set_nodelay(true);
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stop.cancelled() => {}
            }
            // Finish the request in progress, take no new one on this connection.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    if drain(&mut connections, options.shutdown_deadline).await {
        return Ok(Stopped::Cleanly);
    }
    cut_off.cancel();
    drain(&mut connections, CLEANUP_GRACE).await;
    let cut = connections.len();
    connections.shutdown().await;
    Ok(Stopped::AtDeadline { cut })
}

/// Waits for the connections to end, at most `deadline`: whether they all did.
async fn drain(connections: &mut JoinSet<()>, deadline: Duration) -> bool {
    tokio::time::timeout(deadline, async { while connections.join_next().await.is_some() {} })
        .await
        .is_ok()
}

/// A request body held to [`BodyRate`], and ended with an error when the server cuts off
/// requests at its shutdown deadline. The error reaches whoever reads the body (an upload
/// aborts its storage upload and removes the parts).
struct GuardedBody {
    inner: Incoming,
    rate: BodyRate,
    /// Bytes received since the window began.
    window_bytes: u64,
    window_ends: Pin<Box<Sleep>>,
    cut_off: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl GuardedBody {
    fn new(inner: Incoming, rate: BodyRate, cut_off: CancellationToken) -> GuardedBody {
        GuardedBody {
            inner,
            rate,
            window_bytes: 0,
            window_ends: Box::pin(tokio::time::sleep(rate.window)),
            cut_off: Box::pin(cut_off.cancelled_owned()),
        }
    }

    fn too_slow(&self) -> axum::BoxError {
        if self.window_bytes == 0 {
            format!("no data arrived for {} s", self.rate.window.as_secs()).into()
        } else {
            format!(
                "the request arrived slower than {} KiB in {} s",
                self.rate.min_bytes / 1024,
                self.rate.window.as_secs()
            )
            .into()
        }
    }
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.cut_off.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err("the server is shutting down".into())));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.window_bytes += frame.data_ref().map_or(0, |data| data.len() as u64);
                let now = Instant::now();
                if this.window_bytes >= this.rate.min_bytes {
                    this.window_bytes = 0;
                    this.window_ends.as_mut().reset(now + this.rate.window);
                } else if now >= this.window_ends.deadline() {
                    // Trickling: data keeps coming, too little of it.
                    return Poll::Ready(Some(Err(this.too_slow())));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other.map(|result| result.map_err(Into::into))),
            Poll::Pending => match this.window_ends.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(this.too_slow()))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
