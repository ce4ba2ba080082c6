//! Liveness and readiness for load balancers and orchestrators.

use crate::AppState;
use crate::routing::{Route, route};
use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::http::StatusCode;
use axum::response::IntoResponse;

/// The health and readiness probes.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    vec![
        route(Method::GET, "/healthz", Public, healthz),
        route(Method::GET, "/readyz", Public, readyz),
    ]
}

/// The process is alive.
pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, [("content-type", "application/json")], r#"{"status":"ok"}"#)
}

/// The process can serve: the database answers reads and can start a write, and the local
/// disks have room. Answers within about a second, whatever hangs. The answer names the failed
/// checks; their causes (paths, database errors) go to the log only, since anyone may call it.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let checks = state.app.readiness().await;
    let mut failed = Vec::new();
    for check in &checks {
        if let Err(cause) = &check.outcome {
            tracing::warn!(check = check.name, %cause, "readiness check failed");
            failed.push(check.name);
        }
    }
    if failed.is_empty() {
        return (StatusCode::OK, Json(serde_json::json!({ "status": "ready" })));
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "status": "not ready", "failed": failed })),
    )
}
