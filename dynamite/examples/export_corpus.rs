//! Writes the export corpus (`dynamite_testkit::export_corpus`): for every
//! case, its CloudFormation template (`caseNN.cfn.json`) and Terraform JSON
//! (`caseNN.tf.json`), deterministically. `scripts/cfn-lint` lints them.
//!
//! ```text
//! cargo run --example export_corpus -- DIR
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use dynamite::Dynamite;
use dynamite::export::Format;
use dynamite_testkit::export_corpus::{CASES, case};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: export_corpus DIR");
        return ExitCode::from(2);
    };
    match write(&dir).await {
        Ok(n) => {
            eprintln!("export_corpus: {n} cases written to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("export_corpus: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn write(dir: &std::path::Path) -> Result<usize, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    for i in 0..CASES {
        let (name, builder) = case(Dynamite::embedded(), i);
        let db = builder.build().await?;
        for (format, extension) in [
            (Format::CloudFormation, "cfn.json"),
            (Format::Terraform, "tf.json"),
        ] {
            std::fs::write(dir.join(format!("{name}.{extension}")), db.export(format)?)?;
        }
    }
    Ok(CASES)
}
