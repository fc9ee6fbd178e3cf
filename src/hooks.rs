//! `aims hook install` / `uninstall`: the scripts in `hooks/`, placed where
//! git really looks for hooks (`git rev-parse --git-path hooks`, which
//! honours `core.hooksPath` and linked worktrees).
//!
//! A hook that is already there is kept, renamed `NAME.pre-aims`, and run
//! first by ours. Uninstall removes only scripts carrying our marker line
//! and puts the chained hook back.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The scripts, as shipped in `hooks/`.
pub const HOOKS: &[(&str, &str)] = &[
    ("pre-commit", include_str!("../hooks/pre-commit")),
    (
        "pre-merge-commit",
        include_str!("../hooks/pre-merge-commit"),
    ),
    ("pre-push", include_str!("../hooks/pre-push")),
];

/// The line that marks a script as ours.
const MARKER: &str = "# aims-hook: ";
/// Where a hook that was there before ours is kept.
const CHAINED: &str = ".pre-aims";
/// The line `install` rewrites to name the installing binary.
const BIN_LINE: &str = "AIMS_BIN=\"${AIMS_BIN:-aims}\"";

/// What happened to one hook.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Installed,
    /// Ours was there already and was rewritten.
    Updated,
    /// Someone else's hook was kept and is run first.
    Chained,
    Removed,
    /// Removed, and the chained hook put back.
    Restored,
    /// Not ours: left alone.
    NotOurs,
    Absent,
}

pub struct Done {
    pub hook: &'static str,
    pub path: PathBuf,
    pub action: Action,
}

/// The directory git runs hooks from for the repository at `root`.
pub fn hooks_dir(root: &Path) -> miette::Result<PathBuf> {
    let out = Command::new("git")
        .current_dir(root)
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .output()
        .map_err(|e| miette::miette!("cannot run git: {e}"))?;
    if !out.status.success() {
        miette::bail!(
            help = "run it inside a git repository (`git init` first)",
            "git cannot say where its hooks are: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(PathBuf::from(dir))
}

/// Installs every hook; `binary` is the aims the hooks will run.
pub fn install(root: &Path, binary: &Path) -> miette::Result<Vec<Done>> {
    let dir = hooks_dir(root)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| miette::miette!("cannot create {}: {e}", dir.display()))?;
    let mut done = Vec::new();
    for (hook, script) in HOOKS {
        let path = dir.join(hook);
        let chained = dir.join(format!("{hook}{CHAINED}"));
        let action = match std::fs::read(&path) {
            Ok(existing) if is_ours(&existing) => Action::Updated,
            Ok(_) => {
                if chained.exists() {
                    miette::bail!(
                        help = "merge the two by hand, or remove one, and run `aims hook install` again",
                        "{} is not an aims hook, and {} already exists",
                        path.display(),
                        chained.display()
                    );
                }
                std::fs::rename(&path, &chained)
                    .map_err(|e| miette::miette!("cannot keep {}: {e}", path.display()))?;
                Action::Chained
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Action::Installed,
            Err(e) => miette::bail!("cannot read {}: {e}", path.display()),
        };
        let script = script.replace(
            BIN_LINE,
            &format!("AIMS_BIN=\"${{AIMS_BIN:-{}}}\"", shell_word(binary)),
        );
        write_executable(&path, &script)?;
        done.push(Done { hook, path, action });
    }
    Ok(done)
}

/// Removes the hooks `install` wrote, and only those.
pub fn uninstall(root: &Path) -> miette::Result<Vec<Done>> {
    let dir = hooks_dir(root)?;
    let mut done = Vec::new();
    for (hook, _) in HOOKS {
        let path = dir.join(hook);
        let chained = dir.join(format!("{hook}{CHAINED}"));
        let action = match std::fs::read(&path) {
            Ok(existing) if is_ours(&existing) => {
                std::fs::remove_file(&path)
                    .map_err(|e| miette::miette!("cannot remove {}: {e}", path.display()))?;
                if chained.exists() {
                    std::fs::rename(&chained, &path).map_err(|e| {
                        miette::miette!("cannot restore {}: {e}", chained.display())
                    })?;
                    Action::Restored
                } else {
                    Action::Removed
                }
            }
            Ok(_) => Action::NotOurs,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Action::Absent,
            Err(e) => miette::bail!("cannot read {}: {e}", path.display()),
        };
        done.push(Done { hook, path, action });
    }
    Ok(done)
}

fn is_ours(script: &[u8]) -> bool {
    String::from_utf8_lossy(script)
        .lines()
        .any(|l| l.starts_with(MARKER))
}

/// A path as one word inside the double quotes of `${AIMS_BIN:-…}`.
fn shell_word(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn write_executable(path: &Path, text: &str) -> miette::Result<()> {
    // Written beside the hook and renamed, so git never runs half a script.
    let tmp = path.with_extension("aims-tmp");
    std::fs::write(&tmp, text)
        .map_err(|e| miette::miette!("cannot write {}: {e}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| miette::miette!("cannot make {} executable: {e}", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_scripts_carry_the_marker_and_the_binary_line() {
        for (hook, script) in HOOKS {
            assert!(is_ours(script.as_bytes()), "{hook}");
            assert!(script.contains(BIN_LINE), "{hook}");
            assert!(script.starts_with("#!/bin/sh\n"), "{hook}");
        }
    }

    #[test]
    fn paths_are_quoted_for_the_shell() {
        assert_eq!(
            shell_word(Path::new("/opt/my \"aims\"/$x`y`")),
            "/opt/my \\\"aims\\\"/\\$x\\`y\\`"
        );
    }
}
