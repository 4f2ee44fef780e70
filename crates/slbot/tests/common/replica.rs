//! A `slbot bot` process listening on a port of its own choosing, for the replicas test and
//! the replicas load bench (both include this file by path).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `slbot bot` process; killed (SIGKILL) when dropped.
pub struct Replica {
    child: Child,
    pub url: String,
}

impl Replica {
    /// Stops the process (SIGSTOP) so that it takes no event from the shared queue until
    /// [`Replica::resume`]: the way a test decides which replica works on a command.
    #[allow(dead_code)] // the load bench kills replicas but never pauses them
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused process go on (SIGCONT).
    #[allow(dead_code)]
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {which} failed");
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        // A paused process dies of SIGKILL too; SIGCONT first so nothing waits on it.
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `slbot bot --listen 127.0.0.1:0` with exactly `env` (and `SLBOT_LOG=log`), and reads
/// its URL from the first line it prints.
pub fn start_replica(env: &HashMap<String, String>, log: &str) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slbot"))
        .args(["bot", "--listen", "127.0.0.1:0"])
        .env_clear()
        .envs(env)
        .env("SLBOT_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run the slbot binary");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("its stdout"))
        .read_line(&mut line)
        .expect("its first line");
    let url = line
        .trim()
        .strip_prefix("bot listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Replica { child, url }
}
