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
struct GuardedBody<B = Incoming> {
    inner: B,
    rate: BodyRate,
    /// Bytes received since the window began.
    window_bytes: u64,
    /// Set when the body is first read: a handler that reads it late (after waiting for the
    /// database) does not count against the sender.
    window_ends: Option<Pin<Box<Sleep>>>,
    cut_off: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl<B> GuardedBody<B> {
    fn new(inner: B, rate: BodyRate, cut_off: CancellationToken) -> GuardedBody<B> {
        GuardedBody {
            inner,
            rate,
            window_bytes: 0,
            window_ends: None,
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

impl<B> HttpBody for GuardedBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.cut_off.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err("the server is shutting down".into())));
        }
        let window = this.rate.window;
        let window_ends = this.window_ends.get_or_insert_with(|| Box::pin(tokio::time::sleep(window)));
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.window_bytes += frame.data_ref().map_or(0, |data| data.len() as u64);
                let now = Instant::now();
                if this.window_bytes >= this.rate.min_bytes {
                    this.window_bytes = 0;
                    window_ends.as_mut().reset(now + window);
                } else if now >= window_ends.deadline() {
                    // Trickling: data keeps coming, too little of it.
                    return Poll::Ready(Some(Err(this.too_slow())));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other.map(|result| result.map_err(Into::into))),
            Poll::Pending => match window_ends.as_mut().poll(cx) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use http_body_util::BodyExt;
    use std::convert::Infallible;

    const RATE: BodyRate = BodyRate {
        window: Duration::from_secs(1),
        min_bytes: 1024,
    };

    /// A body that sends `first`, then nothing more, ever.
    fn stalls_after(
        first: &'static [u8],
    ) -> http_body_util::StreamBody<impl futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>> + Unpin> {
        let frames = futures_util::stream::iter([Ok::<_, Infallible>(Frame::data(Bytes::from_static(first)))])
            .chain(futures_util::stream::pending());
        http_body_util::StreamBody::new(frames)
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_arriving_ends_with_the_reason() {
        let body = GuardedBody::new(stalls_after(b"some"), RATE, CancellationToken::new());
        let error = body.collect().await.expect_err("a stalled body ends");
        assert_eq!(error.to_string(), "the request arrived slower than 1 KiB in 1 s");
        let silent = GuardedBody::new(
            http_body_util::StreamBody::new(futures_util::stream::pending::<Result<Frame<Bytes>, Infallible>>()),
            RATE,
            CancellationToken::new(),
        );
        assert_eq!(
            silent.collect().await.expect_err("a silent body ends").to_string(),
            "no data arrived for 1 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_read_late_by_its_handler_is_not_the_senders_fault() {
        let body = GuardedBody::new(
            http_body_util::Full::new(Bytes::from_static(b"small form")),
            RATE,
            CancellationToken::new(),
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        let read = body.collect().await.expect("all of it had arrived");
        assert_eq!(read.to_bytes(), Bytes::from_static(b"small form"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_shutdown_cut_off_ends_a_body_at_once() {
        let cut_off = CancellationToken::new();
        let body = GuardedBody::new(
            stalls_after(b"some"),
            BodyRate {
                window: Duration::from_secs(3600),
                ..RATE
            },
            cut_off.clone(),
        );
        cut_off.cancel();
        assert_eq!(
            body.collect().await.expect_err("cut off").to_string(),
            "the server is shutting down"
        );
    }
}
