//! The OpenAPI document made complete: the answers every route shares —
//! from the JSON body reader, the session and device extractors, the NUL
//! guard and the database — are added to each operation by what it is,
//! rather than repeated in every handler's annotation. And, for tests, a
//! check that every answer the server gives is one its document lists.

use std::collections::{HashMap, HashSet};

use axum::http::Method;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{Content, OpenApi, Ref};

/// Who may call an operation, which decides the refusals it can give.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anyone,
    Device,
    Staff,
}

fn caller(method: &Method, path: &str) -> Caller {
    match (method.as_str(), path) {
        (_, "/healthz") | ("POST", "/v1/session" | "/v1/pair" | "/v1/pair/preview") => {
            Caller::Anyone
        }
        (_, p) if p.starts_with("/v1/device") || p.starts_with("/v1/sync") => Caller::Device,
        _ => Caller::Staff,
    }
}

fn operations(api: &mut OpenApi) -> Vec<(Method, String, &mut Operation)> {
    let mut all = Vec::new();
    for (path, item) in api.paths.paths.iter_mut() {
        for (method, op) in [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::DELETE, &mut item.delete),
            (Method::PATCH, &mut item.patch),
        ] {
            if let Some(op) = op.as_mut() {
                all.push((method, path.clone(), op));
            }
        }
    }
    all
}

/// Adds to every operation the answers it shares with others of its kind.
pub fn complete(api: &mut OpenApi) {
    let error = || Content::new(Some(Ref::from_schema_name("ErrorBody")));
    for (method, path, op) in operations(api) {
        let admin_only = op
            .tags
            .as_ref()
            .is_some_and(|tags| tags.iter().any(|t| t == "admin"));
        let mut add = |status: u16, description: &str| {
            op.responses
                .responses
                .entry(status.to_string())
                .or_insert_with(|| {
                    ResponseBuilder::new()
                        .description(description)
                        .content("application/json", error())
                        .into()
                });
        };
        add(
            422,
            "A rule broken, naming the field; or a NUL character in the address",
        );
        add(500, "The server failed; nothing was changed");
        if op.request_body.is_some() {
            add(400, "The body is not JSON, or not UTF-8");
            add(413, "The body is larger than 1 MiB");
            add(415, "The body is not sent as application/json");
        }
        match caller(&method, &path) {
            Caller::Anyone => {}
            Caller::Device => add(401, "No device token, or one that no longer works"),
            Caller::Staff => {
                add(
                    401,
                    "Not signed in, the session ended, or the second factor is awaited",
                );
                if method != Method::GET || admin_only {
                    add(
                        403,
                        "The CSRF token is missing or wrong, or the role may not do this",
                    );
                }
            }
        }
    }
}

/// Each route's documented answers, by method and path template.
pub struct Documented(HashMap<(Method, String), HashSet<u16>>);

impl Documented {
    pub fn of(api: &mut OpenApi) -> Self {
        Self(
            operations(api)
                .into_iter()
                .map(|(method, path, op)| {
                    let statuses = op
                        .responses
                        .responses
                        .keys()
                        .filter_map(|s| s.parse().ok())
                        .collect();
                    ((method, path), statuses)
                })
                .collect(),
        )
    }

    /// Whether `status` is documented for the route; a route the document
    /// does not describe (the document itself) answers as it likes.
    pub fn lists(&self, method: &Method, path: &str, status: u16) -> bool {
        self.0
            .get(&(method.clone(), path.to_owned()))
            .is_none_or(|statuses| statuses.contains(&status))
    }
}
