use std::io::IsTerminal;

use clap::Parser;
use pokelake::cli::{self, Cli};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let terminal = std::io::stderr().is_terminal();
    let default = if terminal { "warn" } else { "info" };
    let wanted = cli.log.as_deref().unwrap_or(default);
    let filter = EnvFilter::try_new(wanted).unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(terminal)
        .with_target(false)
        .init();
    let code = match cli::run(cli).await {
        Ok(exit) => exit as i32,
        Err(e) => {
            eprintln!("error: {e}");
            cli::exit_of(&e) as i32
        }
    };
    std::process::exit(code);
}
