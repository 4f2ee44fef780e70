//! The one clock of the workspace: what time it is, how to wait, and when a deadline passes.
//!
//! No crate calls `Utc::now()` or `tokio::time::sleep` where a test would want to pin it: it
//! asks its [`Clock`]. Signing stamps requests with [`Clock::now`], the CSSM and Webex clients
//! wait between attempts with [`Clock::sleep`] and bound a whole fetch with
//! [`Clock::deadline`], the notification scheduler decides what is due with [`Clock::now`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// A wait in progress, as returned by [`Clock::sleep`] and [`Clock::deadline`].
pub type Wait = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Time as a service sees it.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// A wait between attempts (backoff, `Retry-After`). By default a tokio timer.
    fn sleep(&self, duration: Duration) -> Wait {
        Box::pin(tokio::time::sleep(duration))
    }

    /// Completes once `duration` from now has passed: the bound on a whole piece of work (a
    /// CSSM fetch). By default the same as [`Clock::sleep`].
    fn deadline(&self, duration: Duration) -> Wait {
        self.sleep(duration)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) -> Wait {
        (**self).sleep(duration)
    }
    fn deadline(&self, duration: Duration) -> Wait {
        (**self).deadline(duration)
    }
}

/// The operating system's clock and tokio's timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to ([`ManualClock::set`], [`ManualClock::advance`]): for
/// tests and reproducible demos.
///
/// Its waits return at once and are recorded ([`ManualClock::waits`]); they do not move the
/// clock. A deadline passes when the clock is moved past it, never on its own.
#[derive(Debug)]
pub struct ManualClock {
    now: watch::Sender<DateTime<Utc>>,
    waits: Mutex<Vec<Duration>>,
}

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            now: watch::Sender::new(at),
            waits: Mutex::new(Vec::new()),
        }
    }

    /// Puts the clock at `at` (forward or back).
    pub fn set(&self, at: DateTime<Utc>) {
        self.now.send_replace(at);
    }

    /// Moves the clock by `by` (back, with a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        self.now.send_modify(|t| *t += by);
    }

    /// Every wait asked of [`Clock::sleep`] so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Default for ManualClock {
    /// Stopped at the moment it is made.
    fn default() -> Self {
        Self::new(Utc::now())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep(&self, duration: Duration) -> Wait {
        self.waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(duration);
        Box::pin(std::future::ready(()))
    }

    fn deadline(&self, duration: Duration) -> Wait {
        let mut now = self.now.subscribe();
        let due = chrono::Duration::from_std(duration)
            .ok()
            .and_then(|d| now.borrow().checked_add_signed(d));
        Box::pin(async move {
            let Some(due) = due else {
                // Beyond the end of time: it never passes.
                return std::future::pending::<()>().await;
            };
            loop {
                if *now.borrow_and_update() >= due {
                    return;
                }
                if now.changed().await.is_err() {
                    // The clock is gone: it will never move again, so neither will this.
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_manual_clock_stays_where_it_is_put() {
        let clock = ManualClock::new(at("2026-03-01T12:00:00Z"));
        assert_eq!(clock.now(), at("2026-03-01T12:00:00Z"));
        clock.advance(chrono::Duration::hours(25));
        assert_eq!(clock.now(), at("2026-03-02T13:00:00Z"));
        clock.set(at("2025-01-01T00:00:00Z"));
        assert_eq!(clock.now(), at("2025-01-01T00:00:00Z"));
    }

    #[tokio::test]
    async fn a_manual_clock_records_waits_without_sleeping_or_moving() {
        let clock = ManualClock::new(at("2026-03-01T12:00:00Z"));
        let started = std::time::Instant::now();
        clock.sleep(Duration::from_secs(3600)).await;
        clock.sleep(Duration::from_millis(250)).await;
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            clock.waits(),
            [Duration::from_secs(3600), Duration::from_millis(250)]
        );
        assert_eq!(clock.now(), at("2026-03-01T12:00:00Z"));
    }

    #[tokio::test]
    async fn a_manual_deadline_passes_only_when_the_clock_is_moved_past_it() {
        let clock = Arc::new(ManualClock::new(at("2026-03-01T12:00:00Z")));
        let deadline = tokio::spawn(clock.deadline(Duration::from_secs(60)));
        clock.advance(chrono::Duration::seconds(59));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!deadline.is_finished(), "passed 1 s early");
        clock.advance(chrono::Duration::seconds(1));
        tokio::time::timeout(Duration::from_secs(5), deadline)
            .await
            .expect("deadline never passed")
            .unwrap();
    }

    #[tokio::test]
    async fn the_system_clock_really_waits() {
        let started = tokio::time::Instant::now();
        SystemClock.sleep(Duration::from_millis(30)).await;
        assert!(started.elapsed() >= Duration::from_millis(30));
        let before = Utc::now();
        let now = SystemClock.now();
        assert!(now >= before && now <= Utc::now());
    }
}
