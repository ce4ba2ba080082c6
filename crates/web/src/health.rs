//! Liveness and readiness for load balancers and orchestrators.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

/// The process is alive.
pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, [("content-type", "application/json")], r#"{"status":"ok"}"#)
}

/// The process can serve: the database answers reads and can start a write, and the local
/// disks have room. Answers within about a second, whatever hangs; a failed check is named
/// with its cause (for operators: the endpoint is meant for a load balancer, not the public).
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let checks = state.app.readiness().await;
    let failed: Vec<_> = checks
        .iter()
        .filter_map(|c| c.outcome.as_ref().err().map(|why| (c.name, why)))
        .collect();
    if failed.is_empty() {
        return (StatusCode::OK, Json(serde_json::json!({ "status": "ready" })));
    }
    for (name, why) in &failed {
        tracing::warn!(check = name, cause = %why, "readiness check failed");
    }
    let failures: serde_json::Map<String, serde_json::Value> = failed
        .into_iter()
        .map(|(name, why)| (name.to_owned(), why.clone().into()))
        .collect();
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "status": "not ready", "failed": failures })),
    )
}
