//! `next_run`: daily and weekly (Monday) at a local time, across DST changes, gaps and
//! overlaps, and in zones whose local date differs from UTC's. Expected instants were
//! worked out by hand from the zones' offsets.

use chrono::NaiveTime;
use chrono_tz::Tz;
use slbot_notify::schedule::next_after;
use slbot_notify::{Frequency, Schedule};

use crate::harness::at;

/// The schedule and a `next_run` bound to it, to read like the rule it tests.
struct S(Schedule);

impl S {
    fn next_run(&self, after: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        next_after(&self.0, after)
    }
}

fn schedule(frequency: Frequency, h: u32, m: u32, zone: Tz) -> S {
    S(Schedule {
        frequency,
        at: NaiveTime::from_hms_opt(h, m, 0).unwrap(),
        zone,
    })
}

#[test]
fn a_daily_run_follows_the_local_time_when_paris_moves_to_summer_time() {
    let s = schedule(Frequency::Daily, 8, 0, Tz::Europe__Paris);
    // Saturday 03-28: CET (UTC+1), 08:00 = 07:00 UTC.
    assert_eq!(s.next_run(at(2026, 3, 28, 0, 0)), at(2026, 3, 28, 7, 0));
    // Sunday 03-29: CEST (UTC+2) from 01:00 UTC, 08:00 = 06:00 UTC.
    assert_eq!(s.next_run(at(2026, 3, 28, 7, 0)), at(2026, 3, 29, 6, 0));
}

#[test]
fn a_daily_run_follows_the_local_time_when_new_york_moves_to_summer_time() {
    let s = schedule(Frequency::Daily, 8, 0, Tz::America__New_York);
    // Saturday 03-07: EST (UTC−5). Sunday 03-08: EDT (UTC−4).
    assert_eq!(s.next_run(at(2026, 3, 7, 12, 0)), at(2026, 3, 7, 13, 0));
    assert_eq!(s.next_run(at(2026, 3, 7, 13, 0)), at(2026, 3, 8, 12, 0));
}

#[test]
fn a_time_in_the_spring_forward_gap_runs_at_the_end_of_the_gap() {
    // Paris 2026-03-29: 02:00 local jumps to 03:00; 02:30 does not exist.
    let s = schedule(Frequency::Daily, 2, 30, Tz::Europe__Paris);
    // 03:00 CEST = 01:00 UTC.
    assert_eq!(s.next_run(at(2026, 3, 28, 12, 0)), at(2026, 3, 29, 1, 0));
    // The next day is normal again: 02:30 CEST = 00:30 UTC.
    assert_eq!(s.next_run(at(2026, 3, 29, 1, 0)), at(2026, 3, 30, 0, 30));
}

#[test]
fn a_time_in_the_fall_back_overlap_runs_once_at_the_earlier_instant() {
    // Paris 2026-10-25: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    let s = schedule(Frequency::Daily, 2, 30, Tz::Europe__Paris);
    assert_eq!(s.next_run(at(2026, 10, 24, 12, 0)), at(2026, 10, 25, 0, 30));
    // Not again at the second 02:30: the next run is the following day (CET, 01:30 UTC).
    assert_eq!(s.next_run(at(2026, 10, 25, 0, 30)), at(2026, 10, 26, 1, 30));
}

#[test]
fn a_weekly_run_is_on_monday_strictly_after_the_given_instant() {
    let s = schedule(Frequency::Weekly, 8, 0, Tz::UTC);
    // 2026-11-28 is a Saturday; the next Monday is 11-30.
    assert_eq!(s.next_run(at(2026, 11, 28, 12, 0)), at(2026, 11, 30, 8, 0));
    assert_eq!(s.next_run(at(2026, 11, 29, 23, 59)), at(2026, 11, 30, 8, 0));
    assert_eq!(s.next_run(at(2026, 11, 30, 7, 59)), at(2026, 11, 30, 8, 0));
    // Exactly at the run: the next one is a week later.
    assert_eq!(s.next_run(at(2026, 11, 30, 8, 0)), at(2026, 12, 7, 8, 0));
}

#[test]
fn a_weekly_run_in_auckland_falls_on_sunday_in_utc() {
    // Monday 2026-11-09 07:00 NZDT (UTC+13) = Sunday 11-08 18:00 UTC.
    let s = schedule(Frequency::Weekly, 7, 0, Tz::Pacific__Auckland);
    assert_eq!(s.next_run(at(2026, 11, 8, 12, 0)), at(2026, 11, 8, 18, 0));
}

#[test]
fn a_weekly_run_in_los_angeles_falls_on_tuesday_in_utc() {
    // Monday 2026-11-09 22:00 PST (UTC−8) = Tuesday 11-10 06:00 UTC; at 05:00 UTC on
    // Tuesday it is still Monday in Los Angeles.
    let s = schedule(Frequency::Weekly, 22, 0, Tz::America__Los_Angeles);
    assert_eq!(s.next_run(at(2026, 11, 10, 5, 0)), at(2026, 11, 10, 6, 0));
    assert_eq!(s.next_run(at(2026, 11, 10, 6, 0)), at(2026, 11, 17, 6, 0));
}

#[test]
fn the_subscription_helper_uses_the_stored_schedule_and_refuses_a_damaged_one() {
    let mut sub = slbot_notify::Subscription {
        person_id: "p".into(),
        room_id: "r".into(),
        cadence: "daily".into(),
        local_time: "08:00".into(),
        tz: "Europe/Paris".into(),
        window_days: 30,
        created_at: at(2026, 11, 1, 0, 0),
        last_run_at: None,
        last_attempt_at: None,
        last_error: None,
        reminder_sent: false,
    };
    assert_eq!(
        slbot_notify::next_run(&sub, at(2026, 11, 28, 12, 0)).unwrap(),
        at(2026, 11, 29, 7, 0)
    );
    sub.local_time = "25:00".into();
    let err = slbot_notify::next_run(&sub, at(2026, 11, 28, 12, 0)).unwrap_err();
    assert!(err.to_string().contains("25:00"), "{err}");
}
