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
    /// Per account: five wrong passwords, then 30 s, 60 s, 2 min … up to 15 min.
    pub const LOGIN_ACCOUNT: ThrottleRule = ThrottleRule {
        free_attempts: 5,
        window: Duration::minutes(15),
        base_lock: Duration::seconds(30),
        max_lock: Duration::minutes(15),
    };
    /// Per IP address: generous for offices behind one NAT, but stops spraying.
    pub const LOGIN_IP: ThrottleRule = ThrottleRule {
        free_attempts: 30,
        window: Duration::minutes(15),
        base_lock: Duration::minutes(1),
        max_lock: Duration::hours(1),
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

    /// The state after one more failure (or one more counted request) at `now`.
    pub fn after_failure(&self, state: Option<&ThrottleState>, now: DateTime<Utc>) -> ThrottleState {
        let (failures, window_started_at) = match state {
            Some(s) if now - s.window_started_at < self.window || s.locked_until.is_some_and(|u| u > now) => {
                (s.failures + 1, s.window_started_at)
            }
            _ => (1, now),
        };
        let locked_until = (failures > self.free_attempts).then(|| {
            let doublings = (failures - self.free_attempts - 1).clamp(0, 20) as u32;
            let lock = self
                .base_lock
                .checked_mul(2_i32.saturating_pow(doublings))
                .unwrap_or(self.max_lock)
                .min(self.max_lock);
            now + lock
        });
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
        let rule = ThrottleRule::LOGIN_ACCOUNT;
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
        let rule = ThrottleRule::LOGIN_ACCOUNT;
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
        let rule = ThrottleRule::LOGIN_ACCOUNT;
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
}
