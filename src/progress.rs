//! A progress line on stderr for long scans: accounts finished, resources evaluated, failing
//! findings so far. Shown only when stderr is a terminal, `CI` is not set and `--quiet` is not
//! given; piped or in CI nothing is drawn.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use std::sync::Mutex;
use vigil_run::Counters;

/// Whether a progress display belongs on this stderr.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::env::var_os("CI").is_none() && std::io::stderr().is_terminal()
}

/// A running progress display; cleared when finished or dropped.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts the display (or nothing when `enabled` is false).
    pub fn start(
        enabled: bool,
        total_accounts: u64,
        accounts_done: Arc<AtomicU64>,
        counters: Arc<Counters>,
    ) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled {
            return Progress { stop, thread: None };
        }
        let bar = ProgressBar::with_draw_target(
            Some(total_accounts),
            ProgressDrawTarget::stderr_with_hz(10),
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} scanning [{bar:24}] {pos}/{len} accounts · {msg} · {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("vigil-progress".into())
            .spawn(move || loop {
                let docs = counters.documents.load(Relaxed);
                let failing = counters.failing.load(Relaxed);
                bar.set_position(accounts_done.load(Relaxed));
                bar.set_message(format!("{docs} resources · {failing} failing"));
                bar.tick();
                if flag.load(Relaxed) {
                    bar.finish_and_clear();
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            })
            .ok();
        Progress { stop, thread }
    }

    /// Stops and clears the display.
    pub fn finish(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The progress display as a run's observer: drawn while documents are collected.
pub struct Observer {
    enabled: bool,
    shown: Mutex<Option<Progress>>,
}

impl Observer {
    pub fn new(enabled: bool) -> Observer {
        Observer {
            enabled,
            shown: Mutex::new(None),
        }
    }
}

impl vigil_run::Observer for Observer {
    fn collecting(&self, accounts: u64, accounts_done: Arc<AtomicU64>, counters: Arc<Counters>) {
        let p = Progress::start(self.enabled, accounts, accounts_done, counters);
        if let Ok(mut shown) = self.shown.lock() {
            *shown = Some(p);
        }
    }

    fn collected(&self) {
        if let Some(p) = self.shown.lock().ok().and_then(|mut s| s.take()) {
            p.finish();
        }
    }
}
