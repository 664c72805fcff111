//! One benchmark step as a child process: wall time and the child's own peak RSS (from
//! `wait4`'s rusage, so steps never share memory with each other or with the harness).
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{Error, Result};

/// How a child ran.
#[derive(Debug, Clone)]
pub struct Ran {
    pub wall_s: f64,
    /// Peak resident set size of the child, bytes (`ru_maxrss`).
    pub peak_rss: u64,
    pub stdout: Vec<u8>,
}

/// Runs `cmd` to its end with stdout and stderr in files under `dir`; fails naming `what` and
/// the tail of its stderr when it exits non-zero.
pub fn run(what: &str, mut cmd: Command, dir: &Path) -> Result<Ran> {
    let io = |source: std::io::Error| Error::Io {
        path: format!("{what} ({})", dir.display()),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let out_path = dir.join(format!("{what}.stdout"));
    let err_path = dir.join(format!("{what}.stderr"));
    let out = std::fs::File::create(&out_path).map_err(io)?;
    let err = std::fs::File::create(&err_path).map_err(io)?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    let started = Instant::now();
    let child = cmd.spawn().map_err(io)?;
    let (status, peak_rss) = wait4(child.id() as libc::pid_t).map_err(io)?;
    let wall_s = started.elapsed().as_secs_f64();
    let stdout = std::fs::read(&out_path).map_err(io)?;
    if status != 0 {
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::Usage(format!(
            "bench step {what} failed (wait status {status}): {}",
            tail.join(" | ")
        )));
    }
    Ok(Ran {
        wall_s,
        peak_rss,
        stdout,
    })
}

/// Waits for `pid`; its wait status and peak RSS in bytes.
fn wait4(pid: libc::pid_t) -> std::io::Result<(i32, u64)> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, zero is a valid value; wait4 writes into both.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, not yet reaped (std's Child never waited on it).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    // Linux reports ru_maxrss in KiB.
    Ok((status, usage.ru_maxrss as u64 * 1024))
}
