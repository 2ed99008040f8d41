//! Sessions with a time to live: hidden the moment they expire.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::common::Api;

#[tokio::test]
async fn a_session_is_gone_once_expired() {
    let api = Api::new().await;
    let r = api
        .post(
            "acme",
            "/sessions",
            json!({ "user": "ada", "ttl_seconds": 1 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let expires = r.body["expires_at"].as_u64().unwrap();
    let long = api
        .post(
            "acme",
            "/sessions",
            json!({ "user": "bob", "ttl_seconds": 3600 }),
        )
        .await;
    let long_id = long.body["id"].as_str().unwrap().to_owned();

    let uri = format!("/sessions/{id}");
    // Another tenant never sees it.
    assert_eq!(api.get("other", &uri).await.status, StatusCode::NOT_FOUND);
    // Reads hide a row once its TTL (whole seconds) is below the clock:
    // wait until the second after `expires_at` has begun.
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
    };
    let wait = Duration::from_secs(expires + 1).saturating_sub(now()) + Duration::from_millis(50);
    if now().as_secs() < expires {
        assert_eq!(api.get("acme", &uri).await.status, StatusCode::OK);
    }
    tokio::time::sleep(wait).await;
    let r = api.get("acme", &uri).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(
        api.delete("acme", &uri, None).await.status,
        StatusCode::NOT_FOUND,
        "an expired session cannot be closed"
    );

    let long_uri = format!("/sessions/{long_id}");
    assert_eq!(api.get("acme", &long_uri).await.status, StatusCode::OK);
    assert_eq!(
        api.delete("acme", &long_uri, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("acme", &long_uri).await.status,
        StatusCode::NOT_FOUND
    );

    if dynamite_testkit::backend::endpoint_from(dynamite_testkit::backend::TEST_ENDPOINT_VAR)
        .is_none()
    {
        // The embedded engine's sweep deletes what DynamoDB's would.
        assert_eq!(api.db.sweep_expired().await.unwrap(), 1);
    }
}
