//! The run-time fault state: current [`FaultSettings`], the request counter and the seeded RNG.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::FaultSettings;

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    Nothing,
    Unavailable,
    RateLimited { retry_after_secs: u64 },
}

#[derive(Debug)]
pub(crate) struct FaultState {
    settings: FaultSettings,
    /// API requests since start-up or the last update.
    counter: u64,
    rng: ChaCha8Rng,
}

impl FaultState {
    pub fn new(settings: FaultSettings, seed: u64) -> Self {
        Self {
            settings,
            counter: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub fn settings(&self) -> FaultSettings {
        self.settings
    }

    /// Replaces the settings and restarts the "every N" count.
    pub fn update(&mut self, settings: FaultSettings) {
        self.settings = settings;
        self.counter = 0;
    }

    /// Counts one request and decides its fate (rule in [`FaultSettings`]).
    pub fn next(&mut self) -> Injected {
        self.counter += 1;
        let n = self.counter;
        let s = self.settings;
        let rate_limited = Injected::RateLimited {
            retry_after_secs: s.retry_after_secs,
        };
        if s.fail_every > 0 && n.is_multiple_of(s.fail_every) {
            return Injected::Unavailable;
        }
        if s.rate_limit_every > 0 && n.is_multiple_of(s.rate_limit_every) {
            return rate_limited;
        }
        if s.fail_rate > 0.0 && self.rng.gen::<f64>() < s.fail_rate {
            return if self.rng.gen_bool(0.5) {
                Injected::Unavailable
            } else {
                rate_limited
            };
        }
        Injected::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(settings: FaultSettings, seed: u64, n: usize) -> Vec<Injected> {
        let mut f = FaultState::new(settings, seed);
        (0..n).map(|_| f.next()).collect()
    }

    #[test]
    fn every_third_request_fails_and_the_503_wins_a_tie() {
        let s = FaultSettings {
            fail_every: 3,
            rate_limit_every: 2,
            retry_after_secs: 7,
            ..FaultSettings::default()
        };
        let r = Injected::RateLimited {
            retry_after_secs: 7,
        };
        use Injected::*;
        assert_eq!(
            run(s, 0, 6),
            [Nothing, r, Unavailable, r, Nothing, Unavailable]
        );
    }

    #[test]
    fn random_faults_repeat_with_the_seed_and_roughly_match_the_rate() {
        let s = FaultSettings {
            fail_rate: 0.25,
            ..FaultSettings::default()
        };
        let a = run(s, 42, 4000);
        assert_eq!(a, run(s, 42, 4000));
        assert_ne!(a, run(s, 43, 4000));
        let failed = a.iter().filter(|i| **i != Injected::Nothing).count();
        assert!((800..1200).contains(&failed), "{failed} of 4000");
        assert!(a.contains(&Injected::Unavailable));
        assert!(a.contains(&Injected::RateLimited {
            retry_after_secs: 1
        }));
    }

    #[test]
    fn an_update_restarts_the_count() {
        let mut f = FaultState::new(
            FaultSettings {
                fail_every: 2,
                ..FaultSettings::default()
            },
            0,
        );
        assert_eq!(f.next(), Injected::Nothing);
        f.update(f.settings());
        assert_eq!(f.next(), Injected::Nothing);
        assert_eq!(f.next(), Injected::Unavailable);
    }
}
