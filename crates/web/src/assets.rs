//! Static files embedded in the binary (no CDN, works offline), the brand stylesheet built
//! from settings, and the logo.

use crate::AppState;
use crate::routing::{Route, route};
use axum::extract::{Path, State};
use axum::http::Method;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

/// The static files, the brand stylesheet, the logo and the favicon.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    vec![
        route(Method::GET, "/static/{file}", Public, static_file),
        route(Method::GET, "/brand.css", Public, brand_css),
        route(Method::GET, "/brand/logo", Public, logo),
        route(Method::GET, "/favicon.ico", Public, favicon),
    ]
}

#[derive(Embed)]
#[folder = "assets/"]
struct Assets;

pub async fn static_file(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = Assets::get(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&asset.metadata.sha256_hash()[..12]));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mime = mime_guess::from_path(&file).first_or_octet_stream();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(mime.as_ref()).unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (header::ETAG, HeaderValue::from_str(&etag).expect("hex etag")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
        ],
        asset.data.into_owned(),
    )
        .into_response()
}

/// The brand colour as CSS custom properties: white-labelling is a settings change.
pub async fn brand_css(State(state): State<AppState>) -> Response {
    let brand = &state.app.config.brand_color;
    let ink = if is_light(brand) { "#111827" } else { "#ffffff" };
    let css = format!(":root {{ --brand: {brand}; --brand-ink: {ink}; }}\n");
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        css,
    )
        .into_response()
}

pub async fn logo(State(state): State<AppState>) -> Response {
    match &state.web.logo {
        Some(logo) => (
            [
                (header::CONTENT_TYPE, logo.content_type.clone()),
                (header::CACHE_CONTROL, "public, max-age=300".into()),
            ],
            logo.bytes.as_ref().clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The browser tab's icon: the brand's logo when one is set, otherwise the brand mark (a
/// rounded square in the brand colour) drawn as SVG.
pub async fn favicon(State(state): State<AppState>) -> Response {
    if state.web.logo.is_some() {
        return logo(State(state)).await;
    }
    let brand = &state.app.config.brand_color;
    let ink = if is_light(brand) { "#111827" } else { "#ffffff" };
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><rect width=\"32\" height=\"32\" rx=\"8\" fill=\"{brand}\"/>\
         <rect x=\"10\" y=\"13\" width=\"12\" height=\"10\" rx=\"2.5\" fill=\"{ink}\"/></svg>"
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        svg,
    )
        .into_response()
}

/// Whether text on this colour should be dark (WCAG relative luminance above the midpoint).
fn is_light(hex_colour: &str) -> bool {
    let hex = hex_colour.trim_start_matches('#');
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64 / 255.0;
    let linear = |c: f64| if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
    let luminance = 0.2126 * linear(channel(0)) + 0.7152 * linear(channel(2)) + 0.0722 * linear(channel(4));
    luminance > 0.179
}

#[cfg(test)]
mod tests {
    #[test]
    fn ink_contrasts_with_the_brand() {
        assert!(super::is_light("#ffd500"));
        assert!(!super::is_light("#2f5bea"));
        assert!(!super::is_light("#000000"));
    }
}
