//! `stillpoint plan`: a client's plan for an exposure scene written out as
//! RON, and read back in, checked against the scene and the record.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::outfile::{Failure, terminal, write_private};
use super::store::{self, StoreError};
use crate::plan::{ClientPlan, PlanStep};

/// What `stillpoint plan` does.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Write a client's plan for an exposure scene as RON: the one in
    /// force, or (when they have none) one with every step of the scene,
    /// to edit and import.
    Export {
        /// The client: their code, or their alias.
        #[arg(value_name = "CLIENT")]
        client: String,
        /// The exposure scene, as `stillpoint scenes` lists it
        /// (`spiders.ron`).
        #[arg(value_name = "SCENE")]
        scene: String,
        /// File to write (readable by you only); default the terminal.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Write over FILE if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Read a plan file, check it against its scene and the record, and
    /// keep it as the client's plan for that scene from now on.
    Import {
        /// The plan file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Runs a `plan` subcommand on the record in the data folder.
pub fn run(what: PlanCommand) -> ExitCode {
    super::command::on_record(|path, passphrase, _, out| match what {
        PlanCommand::Export {
            client,
            scene,
            out: file,
            force,
        } => export(path, passphrase, &client, &scene, file, force, out),
        PlanCommand::Import { file } => import(path, passphrase, &file, out),
    })
}

/// The names of the steps of the exposure scene `scene` in the scene
/// folder, lowest first; `None` when there is no such exposure scene (a
/// name that leaves the folder included).
pub fn scene_steps(scene: &str) -> Option<Vec<String>> {
    let name = Path::new(scene);
    if name.components().count() != 1 || name.extension().is_none_or(|e| e != "ron") {
        return None;
    }
    let path = crate::scene::folder::scenes_dir().join(name);
    crate::scene::steps_of(&path)
}

fn export(
    path: &Path,
    passphrase: Option<&store::Passphrase>,
    client: &str,
    scene: &str,
    file: Option<PathBuf>,
    force: bool,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let Some(db) = store::open_read(path, passphrase)? else {
        return Err(Failure::Refused(format!(
            "no sessions are recorded yet ({} does not exist)",
            path.display()
        )));
    };
    let client = store::client_named(&db, client, path)?;
    let Some(steps) = scene_steps(scene) else {
        return Err(Failure::Refused(format!(
            "{scene:?} is not an exposure scene of the scene folder (`stillpoint scenes` lists \
             them)"
        )));
    };
    let kept = store::plan_in_force(&db, client.id, scene)
        .map_err(|e| StoreError::sql_on(path, &db, e))?;
    let (text, said) = match kept {
        Some(kept) => (
            kept.text,
            format!("plan {} of client {}", kept.id, client.code),
        ),
        None => (
            ClientPlan {
                client: client.code.clone(),
                scene: scene.to_owned(),
                steps: steps
                    .into_iter()
                    .map(|step| PlanStep {
                        step,
                        words: String::new(),
                        predicted_suds: 0,
                        feared: String::new(),
                    })
                    .collect(),
            }
            .to_ron(),
            format!(
                "client {} has no plan for {scene} yet: this one has every step of the scene, \
                 to edit and import",
                client.code
            ),
        ),
    };
    super::RecordFile {
        path: path.to_path_buf(),
        passphrase: passphrase.cloned(),
    }
    .note("exported", &format!("a plan for {scene}"))
    .unwrap_or_else(|why| crate::tell!("stillpoint: {why}"));
    match file {
        None => {
            crate::tell!("stillpoint: {said}");
            out.write_all(text.as_bytes()).map_err(terminal)
        }
        Some(file) => {
            write_private(&file, path, force, text.as_bytes())?;
            writeln!(
                out,
                "Wrote {said} to {}: readable by you only, and not encrypted; delete it when it \
                 is imported.",
                file.display()
            )
            .map_err(terminal)
        }
    }
}

fn import(
    path: &Path,
    passphrase: Option<&store::Passphrase>,
    file: &Path,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let Some(mut db) = store::open(path, false, passphrase)? else {
        return Err(Failure::Refused(format!(
            "no sessions are recorded yet ({} does not exist), so there is no client to plan for",
            path.display()
        )));
    };
    let shown = file.display().to_string();
    let bytes = crate::diagnostics::read_limited(file, &shown, "plan")
        .map_err(|e| Failure::Refused(e.to_string()))?;
    let plan = {
        let client_of = |typed: &str| -> Result<(), String> {
            let code = store::parse_code(typed)?;
            match store::find_client(&db, &code) {
                Ok(Some(c)) if c.code == code => Ok(()),
                Ok(_) => Err(format!(
                    "no client {code} in the session record (`stillpoint journal clients` lists \
                     them)"
                )),
                Err(e) => Err(e.to_string()),
            }
        };
        crate::plan::parse(&shown, &bytes, &scene_steps, &client_of)
            .map_err(|e| Failure::Refused(e.to_string()))?
    };
    let client = store::client_named(&db, &plan.client, path)?;
    let fail = |e| StoreError::sql(path, e);
    let tx = db.transaction().map_err(fail)?;
    let id = store::save_plan(&tx, client.id, &plan.scene, &plan.to_ron(), store::now_ms())
        .map_err(fail)?;
    tx.commit().map_err(fail)?;
    writeln!(
        out,
        "Plan {id} for client {} in {}: {} step{}, in force from the next session.",
        client.code,
        plan.scene,
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" }
    )
    .map_err(terminal)
}
