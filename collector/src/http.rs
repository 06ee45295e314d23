//! The HTTP layer's shared pieces: every refusal and failure the read and ingest routes
//! answer is the same small JSON document, `{"error": "<sentence>", "reason": "<short_reason>"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A JSON error response with HTTP `status` (an invalid code becomes 400).
pub fn error_response(status: u16, error: &str, reason: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (code, Json(json!({"error": error, "reason": reason}))).into_response()
}
