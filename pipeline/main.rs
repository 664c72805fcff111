use clap::Parser;
use pokelake::cli::{self, Cli};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.log).unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
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
