//! The client's plan for a scene, from the page: read (the plan in force,
//! or every step of the scene to choose from) and saved (checked as
//! `stillpoint plan import` checks a file, kept as a new version, and put
//! in force in the session if it is for the scene the person is in).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{Shared, refuse};
use crate::plan::{ClientPlan, PlanStep};

/// Which scene's plan.
#[derive(Deserialize)]
pub(super) struct Which {
    scene: String,
}

/// A plan as the page edits it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PagePlan {
    /// The scene.
    scene: String,
    /// The steps, in the plan's order.
    steps: Vec<PlanStep>,
}

/// What the page is sent: the plan (in force, or every step), its number
/// if it is kept, and the scene's steps to choose from.
#[derive(Serialize)]
struct Sent {
    client: String,
    id: Option<i64>,
    plan: PagePlan,
    scene_steps: Vec<String>,
}

/// The current client's code, and the steps of `scene` (an exposure scene
/// the console offers), or why not.
fn client_and_steps(
    shared: &Shared,
    scene: &str,
) -> Result<(String, Vec<String>), (StatusCode, String)> {
    let view = shared.view.borrow().clone();
    let Some(client) = view.record.client.clone() else {
        return Err((
            StatusCode::CONFLICT,
            "no client yet: a plan is made once the session is recorded for a client (choose or \
             make one, then show an exposure scene)"
                .into(),
        ));
    };
    let steps = view
        .scenes
        .iter()
        .find(|s| s.file == scene && !s.steps.is_empty())
        .map(|s| s.steps.clone());
    match steps {
        Some(steps) => Ok((client, steps)),
        None => Err((
            StatusCode::NOT_FOUND,
            format!("{scene:?} is not an exposure scene this console offers"),
        )),
    }
}

/// The plan in force for the current client and `scene`, or every step.
pub(super) async fn get_plan(
    State(shared): State<Arc<Shared>>,
    Query(which): Query<Which>,
) -> Response {
    let (client, scene_steps) = match client_and_steps(&shared, &which.scene) {
        Ok(found) => found,
        Err((status, why)) => return refuse(status, why),
    };
    let Some(file) = shared.journal() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no session record is kept in this run",
        );
    };
    let scene = which.scene;
    let found = tokio::task::spawn_blocking(move || -> Result<Sent, String> {
        let db = file
            .open_read()
            .map_err(|e| e.to_string())?
            .ok_or("nothing is recorded yet")?;
        let kept = crate::journal::store::find_client(&db, &client)
            .map_err(|e| e.to_string())?
            .map(|c| crate::journal::store::plan_in_force(&db, c.id, &scene))
            .transpose()
            .map_err(|e| e.to_string())?
            .flatten();
        let (id, steps) = match kept {
            Some(kept) => {
                let plan: ClientPlan = crate::diagnostics::ron_options()
                    .from_str(&kept.text)
                    .map_err(|e| e.to_string())?;
                (Some(kept.id), plan.steps)
            }
            None => (
                None,
                scene_steps
                    .iter()
                    .map(|step| PlanStep {
                        step: step.clone(),
                        words: String::new(),
                        predicted_suds: 0,
                        feared: String::new(),
                    })
                    .collect(),
            ),
        };
        Ok(Sent {
            client,
            id,
            plan: PagePlan { scene, steps },
            scene_steps,
        })
    })
    .await;
    match found {
        Ok(Ok(sent)) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(sent)).into_response(),
        Ok(Err(why)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, why),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the plan could not be read",
        ),
    }
}

/// Checks and keeps the plan the page sends, for the current client.
pub(super) async fn save_plan(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let page: PagePlan = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, format!("not a plan: {e}")),
    };
    let (client, scene_steps) = match client_and_steps(&shared, &page.scene) {
        Ok(found) => found,
        Err((status, why)) => return refuse(status, why),
    };
    let Some(file) = shared.journal() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no session record is kept in this run",
        );
    };
    let plan = ClientPlan {
        client,
        scene: page.scene,
        steps: page.steps,
    };
    let scene = plan.scene.clone();
    let saved = tokio::task::spawn_blocking(move || -> Result<i64, (StatusCode, String)> {
        let text = plan.to_ron();
        let names = |s: &str| (s == plan.scene).then(|| scene_steps.clone());
        // Checked as a file is: every problem said, with where it is.
        crate::plan::parse("the plan", text.as_bytes(), &names, &|_| Ok(()))
            .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
        let broken = |e: String| (StatusCode::INTERNAL_SERVER_ERROR, e);
        let mut db = crate::journal::store::open(&file.path, false, file.passphrase.as_ref())
            .map_err(|e| broken(e.to_string()))?
            .ok_or_else(|| broken("nothing is recorded yet".into()))?;
        let client = crate::journal::store::find_client(&db, &plan.client)
            .map_err(|e| broken(e.to_string()))?
            .ok_or_else(|| broken(format!("no client {} in the record", plan.client)))?;
        let tx = db.transaction().map_err(|e| broken(e.to_string()))?;
        let id = crate::journal::store::save_plan(
            &tx,
            client.id,
            &plan.scene,
            &text,
            crate::journal::store::now_ms(),
        )
        .map_err(|e| broken(e.to_string()))?;
        tx.commit().map_err(|e| broken(e.to_string()))?;
        Ok(id)
    })
    .await;
    match saved {
        Ok(Ok(id)) => {
            shared.plan_saved(scene);
            axum::Json(serde_json::json!({ "id": id })).into_response()
        }
        Ok(Err((status, why))) => refuse(status, why),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the plan could not be kept",
        ),
    }
}
