//! When things happened: instants and intervals in UTC with a stated precision and
//! uncertainty, and their display in the case's time zone with the UTC offset.

use chrono::{DateTime, Datelike, Duration, SecondsFormat, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How precisely a time is known. A time given to the minute means "some time within
/// that minute"; the band shown on the timeline covers the whole unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    #[default]
    Second,
}

impl Precision {
    pub const ALL: [Precision; 6] = [
        Precision::Year,
        Precision::Month,
        Precision::Day,
        Precision::Hour,
        Precision::Minute,
        Precision::Second,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Precision::Year => "year",
            Precision::Month => "month",
            Precision::Day => "day",
            Precision::Hour => "hour",
            Precision::Minute => "minute",
            Precision::Second => "second",
        }
    }

    /// The span of time this precision leaves open after `t` (the unit containing it).
    /// Units are taken in UTC, as times are stored.
    pub fn span_from(self, t: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.truncate(t);
        let end = match self {
            Precision::Year => Utc
                .with_ymd_and_hms(start.year() + 1, 1, 1, 0, 0, 0)
                .single(),
            Precision::Month => {
                let (y, m) = if start.month() == 12 {
                    (start.year() + 1, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single()
            }
            // Checked: at the end of chrono's range there is no next unit.
            Precision::Day => start.checked_add_signed(Duration::days(1)),
            Precision::Hour => start.checked_add_signed(Duration::hours(1)),
            Precision::Minute => start.checked_add_signed(Duration::minutes(1)),
            Precision::Second => start.checked_add_signed(Duration::seconds(1)),
        };
        (start, end.unwrap_or(start))
    }

    pub fn truncate(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let (y, mo, d, h, mi, s) = (
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        );
        let parts = match self {
            Precision::Year => (y, 1, 1, 0, 0, 0),
            Precision::Month => (y, mo, 1, 0, 0, 0),
            Precision::Day => (y, mo, d, 0, 0, 0),
            Precision::Hour => (y, mo, d, h, 0, 0),
            Precision::Minute => (y, mo, d, h, mi, 0),
            Precision::Second => (y, mo, d, h, mi, s),
        };
        Utc.with_ymd_and_hms(parts.0, parts.1, parts.2, parts.3, parts.4, parts.5)
            .single()
            .unwrap_or(t)
    }
}

/// When an evidence item happened: an instant or an interval, with precision and an optional
/// ± uncertainty in seconds. Stored as `{"at": …}` or `{"start": …, "end": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredTime", into = "StoredTime")]
pub struct EvidenceTime {
    pub when: When,
    pub precision: Precision,
    /// Additional uncertainty either side, in seconds (e.g. "about 10:15 ± 5 min").
    pub uncertainty_s: Option<f64>,
}

/// The stored shape of an `EvidenceTime`: field-by-field, so that a bad timestamp is reported
/// at its own field (`time.at`) and a wrong combination with a clear message.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredTime {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<DateTime<Utc>>,
    #[serde(default)]
    precision: Precision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uncertainty_s: Option<f64>,
}

impl TryFrom<StoredTime> for EvidenceTime {
    type Error = String;

    fn try_from(t: StoredTime) -> Result<Self, String> {
        let when =
            match (t.at, t.start, t.end) {
                (Some(at), None, None) => When::Instant { at },
                (None, Some(start), Some(end)) => When::Interval { start, end },
                _ => return Err(
                    "a time needs either `at` (an instant) or both `start` and `end` (an interval)"
                        .into(),
                ),
            };
        Ok(EvidenceTime {
            when,
            precision: t.precision,
            uncertainty_s: t.uncertainty_s,
        })
    }
}

impl From<EvidenceTime> for StoredTime {
    fn from(t: EvidenceTime) -> Self {
        let (at, start, end) = match t.when {
            When::Instant { at } => (Some(at), None, None),
            When::Interval { start, end } => (None, Some(start), Some(end)),
        };
        StoredTime {
            at,
            start,
            end,
            precision: t.precision,
            uncertainty_s: t.uncertainty_s,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    Instant {
        at: DateTime<Utc>,
    },
    Interval {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
}

impl EvidenceTime {
    pub fn instant(at: DateTime<Utc>, precision: Precision) -> Self {
        Self {
            when: When::Instant { at },
            precision,
            uncertainty_s: None,
        }
    }

    pub fn interval(start: DateTime<Utc>, end: DateTime<Utc>, precision: Precision) -> Self {
        Self {
            when: When::Interval { start, end },
            precision,
            uncertainty_s: None,
        }
    }

    /// The stated moment or interval (start, end); for an instant both are the same.
    pub fn nominal(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        match self.when {
            When::Instant { at } => (at, at),
            When::Interval { start, end } => (start, end),
        }
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.nominal().0
    }

    /// Everything the time could be, given precision and uncertainty: the band on the axis.
    pub fn band(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let (s, e) = self.nominal();
        let (s0, _) = self.precision.span_from(s);
        let (_, e1) = self.precision.span_from(e);
        let unc = Duration::milliseconds(
            (self
                .uncertainty_s
                .unwrap_or(0.0)
                .clamp(0.0, MAX_UNCERTAINTY_S)
                * 1000.0)
                .round() as i64,
        );
        (
            s0.checked_sub_signed(unc)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            e1.checked_add_signed(unc)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    /// True when the band is wider than a second: the time is not known exactly.
    pub fn is_uncertain(&self) -> bool {
        self.precision < Precision::Second || self.uncertainty_s.is_some_and(|u| u > 0.0)
    }

    pub fn validate(&self) -> Result<(), String> {
        if let When::Interval { start, end } = self.when
            && end < start
        {
            return Err(format!("interval ends ({end}) before it starts ({start})"));
        }
        if let Some(u) = self.uncertainty_s
            && (!u.is_finite() || !(0.0..=MAX_UNCERTAINTY_S).contains(&u))
        {
            return Err(format!(
                "uncertainty_s {u} must be a number of seconds from 0 to {MAX_UNCERTAINTY_S} (about a century)"
            ));
        }
        let (a, b) = match self.when {
            When::Instant { at } => (at, at),
            When::Interval { start, end } => (start, end),
        };
        for t in [a, b] {
            if !(1..=9999).contains(&t.year()) {
                return Err(format!(
                    "the year {} is outside 1–9999, which RFC 3339 times can state",
                    t.year()
                ));
            }
        }
        Ok(())
    }
}

/// The largest time uncertainty a case states, seconds (about a century): beyond it a time
/// says nothing, and arithmetic on it would leave the calendar.
pub const MAX_UNCERTAINTY_S: f64 = 3.2e9;

/// Parses an IANA time-zone name ("Europe/Amsterdam"); "UTC" is accepted.
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone {name:?} (use an IANA name such as \"Europe/Amsterdam\")")
    })
}

/// "2025-06-14 10:02:15 CEST (UTC+02:00)": local time in the case's zone with its offset.
pub fn format_local(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    format!(
        "{} ({})",
        local.format("%Y-%m-%d %H:%M:%S %Z"),
        utc_offset_label(t, tz)
    )
}

/// Local time shown only to the given precision ("2025-06", "2025-06-14 10:02").
pub fn format_local_precision(t: DateTime<Utc>, tz: Tz, precision: Precision) -> String {
    let local = t.with_timezone(&tz);
    let pattern = match precision {
        Precision::Year => "%Y",
        Precision::Month => "%Y-%m",
        Precision::Day => "%Y-%m-%d",
        Precision::Hour => "%Y-%m-%d %H:00",
        Precision::Minute => "%Y-%m-%d %H:%M",
        Precision::Second => "%Y-%m-%d %H:%M:%S",
    };
    local.format(pattern).to_string()
}

/// "UTC+02:00" for the zone's offset at that instant.
pub fn utc_offset_label(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    let secs = local.offset().fix().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.abs();
    format!("UTC{sign}{:02}:{:02}", secs / 3600, (secs % 3600) / 60)
}

/// A human description of an evidence time in the case's zone, with precision and band.
pub fn describe(time: &EvidenceTime, tz: Tz) -> String {
    let (s, e) = time.nominal();
    let mut out = match time.when {
        When::Instant { .. } => format_local_precision(s, tz, time.precision),
        When::Interval { .. } => format!(
            "{} – {}",
            format_local_precision(s, tz, time.precision),
            format_local_precision(e, tz, time.precision)
        ),
    };
    out.push(' ');
    out.push_str(&utc_offset_label(s, tz));
    if let Some(u) = time.uncertainty_s.filter(|u| *u > 0.0) {
        out.push_str(&format!(" ± {}", format_duration(u)));
    }
    if time.precision < Precision::Second {
        out.push_str(&format!(" (known to the {})", time.precision.label()));
    }
    out
}

/// "45 s", "5 min", "1 h 30 min".
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.round() as i64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        if s % 60 == 0 {
            format!("{} min", s / 60)
        } else {
            format!("{} min {} s", s / 60, s % 60)
        }
    } else {
        let (h, m) = (s / 3600, (s % 3600) / 60);
        if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        }
    }
}

/// RFC 3339 in UTC with seconds, as stored.
pub fn to_rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses RFC 3339 with any offset and returns UTC.
pub fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{s:?} is not an RFC 3339 time such as 2025-06-14T10:02:00Z ({e})"))
}

/// Parses a time typed by a user: RFC 3339 with an offset ("2025-06-14T10:02:00Z"), or a
/// local time in the case's zone ("2025-06-14 12:02", "2025-06-14 12:02:30", "2025-06-14").
/// A local time that the zone skips (spring forward) or repeats (fall back) is refused with
/// the reason, rather than guessed.
pub fn parse_local(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    use chrono::{LocalResult, NaiveDate, NaiveDateTime};
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            format!(
                "{s:?} is not a time: use local time as 2025-06-14 12:02:30 (zone {}) or RFC 3339 with an offset",
                tz.name()
            )
        })?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Err(format!(
            "{s} happens twice in {} (clocks go back): give the offset, e.g. {} or {}",
            tz.name(),
            a.to_rfc3339(),
            b.to_rfc3339()
        )),
        LocalResult::None => Err(format!(
            "{s} does not exist in {} (clocks go forward past it)",
            tz.name()
        )),
    }
}

use chrono::Offset as _;

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap()
    }

    #[test]
    fn precision_band_covers_the_unit() {
        let time = EvidenceTime::instant(t("2025-06-14T10:02:37Z"), Precision::Minute);
        assert_eq!(
            time.band(),
            (t("2025-06-14T10:02:00Z"), t("2025-06-14T10:03:00Z"))
        );
        assert!(time.is_uncertain());
        let month = EvidenceTime::instant(t("2025-12-14T10:02:37Z"), Precision::Month);
        assert_eq!(
            month.band(),
            (t("2025-12-01T00:00:00Z"), t("2026-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn uncertainty_widens_the_band() {
        let mut time = EvidenceTime::interval(
            t("2025-06-14T10:00:00Z"),
            t("2025-06-14T10:10:00Z"),
            Precision::Second,
        );
        time.uncertainty_s = Some(300.0);
        assert_eq!(
            time.band(),
            (t("2025-06-14T09:55:00Z"), t("2025-06-14T10:15:01Z"))
        );
    }

    #[test]
    fn json_shapes() {
        let inst: EvidenceTime =
            serde_json::from_str(r#"{"at":"2025-06-14T12:02:00+02:00","precision":"minute"}"#)
                .unwrap();
        assert_eq!(inst.start(), t("2025-06-14T10:02:00Z"));
        let int: EvidenceTime = serde_json::from_str(
            r#"{"start":"2025-06-14T10:00:00Z","end":"2025-06-14T10:05:00Z"}"#,
        )
        .unwrap();
        assert_eq!(int.precision, Precision::Second);
        assert!(matches!(int.when, When::Interval { .. }));
    }

    #[test]
    fn malformed_times_say_what_is_wrong() {
        let both = serde_json::from_str::<EvidenceTime>(
            r#"{"at":"2025-06-14T10:00:00Z","start":"2025-06-14T10:00:00Z"}"#,
        );
        assert!(both.unwrap_err().to_string().contains("either `at`"));
        let bad = serde_json::from_str::<EvidenceTime>(r#"{"at":"yesterday"}"#)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("input contains invalid characters"), "{bad}");
        let round = EvidenceTime::interval(
            t("2025-06-14T10:00:00Z"),
            t("2025-06-14T10:05:00Z"),
            Precision::Minute,
        );
        let json = serde_json::to_string(&round).unwrap();
        assert_eq!(
            json,
            r#"{"start":"2025-06-14T10:00:00Z","end":"2025-06-14T10:05:00Z","precision":"minute"}"#
        );
        assert_eq!(serde_json::from_str::<EvidenceTime>(&json).unwrap(), round);
    }

    #[test]
    fn local_display_with_offset() {
        let tz = parse_time_zone("Europe/Amsterdam").unwrap();
        assert_eq!(
            format_local(t("2025-06-14T10:02:15Z"), tz),
            "2025-06-14 12:02:15 CEST (UTC+02:00)"
        );
        assert_eq!(
            format_local(t("2025-01-14T10:02:15Z"), tz),
            "2025-01-14 11:02:15 CET (UTC+01:00)"
        );
        let ny = parse_time_zone("America/New_York").unwrap();
        assert_eq!(utc_offset_label(t("2025-06-14T10:02:15Z"), ny), "UTC-04:00");
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn describe_mentions_precision_and_uncertainty() {
        let tz = parse_time_zone("UTC").unwrap();
        let mut time = EvidenceTime::instant(t("2025-06-14T10:02:00Z"), Precision::Minute);
        time.uncertainty_s = Some(600.0);
        assert_eq!(
            describe(&time, tz),
            "2025-06-14 10:02 UTC+00:00 ± 10 min (known to the minute)"
        );
    }

    #[test]
    fn typed_local_times() {
        let ams: Tz = "Europe/Amsterdam".parse().unwrap();
        assert_eq!(
            parse_local("2025-06-14 12:02:30", ams).unwrap(),
            t("2025-06-14T10:02:30Z")
        );
        assert_eq!(
            parse_local("2025-06-14 12:02", ams).unwrap(),
            t("2025-06-14T10:02:00Z")
        );
        assert_eq!(
            parse_local("2025-06-14", ams).unwrap(),
            t("2025-06-13T22:00:00Z")
        );
        assert_eq!(
            parse_local("2025-06-14T10:02:30Z", ams).unwrap(),
            t("2025-06-14T10:02:30Z")
        );
        // 02:30 on the last Sunday of March does not exist; on the last of October, twice.
        assert!(
            parse_local("2025-03-30 02:30", ams)
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            parse_local("2025-10-26 02:30", ams)
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            parse_local("noon", ams)
                .unwrap_err()
                .contains("Europe/Amsterdam")
        );
    }
}
