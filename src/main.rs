//! The `aims` command line: parses arguments, runs a command, maps the
//! result to an exit code (0 clean, 1 findings, 2 could not run).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use aims::approve::ApproveOptions;
use aims::cli::{Cli, ColorChoice, Command, HookAction};
use aims::commands::{self, AuditOptions, CheckMode, CheckOptions, DiffOptions, Outcome};
use aims::scaffold::InitOptions;

fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// A path given on the command line, taken from `-C`'s DIR when relative.
fn under(chdir: &Option<PathBuf>, path: PathBuf) -> PathBuf {
    match chdir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    }
}

fn main() -> ExitCode {
    aims::tune::libgit2();
    let cli = Cli::parse();
    if let Some(anchor) = &cli.trust_anchor {
        // Read by the register wherever it is built (as AIMS_TODAY is).
        // SAFETY: set once, before any thread is started.
        unsafe { std::env::set_var("AIMS_TRUST_ANCHOR", anchor) };
    }
    if cli.no_cache {
        // SAFETY: set once, before any thread is started.
        unsafe { std::env::set_var("AIMS_NO_CACHE", "1") };
    }
    if cli.offline {
        // SAFETY: set once, before any thread is started.
        unsafe { std::env::set_var("AIMS_OFFLINE", "1") };
    }
    let start = cli.chdir.clone().unwrap_or_else(|| PathBuf::from("."));
    let stdout_color = use_color(cli.color, std::io::stdout().is_terminal());
    // Output is produced whole, then written: a closed pipe (`aims rules |
    // head`) is then a quiet end, not an error.
    let mut out = Vec::new();
    let result = match cli.command {
        Command::Check {
            format,
            fail_on,
            staged,
            pre_push,
        } => {
            let mode = match (staged, pre_push) {
                (true, _) => CheckMode::Staged,
                (_, true) => CheckMode::PrePush,
                _ => CheckMode::All,
            };
            let opts = CheckOptions {
                format,
                fail_on: fail_on.into(),
                color: stdout_color,
                mode,
            };
            commands::check(&start, &opts, &mut out)
        }
        Command::Audit {
            as_of,
            format,
            crosswalk,
            fail_on,
        } => commands::audit(
            &start,
            &AuditOptions {
                as_of: as_of.as_deref(),
                format,
                crosswalk,
                fail_on: fail_on.into(),
            },
            &mut out,
        ),
        Command::Export {
            out: dir,
            as_of,
            zip,
            force,
            sign,
            pdf,
        } => {
            let opts = aims::export::Options {
                out: under(&cli.chdir, dir),
                as_of: as_of.as_deref(),
                zip: zip.map(|z| under(&cli.chdir, z)),
                force,
                sign,
                pdf,
            };
            commands::export(&start, &opts, &mut out)
        }
        Command::VerifyExport {
            package,
            allowed_signers,
            keyring,
            require_signature,
        } => {
            let allowed_signers = allowed_signers.map(|p| under(&cli.chdir, p));
            let keyring = keyring.map(|p| under(&cli.chdir, p));
            commands::verify_export(
                &start,
                &under(&cli.chdir, package),
                allowed_signers.as_deref(),
                keyring.as_deref(),
                require_signature,
                &mut out,
            )
        }
        Command::Status { as_of, format } => {
            commands::status(&start, as_of.as_deref(), format, &mut out)
        }
        Command::Reviews {
            within,
            as_of,
            format,
        } => commands::reviews(&start, &within, as_of.as_deref(), format, &mut out),
        Command::Log { id, as_of, format } => {
            commands::log(&start, &id, as_of.as_deref(), format, &mut out)
        }
        Command::Diff {
            id,
            from,
            to,
            format,
        } => commands::diff(
            &start,
            &DiffOptions {
                id: &id,
                from: from.as_deref(),
                to: to.as_deref(),
                format,
                color: stdout_color,
            },
            &mut out,
        ),
        Command::Approve {
            ids,
            all_changed,
            role,
            review,
            message,
        } => commands::approve(
            &start,
            &ApproveOptions {
                ids,
                all_changed,
                role,
                review,
                message,
            },
            &mut out,
        ),
        Command::Seal => commands::seal(&start, &mut out),
        Command::Sync { jobs } => commands::sync(&start, jobs, &mut out),
        Command::PrComment {
            base,
            head,
            url,
            format,
        } => {
            let opts = aims::pr_comment::Options {
                base,
                head,
                url,
                format,
            };
            commands::pr_comment(&start, &opts, &mut out)
        }
        Command::Hook { action } => {
            commands::hook(&start, matches!(action, HookAction::Install), &mut out)
        }
        Command::Rules { format } => commands::list_rules(format, &mut out),
        Command::Explain { code } => commands::explain(&code, &mut out),
        Command::Init {
            dir,
            force,
            organisation,
            email,
            product,
            upstream,
            reference,
        } => {
            let dir = if dir.is_absolute() {
                dir
            } else {
                start.join(dir)
            };
            if product {
                commands::init_product(
                    &dir,
                    upstream.as_deref().unwrap_or_default(),
                    &reference,
                    force,
                    &mut out,
                )
            } else {
                commands::init(
                    &InitOptions {
                        dir,
                        force,
                        organisation,
                        email,
                    },
                    &mut out,
                )
            }
        }
        Command::New {
            kind,
            title,
            owner,
            system,
        } => commands::new(&start, &kind, title, owner, system, &mut out),
        Command::Completions { shell } => commands::completions(shell.into(), &mut out),
        Command::Man { out: dir } => commands::man(&under(&cli.chdir, dir), &mut out),
    };
    // Whatever a title or message holds, no escape sequence reaches the
    // terminal (see `aims::safe`).
    let out = aims::safe::stream(&out, stdout_color);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(&out).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("aims: cannot write output: {e}");
        return ExitCode::from(2);
    }
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(report) => {
            let color = use_color(cli.color, std::io::stderr().is_terminal());
            let mut text = String::new();
            if aims::report::human_handler(color)
                .render_report(&mut text, report.as_ref())
                .is_err()
            {
                text = format!("aims: {report:?}\n");
            }
            let _ = std::io::stderr().write_all(&aims::safe::stream(text.as_bytes(), color));
            ExitCode::from(2)
        }
    }
}
