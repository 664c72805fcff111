//! Progress for long work: a bar on a terminal, `tracing` lines otherwise, nothing when off.
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// When to draw a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal.
    #[default]
    Auto,
    On,
    Off,
}

/// Pages done of pages known, retries and bytes, for one run.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A progress display for `mode` (`Auto` draws only on a terminal), counting pages.
    pub fn new(mode: ProgressMode) -> Progress {
        Progress::with_unit(mode, "pages")
    }

    /// A progress display counting `unit`s (`pages`, `images`).
    pub fn with_unit(mode: ProgressMode, unit: &str) -> Progress {
        let draw = match mode {
            ProgressMode::Auto => std::io::stderr().is_terminal(),
            ProgressMode::On => true,
            ProgressMode::Off => false,
        };
        let bar = draw.then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(&format!(
                    "{{spinner}} {{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}}"
                ))
                .expect("static template")
                .progress_chars("=> "),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Progress { bar }
    }

    /// More pages are known to come.
    pub fn add_pages(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc_length(n);
        }
    }

    /// A page is done (landed or found already landed).
    pub fn page_done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    /// Shows the running counters after the bar.
    pub fn message(&self, msg: String) {
        if let Some(b) = &self.bar {
            b.set_message(msg);
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
