//! Rules of authentication that need no IO: how failed attempts turn into lockouts.

use chrono::{DateTime, Duration, Utc};

/// Failed attempts counted under one key (an account, an IP address, an email for resets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i64,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// How many attempts are free within a window, and how long the lock lasts after that.
/// The lock doubles with every further failure, from `base_lock` up to `max_lock`.
#[derive(Clone, Copy, Debug)]
pub struct ThrottleRule {
    pub free_attempts: i64,
    pub window: Duration,
    pub base_lock: Duration,
    pub max_lock: Duration,
}

impl ThrottleRule {
    /// Per address and account: the guesser's own lock. Five wrong passwords for one account
    /// from one address, then 30 s, 60 s, 2 min … up to 15 min, the right password included.
    pub const LOGIN_PAIR: ThrottleRule = ThrottleRule {
        free_attempts: 5,
        window: Duration::minutes(15),
        base_lock: Duration::seconds(30),
        max_lock: Duration::minutes(15),
    };
    /// Per account, from any address: stops guessing spread over many addresses. Higher than
    /// the pair's limit, so that one address alone cannot lock someone else out.
    pub const LOGIN_ACCOUNT: ThrottleRule = ThrottleRule {
        free_attempts: 20,
        window: Duration::minutes(15),
        base_lock: Duration::minutes(1),
        max_lock: Duration::minutes(15),
    };
    /// Per address, over all accounts: never a lock (a whole office, or every user behind a
    /// reverse proxy without `trust_proxy`, shares one address). Past 30 failures every
    /// attempt from the address waits first: 1 s, 2 s … up to 8 s (see [`ThrottleRule::delay`]).
    pub const LOGIN_ADDRESS: ThrottleRule = ThrottleRule {
        free_attempts: 30,
        window: Duration::minutes(15),
        base_lock: Duration::seconds(1),
        max_lock: Duration::seconds(8),
    };
    /// Reset emails per address: three an hour.
    pub const RESET_ADDRESS: ThrottleRule = ThrottleRule {
        free_attempts: 3,
        window: Duration::hours(1),
        base_lock: Duration::hours(1),
        max_lock: Duration::hours(1),
    };
    /// Reset requests per IP address: ten an hour.
    pub const RESET_IP: ThrottleRule = ThrottleRule {
        free_attempts: 10,
        window: Duration::hours(1),
        base_lock: Duration::hours(1),
        max_lock: Duration::hours(1),
    };

    /// How long the key is still locked, if it is.
    pub fn locked_for(&self, state: Option<&ThrottleState>, now: DateTime<Utc>) -> Option<std::time::Duration> {
        let until = state?.locked_until?;
        (until > now).then(|| (until - now).to_std().unwrap_or_default())
    }

    /// For a rule that slows rather than locks: how long an attempt waits, given the failures
    /// counted so far (the same doubling as a lock).
    pub fn delay(&self, state: Option<&ThrottleState>, now: DateTime<Utc>) -> Option<std::time::Duration> {
        let state = state.filter(|s| now - s.window_started_at < self.window || s.locked_until.is_some_and(|u| u > now))?;
        (state.failures >= self.free_attempts).then(|| self.penalty(state.failures + 1).to_std().unwrap_or_default())
    }

    /// The lock (or wait) that the `failures`-th failure earns: none within the free attempts.
    fn penalty(&self, failures: i64) -> Duration {
        if failures <= self.free_attempts {
            return Duration::zero();
        }
        let doublings = (failures - self.free_attempts - 1).clamp(0, 20) as u32;
        self.base_lock
            .checked_mul(2_i32.saturating_pow(doublings))
            .unwrap_or(self.max_lock)
            .min(self.max_lock)
    }

    /// The state after one more failure (or one more counted request) at `now`.
    pub fn after_failure(&self, state: Option<&ThrottleState>, now: DateTime<Utc>) -> ThrottleState {
        let (failures, window_started_at) = match state {
            Some(s) if now - s.window_started_at < self.window || s.locked_until.is_some_and(|u| u > now) => {
                (s.failures + 1, s.window_started_at)
            }
            _ => (1, now),
        };
        let locked_until = (failures > self.free_attempts).then(|| now + self.penalty(failures));
        ThrottleState {
            failures,
            window_started_at,
            locked_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn free_attempts_do_not_lock() {
        let rule = ThrottleRule::LOGIN_PAIR;
        let mut state = None;
        for i in 0..rule.free_attempts {
            let next = rule.after_failure(state.as_ref(), at(i));
            assert_eq!(next.locked_until, None);
            state = Some(next);
        }
        assert_eq!(rule.locked_for(state.as_ref(), at(10)), None);
    }

    #[test]
    fn lock_doubles_and_is_capped() {
        let rule = ThrottleRule::LOGIN_PAIR;
        let mut state = None;
        let mut locks = vec![];
        for i in 0..20 {
            let next = rule.after_failure(state.as_ref(), at(i));
            if let Some(until) = next.locked_until {
                locks.push((until - at(i)).num_seconds());
            }
            state = Some(next);
        }
        assert_eq!(&locks[..4], &[30, 60, 120, 240]);
        assert_eq!(*locks.last().unwrap(), rule.max_lock.num_seconds());
        assert_eq!(rule.locked_for(state.as_ref(), at(19)), Some(std::time::Duration::from_secs(900)));
    }

    #[test]
    fn a_quiet_window_starts_afresh() {
        let rule = ThrottleRule::LOGIN_PAIR;
        let state = ThrottleState {
            failures: 4,
            window_started_at: at(0),
            locked_until: None,
        };
        let next = rule.after_failure(Some(&state), at(16 * 60));
        assert_eq!(next.failures, 1);
        assert_eq!(next.window_started_at, at(16 * 60));
    }

    #[test]
    fn reset_requests_lock_for_the_rest_of_the_hour() {
        let rule = ThrottleRule::RESET_ADDRESS;
        let mut state = None;
        for i in 0..4 {
            state = Some(rule.after_failure(state.as_ref(), at(i)));
        }
        assert_eq!(state.as_ref().unwrap().locked_until, Some(at(3) + Duration::hours(1)));
    }

    #[test]
    fn the_address_rule_slows_past_its_free_attempts_and_forgets_a_quiet_window() {
        let rule = ThrottleRule::LOGIN_ADDRESS;
        let mut state = None;
        let mut delays = vec![];
        for i in 0..34 {
            delays.push(rule.delay(state.as_ref(), at(i)).map(|d| d.as_secs()));
            state = Some(rule.after_failure(state.as_ref(), at(i)));
        }
        assert!(
            delays[..30].iter().all(Option::is_none),
            "the first 30 attempts do not wait: {delays:?}"
        );
        assert_eq!(&delays[30..], &[Some(1), Some(2), Some(4), Some(8)]);
        assert_eq!(
            rule.delay(state.as_ref(), at(40)),
            Some(std::time::Duration::from_secs(8)),
            "capped"
        );
        assert_eq!(rule.delay(state.as_ref(), at(16 * 60 + 34)), None, "a quiet window waits no more");
    }
}
