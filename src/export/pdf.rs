//! `aims export --pdf`: `book.html` printed to `evidence.pdf` by a
//! locally installed headless Chromium (or Chrome). Nothing is fetched:
//! no browser, no PDF, and a clear error that names the package.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The PDF's name in the package.
pub const FILE: &str = "evidence.pdf";

/// Names tried on PATH, in order.
const NAMES: [&str; 5] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
];

/// How long printing may take before it is given up (a browser that
/// waits for something forever must not hang an export).
const TIMEOUT: Duration = Duration::from_secs(300);

/// The browser to print with: `AIMS_CHROMIUM` when set, else the first of
/// [`NAMES`] on PATH.
pub fn find() -> miette::Result<PathBuf> {
    if let Some(path) = std::env::var_os("AIMS_CHROMIUM").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        if let Some(found) = on_path(&path) {
            return Ok(found);
        }
        miette::bail!(
            help = "set AIMS_CHROMIUM to a Chromium or Chrome binary, or unset it to search PATH",
            "AIMS_CHROMIUM is `{}`, which is not a file",
            path.display()
        );
    }
    NAMES
        .iter()
        .find_map(|n| on_path(Path::new(n)))
        .ok_or_else(|| {
            miette::miette!(
                help = "install the `chromium` package (e.g. `apt-get install chromium`), or set \
                        AIMS_CHROMIUM to a Chromium or Chrome binary; without --pdf the package \
                        still holds book.html, which any browser prints",
                "--pdf needs a headless Chromium, and none was found on PATH ({})",
                NAMES.join(", ")
            )
        })
}

fn on_path(name: &Path) -> Option<PathBuf> {
    if name.components().count() > 1 {
        return None;
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether this process runs as root, where Chromium refuses to start
/// with its sandbox.
fn is_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Prints the HTML file `html` with `browser` and returns the PDF's bytes.
pub fn print(browser: &Path, html: &Path) -> miette::Result<Vec<u8>> {
    let work =
        tempfile::tempdir().map_err(|e| miette::miette!("cannot make a temporary folder: {e}"))?;
    let pdf = work.path().join(FILE);
    let profile = work.path().join("profile");
    let html = std::path::absolute(html).map_err(|e| miette::miette!("{e}"))?;
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-pdf-header-footer",
        "--print-to-pdf-no-header",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--print-to-pdf={}", pdf.display()));
    if is_root() {
        cmd.arg("--no-sandbox");
    }
    cmd.arg(file_url(&html))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        miette::miette!(
            help = "check AIMS_CHROMIUM, or install the `chromium` package",
            "cannot start {}: {e}",
            browser.display()
        )
    })?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                miette::bail!(
                    "{} did not finish printing book.html within {} s",
                    browser.display(),
                    TIMEOUT.as_secs()
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => miette::bail!("waiting for {}: {e}", browser.display()),
        }
    };
    let stderr = child
        .stderr
        .take()
        .map(|mut s| {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut s, &mut text);
            text
        })
        .unwrap_or_default();
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF-") {
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        miette::bail!(
            help = "run the same browser by hand on book.html to see why",
            "{} did not print book.html to a PDF ({status}){}",
            browser.display(),
            if tail.is_empty() {
                String::new()
            } else {
                format!(
                    ": {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
                )
            }
        );
    }
    Ok(bytes)
}

/// A `file://` URL for an absolute path, percent-encoded.
fn file_url(path: &Path) -> String {
    let mut out = String::from("file://");
    let path = crate::workspace::slash_path(path);
    if !path.starts_with('/') {
        out.push('/'); // C:/… on Windows
    }
    out.push_str(&crate::safe::percent(&path, b"/-._~"));
    out
}
