//! The scenes and states the rules' unit tests share: a forest whose safe
//! place is a lake, the lake (a safe place itself), and a hierarchy of four
//! spider steps.

use super::{AppState, ExposureFacts, Listening, Presentation, ShownScene};

pub(super) fn lake() -> ShownScene {
    ShownScene {
        path: "lake.ron".into(),
        title: "Lake".into(),
        ..ShownScene::default()
    }
}

pub(super) fn forest() -> ShownScene {
    ShownScene {
        path: "forest.ron".into(),
        title: "Forest".into(),
        safe_scene: Some("lake.ron".into()),
        ..ShownScene::default()
    }
}

pub(super) fn spiders() -> ShownScene {
    ShownScene {
        path: "spiders.ron".into(),
        title: "Spiders".into(),
        safe_scene: Some("lake.ron".into()),
        exposure: Some(ExposureFacts {
            steps: (1..=4).map(|n| (format!("s{n}"), String::new())).collect(),
            events: Vec::new(),
            suds_every: 0,
        }),
    }
}

/// In the forest, with the forest and the lake known.
pub(super) fn in_the_forest() -> AppState {
    let mut state = AppState::new(
        "forest.ron",
        None,
        Listening::default(),
        Presentation::Desktop,
    );
    state.know(forest());
    state.know(lake());
    state
}
