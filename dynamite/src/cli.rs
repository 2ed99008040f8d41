//! A command line for the schema, to embed in a bin of your own: the bin
//! builds the handle with its models and options, this module does the rest.
//!
//! ```text
//! plan [--check]                               what sync would change (--check: exit 1 if a change is pending)
//! sync                                         create tables and indexes, enable TTL, set options
//! export --format cloudformation|terraform [--output FILE]
//! ```
//!
//! A `src/bin/schema.rs` of your own:
//!
//! ```no_run
//! use dynamite::prelude::*;
//!
//! #[derive(Table, Debug, Clone)]
//! struct User {
//!     #[dynamite(primary_key)]
//!     id: String,
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let db = match Dynamite::from_env().table::<User>().build().await {
//!         Ok(db) => db,
//!         Err(e) => {
//!             eprintln!("{e}");
//!             return std::process::ExitCode::FAILURE;
//!         }
//!     };
//!     dynamite::cli::main(&db).await
//! }
//! ```
//!
//! [`run`] is the same with the arguments and the output given, for tests:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), dynamite::cli::CliError> {
//! use dynamite::prelude::*;
//! use dynamite::cli::{Outcome, run};
//! #[derive(Table, Debug, Clone)]
//! struct User {
//!     #[dynamite(primary_key)]
//!     id: String,
//! }
//! let db = Dynamite::embedded().table::<User>().build().await?;
//! let mut out = Vec::new();
//! assert_eq!(run(&db, ["plan", "--check"], &mut out).await?, Outcome::Pending);
//! assert_eq!(String::from_utf8_lossy(&out), "create table users\n");
//! out.clear();
//! run(&db, ["sync"], &mut out).await?;
//! assert_eq!(run(&db, ["plan", "--check"], &mut Vec::new()).await?, Outcome::Done);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::client::Dynamite;
use crate::export::Format;
use crate::sync_report::SyncReport;

/// The usage text `--help` prints.
pub const USAGE: &str = "\
usage: <command> [options]

commands:
  plan [--check]             what sync would change; --check exits 1 when a change is
                             pending (withheld changes are printed and exit 0: sync
                             would not make them either)
  sync                       create missing tables and indexes, enable TTL, set table options
  export --format <cloudformation|terraform> [--output <file>]
                             the tables as infrastructure code (stdout unless --output)
  help                       this text
";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `plan`: print what `sync` would change.
    Plan {
        /// `--check`: report pending changes through the exit code. Withheld
        /// changes (which `sync` would not make either) are printed but do
        /// not count: only withheld left is [`Outcome::Done`].
        check: bool,
    },
    /// `sync`: make the changes.
    Sync,
    /// `export`: print (or write) the schema as infrastructure code.
    Export {
        /// `--format`.
        format: Format,
        /// `--output`: a file instead of the output stream.
        output: Option<PathBuf>,
    },
    /// `help`, `--help`, `-h`.
    Help,
}

/// What a command ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or nothing to do).
    Done,
    /// `plan --check` found changes `sync` would make.
    Pending,
}

/// A command line that could not run.
#[derive(Debug)]
pub enum CliError {
    /// The arguments are not a command (exit code 2).
    Usage(String),
    /// The command failed.
    Failed(crate::Error),
    /// The output could not be written.
    Io(std::io::Error),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) => write!(f, "{message}\n\n{USAGE}"),
            CliError::Failed(e) => write!(f, "{e}"),
            CliError::Io(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CliError::Usage(_) => None,
            CliError::Failed(e) => Some(e),
            CliError::Io(e) => Some(e),
        }
    }
}

impl From<crate::Error> for CliError {
    fn from(e: crate::Error) -> Self {
        CliError::Failed(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e)
    }
}

fn usage(message: impl Into<String>) -> CliError {
    CliError::Usage(message.into())
}

impl Command {
    /// Parses the arguments after the program name.
    ///
    /// ```
    /// use dynamite::cli::Command;
    /// use dynamite::export::Format;
    /// assert_eq!(
    ///     Command::parse(["export", "--format", "terraform"]).unwrap(),
    ///     Command::Export { format: Format::Terraform, output: None }
    /// );
    /// assert!(Command::parse(["drop"]).is_err());
    /// ```
    pub fn parse<I, S>(args: I) -> Result<Command, CliError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        let Some((command, rest)) = args.split_first() else {
            return Err(usage("no command given"));
        };
        let unexpected = |arg: &str| usage(format!("`{command}` does not take `{arg}`"));
        match command.as_str() {
            "plan" => match rest {
                [] => Ok(Command::Plan { check: false }),
                [flag] if flag == "--check" => Ok(Command::Plan { check: true }),
                [other, ..] => Err(unexpected(other)),
            },
            "sync" => match rest.first() {
                None => Ok(Command::Sync),
                Some(other) => Err(unexpected(other)),
            },
            "export" => {
                let mut format = None;
                let mut output = None;
                let mut rest = rest.iter();
                while let Some(arg) = rest.next() {
                    let (flag, inline) = match arg.split_once('=') {
                        Some((flag, value)) => (flag, Some(value.to_owned())),
                        None => (arg.as_str(), None),
                    };
                    let mut value = || {
                        inline
                            .clone()
                            .or_else(|| rest.next().cloned())
                            .ok_or_else(|| usage(format!("`{flag}` needs a value")))
                    };
                    match flag {
                        "--format" => {
                            format = Some(match value()?.as_str() {
                                "cloudformation" => Format::CloudFormation,
                                "terraform" => Format::Terraform,
                                other => {
                                    return Err(usage(format!(
                                        "unknown format `{other}`: cloudformation or terraform"
                                    )));
                                }
                            });
                        }
                        "--output" | "-o" => output = Some(PathBuf::from(value()?)),
                        other => return Err(unexpected(other)),
                    }
                }
                let format = format.ok_or_else(|| {
                    usage("`export` needs `--format cloudformation` or `--format terraform`")
                })?;
                Ok(Command::Export { format, output })
            }
            "help" | "--help" | "-h" => Ok(Command::Help),
            other => Err(usage(format!("unknown command `{other}`"))),
        }
    }
}

fn write_report(out: &mut impl Write, report: &SyncReport) -> std::io::Result<()> {
    if report.is_empty() {
        return writeln!(out, "nothing to change");
    }
    writeln!(out, "{report}")
}

/// Runs a command line (the arguments after the program name) on `db`,
/// writing what it reports to `out`.
pub async fn run<I, S>(db: &Dynamite, args: I, out: &mut impl Write) -> Result<Outcome, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    match Command::parse(args)? {
        Command::Plan { check } => {
            let report = db.sync_plan().await?;
            write_report(out, &report)?;
            // Withheld changes are printed; sync would not make them, so
            // they leave nothing pending.
            Ok(if check && !report.changes.is_empty() {
                Outcome::Pending
            } else {
                Outcome::Done
            })
        }
        Command::Sync => {
            let report = db.sync().await?;
            write_report(out, &report)?;
            Ok(Outcome::Done)
        }
        Command::Export { format, output } => {
            let text = db.export(format)?;
            match output {
                Some(path) => std::fs::write(&path, text)?,
                None => out.write_all(text.as_bytes())?,
            }
            Ok(Outcome::Done)
        }
        Command::Help => {
            out.write_all(USAGE.as_bytes())?;
            Ok(Outcome::Done)
        }
    }
}

/// [`run`] with the process's arguments, printing to stdout and errors to
/// stderr. Exit code 0 when done, 1 when `plan --check` finds changes or a
/// command fails, 2 for a command line that is not one.
pub async fn main(db: &Dynamite) -> ExitCode {
    let mut buffer = Vec::new();
    let result = run(db, std::env::args().skip(1), &mut buffer).await;
    if let Err(e) = std::io::stdout().write_all(&buffer) {
        eprintln!("cannot write the output: {e}");
        return ExitCode::FAILURE;
    }
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Pending) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{e}");
            match e {
                CliError::Usage(_) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
