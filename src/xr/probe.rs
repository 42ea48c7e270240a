//! Whether a headset answers, asked before the app is built, and what the
//! chosen mode makes of the answer.
//!
//! The decision is a pure function ([`decide`]) of the mode and the probe's
//! result, so every kind of failure is tested without a runtime.

use std::fmt;

/// How the person asked to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    /// The headset when one answers, else the desktop window.
    #[default]
    Auto,
    /// The headset or nothing: exit with the reason when none answers.
    Xr,
    /// The desktop window; OpenXR is never touched.
    Desktop,
}

/// What answered the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Headset {
    /// The runtime's name and version ("Monado(XRT) by Collabora et al 25.0.0").
    pub(crate) runtime: String,
    /// The headset's name as the runtime gives it.
    pub(crate) system: String,
}

/// Why no headset can be used, one kind per step of the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// No OpenXR loader library at all.
    NoLoader(String),
    /// The loader is there under its versioned name only.
    LoaderNeedsDevLink,
    /// The loader found no runtime, or the runtime would not start.
    NoRuntime(String),
    /// The runtime cannot share frames with a Vulkan renderer.
    NoVulkan {
        /// The runtime's name.
        runtime: String,
    },
    /// The runtime answered, but no headset is connected.
    NoHeadset {
        /// The runtime's name.
        runtime: String,
    },
    /// The runtime answered with an error the probe does not know.
    Other(String),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoLoader(why) => write!(
                f,
                "no OpenXR runtime is installed (the OpenXR loader libopenxr_loader.so \
                 could not be loaded: {why})"
            ),
            Self::LoaderNeedsDevLink => f.write_str(
                "the OpenXR loader is installed only as libopenxr_loader.so.1; \
                 install the package that provides libopenxr_loader.so \
                 (libopenxr-dev on Debian and Ubuntu)",
            ),
            Self::NoRuntime(why) => write!(
                f,
                "an OpenXR loader is installed, but no OpenXR runtime answered ({why}); \
                 start your headset's runtime (Monado, SteamVR, ...) first"
            ),
            Self::NoVulkan { runtime } => write!(
                f,
                "the OpenXR runtime {runtime} cannot share frames with Vulkan \
                 (XR_KHR_vulkan_enable2 is missing)"
            ),
            Self::NoHeadset { runtime } => write!(
                f,
                "the OpenXR runtime {runtime} is running, but no headset is connected"
            ),
            Self::Other(why) => write!(f, "the OpenXR runtime failed: {why}"),
        }
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Run in the headset.
    Headset(Headset),
    /// Run in a desktop window; `why` says why not in the headset (none when
    /// the desktop was asked for).
    Desktop {
        /// Said once, at start.
        why: Option<String>,
    },
    /// `--xr` was asked for and no headset answered: exit with this reason.
    Refuse(String),
}

/// The mode's decision for a probe. The probe runs only when the mode needs
/// it: `--desktop` never touches OpenXR.
pub(crate) fn decide(mode: Mode, probe: impl FnOnce() -> Result<Headset, Unavailable>) -> Decision {
    match mode {
        Mode::Desktop => Decision::Desktop { why: None },
        Mode::Xr => match probe() {
            Ok(headset) => Decision::Headset(headset),
            Err(why) => Decision::Refuse(format!("no headset: {why}")),
        },
        Mode::Auto => match probe() {
            Ok(headset) => Decision::Headset(headset),
            Err(why) => Decision::Desktop {
                why: Some(format!("running in a window: {why}")),
            },
        },
    }
}

/// Classifies the error of `xrCreateInstance`.
fn instance_error(result: openxr::sys::Result) -> Unavailable {
    use openxr::sys::Result as R;
    match result {
        R::ERROR_RUNTIME_UNAVAILABLE | R::ERROR_RUNTIME_FAILURE | R::ERROR_INSTANCE_LOST => {
            Unavailable::NoRuntime(format!("{result}"))
        }
        other => Unavailable::Other(format!("creating an instance: {other}")),
    }
}

/// Classifies the error of `xrGetSystem` for a head-mounted display.
fn system_error(result: openxr::sys::Result, runtime: &str) -> Unavailable {
    use openxr::sys::Result as R;
    match result {
        R::ERROR_FORM_FACTOR_UNAVAILABLE | R::ERROR_FORM_FACTOR_UNSUPPORTED => {
            Unavailable::NoHeadset {
                runtime: runtime.to_owned(),
            }
        }
        R::ERROR_RUNTIME_FAILURE | R::ERROR_INSTANCE_LOST => {
            Unavailable::NoRuntime(format!("{result}"))
        }
        other => Unavailable::Other(format!("finding the headset: {other}")),
    }
}

/// An error and the errors under it, as one line.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        line.push_str(": ");
        line.push_str(&e.to_string());
        cause = e.source();
    }
    line
}

/// Asks the OpenXR loader for a runtime and a headset, the way the headset
/// mode will, and lets go of everything again.
#[allow(unsafe_code)]
pub(crate) fn probe() -> Result<Headset, Unavailable> {
    // SAFETY: this loads the system's OpenXR loader, a library whose only
    // job is to provide the core OpenXR entry points; the headset mode loads
    // the same library the same way.
    let entry = match unsafe { openxr::Entry::load() } {
        Ok(entry) => entry,
        Err(why) => {
            // SAFETY: as above, under the loader's versioned name.
            let versioned =
                unsafe { openxr::Entry::load_from(std::path::Path::new("libopenxr_loader.so.1")) };
            return Err(match versioned {
                Ok(_) => Unavailable::LoaderNeedsDevLink,
                Err(_) => Unavailable::NoLoader(with_causes(&why)),
            });
        }
    };
    let extensions = entry
        .enumerate_extensions()
        .map_err(|e| Unavailable::NoRuntime(format!("{e}")))?;
    let app = openxr::ApplicationInfo {
        application_name: "Stillpoint",
        application_version: 1,
        engine_name: "Bevy",
        engine_version: 19,
        api_version: openxr::Version::new(1, 0, 0),
    };
    let instance = entry
        .create_instance(&app, &openxr::ExtensionSet::default(), &[])
        .map_err(instance_error)?;
    let runtime = instance
        .properties()
        .map(|p| format!("{} {}", p.runtime_name, p.runtime_version))
        .unwrap_or_else(|_| "(unnamed)".to_owned());
    if !extensions.khr_vulkan_enable2 {
        return Err(Unavailable::NoVulkan { runtime });
    }
    let system = instance
        .system(openxr::FormFactor::HEAD_MOUNTED_DISPLAY)
        .map_err(|e| system_error(e, &runtime))?;
    let name = instance
        .system_properties(system)
        .map(|p| p.system_name)
        .unwrap_or_default();
    Ok(Headset {
        runtime,
        system: if name.is_empty() {
            "(unnamed headset)".to_owned()
        } else {
            name
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openxr::sys::Result as R;

    fn headset() -> Headset {
        Headset {
            runtime: "Monado 25.0.0".into(),
            system: "Simulated HMD".into(),
        }
    }

    fn failures() -> Vec<Unavailable> {
        vec![
            Unavailable::NoLoader("cannot open shared object file".into()),
            Unavailable::LoaderNeedsDevLink,
            instance_error(R::ERROR_RUNTIME_UNAVAILABLE),
            Unavailable::NoVulkan {
                runtime: "Monado".into(),
            },
            system_error(R::ERROR_FORM_FACTOR_UNAVAILABLE, "Monado"),
            system_error(R::ERROR_VALIDATION_FAILURE, "Monado"),
        ]
    }

    #[test]
    fn desktop_never_probes() {
        let decision = decide(Mode::Desktop, || panic!("the probe ran"));
        assert_eq!(decision, Decision::Desktop { why: None });
    }

    #[test]
    fn a_headset_that_answers_is_used_in_auto_and_xr() {
        for mode in [Mode::Auto, Mode::Xr] {
            assert_eq!(decide(mode, || Ok(headset())), Decision::Headset(headset()));
        }
    }

    #[test]
    fn auto_falls_back_to_the_window_and_says_why_for_every_failure() {
        for failure in failures() {
            let reason = failure.to_string();
            match decide(Mode::Auto, || Err(failure.clone())) {
                Decision::Desktop { why: Some(why) } => {
                    assert!(why.starts_with("running in a window: "), "{why}");
                    assert!(why.ends_with(&reason), "{why}");
                }
                other => panic!("{failure:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn xr_refuses_with_the_reason_for_every_failure() {
        for failure in failures() {
            let reason = failure.to_string();
            assert_eq!(
                decide(Mode::Xr, || Err(failure.clone())),
                Decision::Refuse(format!("no headset: {reason}"))
            );
        }
    }

    #[test]
    fn each_failure_names_its_own_cause() {
        let says = |u: Unavailable| u.to_string();
        assert!(says(failures()[0].clone()).contains("no OpenXR runtime is installed"));
        assert!(says(Unavailable::LoaderNeedsDevLink).contains("libopenxr-dev"));
        assert!(
            says(instance_error(R::ERROR_RUNTIME_UNAVAILABLE))
                .contains("no OpenXR runtime answered")
        );
        assert!(
            says(instance_error(R::ERROR_RUNTIME_FAILURE)).contains("no OpenXR runtime answered")
        );
        assert!(
            says(system_error(R::ERROR_FORM_FACTOR_UNAVAILABLE, "Monado"))
                .contains("Monado is running, but no headset is connected")
        );
        assert!(
            says(Unavailable::NoVulkan {
                runtime: "X".into()
            })
            .contains("Vulkan")
        );
        assert!(matches!(
            system_error(R::ERROR_VALIDATION_FAILURE, "X"),
            Unavailable::Other(_)
        ));
    }
}
