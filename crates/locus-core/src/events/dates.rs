//! Dates and times as event files write them: ISO 8601 / RFC 3339, numeric day-first or
//! month-first dates (the order decided from the whole column), partial dates kept at their
//! precision, naive times read in a stated zone.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

use crate::time::{EvidenceTime, Precision};

use super::fields::norm;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum DateOption {
    Order(DateOrder),
    Iso,
    Pattern(String),
}

impl DateOption {
    pub(super) fn parse(s: &str) -> Result<DateOption, String> {
        let t = s.trim();
        if t.contains('%') {
            return Ok(DateOption::Pattern(t.to_string()));
        }
        match norm(t).as_str() {
            "dmy" | "ddmmyyyy" | "dayfirst" => Ok(DateOption::Order(DateOrder::DayFirst)),
            "mdy" | "mmddyyyy" | "monthfirst" => Ok(DateOption::Order(DateOrder::MonthFirst)),
            "ymd" | "yyyymmdd" | "iso" | "iso8601" | "rfc3339" => Ok(DateOption::Iso),
            _ => Err(format!(
                "--date-format {t:?}: use DMY, MDY, YMD, or a pattern such as \"%d/%m/%Y %H:%M\""
            )),
        }
    }
}

/// What a date-time string said: when (UTC start of its unit, or local), and to what
/// precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stamp {
    Absolute(DateTime<Utc>, Precision),
    Local(NaiveDateTime, Precision),
}

/// A stamp resolved to UTC: the unit it names, [start, end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Unit {
    pub(super) start: DateTime<Utc>,
    pub(super) end: DateTime<Utc>,
    pub(super) precision: Precision,
}

fn add_unit(t: NaiveDateTime, p: Precision) -> NaiveDateTime {
    match p {
        Precision::Year => t.with_year(t.year() + 1).unwrap_or(t),
        Precision::Month => {
            if t.month() == 12 {
                t.with_day(1)
                    .and_then(|d| d.with_month(1))
                    .and_then(|d| d.with_year(t.year() + 1))
                    .unwrap_or(t)
            } else {
                t.with_month(t.month() + 1).unwrap_or(t)
            }
        }
        Precision::Day => t.checked_add_signed(Duration::days(1)).unwrap_or(t),
        Precision::Hour => t.checked_add_signed(Duration::hours(1)).unwrap_or(t),
        Precision::Minute => t.checked_add_signed(Duration::minutes(1)).unwrap_or(t),
        Precision::Second => t.checked_add_signed(Duration::seconds(1)).unwrap_or(t),
    }
}

pub(super) fn resolve(stamp: Stamp, tz: Tz) -> Result<Unit, String> {
    match stamp {
        Stamp::Absolute(t, p) => {
            let (s, e) = p.span_from(t);
            Ok(Unit {
                start: s,
                end: e,
                precision: p,
            })
        }
        Stamp::Local(naive, p) => {
            let to_utc = |n: NaiveDateTime, boundary: bool| match tz.from_local_datetime(&n) {
                LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                // A unit boundary (midnight, the hour) in a transition: its earliest reading,
                // or the first moment after the gap.
                LocalResult::Ambiguous(a, _) if boundary => Ok(a.with_timezone(&Utc)),
                LocalResult::None if boundary => tz
                    .from_local_datetime(&(n + Duration::hours(1)))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .ok_or_else(|| format!("{n} does not exist in {}", tz.name())),
                LocalResult::Ambiguous(a, b) => Err(format!(
                    "{n} happens twice in {} (clocks go back): {} or {}; give the offset",
                    tz.name(),
                    a.to_rfc3339(),
                    b.to_rfc3339()
                )),
                LocalResult::None => Err(format!(
                    "{n} does not exist in {} (clocks go forward past it)",
                    tz.name()
                )),
            };
            let coarse = p < Precision::Minute;
            let start = to_utc(naive, coarse)?;
            let end = to_utc(add_unit(naive, p), true)?;
            Ok(Unit {
                start,
                end,
                precision: p,
            })
        }
    }
}

/// True when the unit is exactly the UTC unit `Precision` would band it to.
fn aligned(u: &Unit) -> bool {
    u.precision.span_from(u.start) == (u.start, u.end)
}

/// The evidence time for a unit (or from one unit to another). Precision bands are kept in
/// UTC; a local unit that does not line up with the UTC one (a local day in a zone other
/// than UTC) is stored as the exact interval it covers, so nothing is widened or shifted.
/// The bool says whether that happened.
pub(super) fn evidence_time(
    begin: Unit,
    end: Option<Unit>,
) -> Result<(EvidenceTime, bool), String> {
    let second = Duration::seconds(1);
    match end {
        None => {
            if aligned(&begin) {
                Ok((EvidenceTime::instant(begin.start, begin.precision), false))
            } else {
                Ok((
                    EvidenceTime::interval(begin.start, begin.end - second, Precision::Second),
                    true,
                ))
            }
        }
        Some(end) => {
            if end.end <= begin.start {
                return Err(format!(
                    "ends ({}) before it starts ({})",
                    crate::time::to_rfc3339(end.start),
                    crate::time::to_rfc3339(begin.start)
                ));
            }
            if begin.precision == end.precision && aligned(&begin) && aligned(&end) {
                Ok((
                    EvidenceTime::interval(begin.start, end.start, begin.precision),
                    false,
                ))
            } else {
                Ok((
                    EvidenceTime::interval(begin.start, end.end - second, Precision::Second),
                    begin.precision != Precision::Second || end.precision != Precision::Second,
                ))
            }
        }
    }
}

/// Splits "date[ T]time": the date part and the optional time part.
fn split_date_time(s: &str) -> (&str, Option<&str>) {
    if let Some(i) = s.find('T')
        && i >= 4
        && s[..i].bytes().all(|b| b.is_ascii_digit() || b == b'-')
    {
        return (&s[..i], Some(&s[i + 1..]));
    }
    match s.split_once(char::is_whitespace) {
        Some((d, t)) => (d.trim(), Some(t.trim()).filter(|t| !t.is_empty())),
        None => (s, None),
    }
}

/// "A/B/YYYY", "A-B-YYYY" or "A.B.YYYY" → (A, B, year, separator).
fn numeric_dmy(d: &str) -> Option<(u32, u32, i32, char)> {
    let sep = ['/', '.', '-'].into_iter().find(|c| d.contains(*c))?;
    let parts: Vec<&str> = d.split(sep).collect();
    if parts.len() != 3 || parts[2].len() != 4 || parts[0].len() > 2 || parts[1].len() > 2 {
        return None;
    }
    Some((
        parts[0].parse().ok()?,
        parts[1].parse().ok()?,
        parts[2].parse().ok()?,
        sep,
    ))
}

/// Parses a time of day: "HH:MM", "HH:MM:SS(.fff)", optionally with AM/PM.
fn parse_time_of_day(t: &str) -> Result<(NaiveTime, Precision), String> {
    let t = t.trim();
    let lower = t.to_ascii_lowercase();
    let (body, pm) = if let Some(b) = lower.strip_suffix("pm") {
        (b.trim().to_string(), Some(true))
    } else if let Some(b) = lower.strip_suffix("am") {
        (b.trim().to_string(), Some(false))
    } else {
        (lower.clone(), None)
    };
    let parsed = NaiveTime::parse_from_str(&body, "%H:%M:%S%.f")
        .map(|x| (x, Precision::Second))
        .or_else(|_| NaiveTime::parse_from_str(&body, "%H:%M").map(|x| (x, Precision::Minute)))
        .or_else(|_| {
            NaiveTime::parse_from_str(&body, "%H%M")
                .map(|x| (x, Precision::Minute))
                .map_err(|_| ())
        })
        .map_err(|_| format!("{t:?} is not a time of day (HH:MM or HH:MM:SS)"))?;
    match pm {
        None => Ok(parsed),
        Some(pm) => {
            let (time, p) = parsed;
            let h = time.hour();
            if !(1..=12).contains(&h) {
                return Err(format!("{t:?}: hour {h} with AM/PM"));
            }
            let h24 = match (h, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, true) => h + 12,
                (h, false) => h,
            };
            Ok((
                time.with_hour(h24)
                    .ok_or_else(|| format!("{t:?} is not a time"))?,
                p,
            ))
        }
    }
}

/// Parses one date(-time) string with the column's date order.
pub(super) fn parse_stamp(
    s: &str,
    order: DateOrder,
    option: Option<&DateOption>,
) -> Result<Stamp, String> {
    let s = s.trim();
    if let Some(DateOption::Pattern(p)) = option {
        let has_time = p.contains("%H") || p.contains("%I") || p.contains("%T") || p.contains("%R");
        if p.contains("%z") || p.contains("%:z") {
            let t = DateTime::parse_from_str(s, p)
                .map_err(|e| format!("{s:?} does not match --date-format {p:?} ({e})"))?;
            let prec = if p.contains("%S") || p.contains("%T") {
                Precision::Second
            } else {
                Precision::Minute
            };
            return Ok(Stamp::Absolute(t.with_timezone(&Utc), prec));
        }
        if has_time {
            let t = NaiveDateTime::parse_from_str(s, p)
                .map_err(|e| format!("{s:?} does not match --date-format {p:?} ({e})"))?;
            let prec = if p.contains("%S") || p.contains("%T") {
                Precision::Second
            } else {
                Precision::Minute
            };
            return Ok(Stamp::Local(t, prec));
        }
        let d = NaiveDate::parse_from_str(s, p)
            .map_err(|e| format!("{s:?} does not match --date-format {p:?} ({e})"))?;
        return Ok(Stamp::Local(
            d.and_hms_opt(0, 0, 0).expect("midnight"),
            Precision::Day,
        ));
    }
    // With an offset or Z: an absolute time. (Checked cheaply first: most dates have none.)
    let has_offset =
        s.ends_with(['Z', 'z']) || s.get(10..).is_some_and(|rest| rest.contains(['+', '-']));
    if !has_offset {
        return parse_naive_stamp(s, order, option);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Stamp::Absolute(t.with_timezone(&Utc), Precision::Second));
    }
    let zfixed = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .map(|b| format!("{b}+00:00"));
    let with_offset = zfixed.as_deref().unwrap_or(s);
    for (f, p) in [
        ("%Y-%m-%dT%H:%M:%S%.f%:z", Precision::Second),
        ("%Y-%m-%d %H:%M:%S%.f%:z", Precision::Second),
        ("%Y-%m-%dT%H:%M%:z", Precision::Minute),
        ("%Y-%m-%d %H:%M%:z", Precision::Minute),
        ("%Y-%m-%dT%H:%M:%S%.f%z", Precision::Second),
        ("%Y-%m-%d %H:%M:%S%.f %z", Precision::Second),
    ] {
        if let Ok(t) = DateTime::parse_from_str(with_offset, f) {
            return Ok(Stamp::Absolute(t.with_timezone(&Utc), p));
        }
    }
    parse_naive_stamp(s, order, option)
}

/// A date(-time) without an offset: local time, to the precision written.
fn parse_naive_stamp(
    s: &str,
    order: DateOrder,
    option: Option<&DateOption>,
) -> Result<Stamp, String> {
    if s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.contains('.')
        && s.len() <= 12
        && let Ok(v) = s.parse::<f64>()
        && (1000.0..200_000.0).contains(&v)
    {
        return Err(format!(
            "{s:?} looks like a spreadsheet serial date number; export the dates as text (e.g. 2024-02-13 14:05)"
        ));
    }
    let (d, t) = split_date_time(s);
    let date_err = || {
        format!(
            "{s:?} is not a date Locus reads (YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, YYYY-MM, YYYY, each optionally with HH:MM[:SS], or RFC 3339)"
        )
    };
    let (date, precision) = if d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = d.parse().map_err(|_| date_err())?;
        (
            NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(date_err)?,
            Precision::Year,
        )
    } else if let Some(date) = d
        .get(..5)
        .filter(|p| {
            // Bytes, not a str slice: the fifth byte may be inside a multi-byte character.
            p.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                && (p.ends_with('-') || p.ends_with('/'))
        })
        .and_then(|_| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(d, "%Y/%m/%d"))
                .ok()
        })
    {
        (date, Precision::Day)
    } else if let Some((a, b, y, sep)) = numeric_dmy(d) {
        let (day, month) = match (sep, order, option) {
            (_, _, Some(DateOption::Iso)) => {
                return Err(format!("{s:?} is not YYYY-MM-DD (--date-format YMD)"));
            }
            (_, DateOrder::DayFirst, _) => (a, b),
            (_, DateOrder::MonthFirst, _) => (b, a),
        };
        let date = NaiveDate::from_ymd_opt(y, month, day).ok_or_else(|| {
            format!(
                "{s:?} is not a valid date read as {}",
                match order {
                    DateOrder::DayFirst => "DD/MM/YYYY (day first)",
                    DateOrder::MonthFirst => "MM/DD/YYYY (month first)",
                }
            )
        })?;
        (date, Precision::Day)
    } else if let Some((m, y)) = d
        .split_once(['/', '-', '.'])
        .filter(|(m, y)| m.len() <= 2 && y.len() == 4)
        .and_then(|(m, y)| Some((m.parse::<u32>().ok()?, y.parse::<i32>().ok()?)))
        .or_else(|| {
            d.split_once('-')
                .filter(|(y, m)| y.len() == 4 && m.len() <= 2)
                .and_then(|(y, m)| Some((m.parse::<u32>().ok()?, y.parse::<i32>().ok()?)))
        })
    {
        (
            NaiveDate::from_ymd_opt(y, m, 1)
                .ok_or_else(|| format!("{s:?}: month {m} does not exist"))?,
            Precision::Month,
        )
    } else {
        let parts: Vec<&str> = d.split(['/', '.', '-']).collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "{s:?} has a two-digit year; give four digits (which century is not guessed)"
            ));
        }
        return Err(date_err());
    };
    match t {
        None => Ok(Stamp::Local(
            date.and_hms_opt(0, 0, 0).expect("midnight"),
            precision,
        )),
        Some(t) => {
            if precision < Precision::Day {
                return Err(format!("{s:?}: a time of day on a date without a day"));
            }
            let (time, p) = parse_time_of_day(t)
                .map_err(|_| format!("{s:?}: the time part {t:?} is not HH:MM or HH:MM:SS"))?;
            Ok(Stamp::Local(date.and_time(time), p))
        }
    }
}

/// Decides the column's day/month order from every A/B/YYYY date in it.
pub(super) fn detect_order(
    dates: &[(&str, &str)],
    default: DateOrder,
    default_why: &str,
) -> (DateOrder, Option<String>) {
    let mut day_first: Option<(&str, &str)> = None;
    let mut month_first: Option<(&str, &str)> = None;
    let mut any = false;
    let mut dots_only = true;
    for (loc, s) in dates {
        let (d, _) = split_date_time(s.trim());
        if let Some((a, b, _, sep)) = numeric_dmy(d) {
            any = true;
            dots_only &= sep == '.';
            if a > 12 && b <= 12 && day_first.is_none() {
                day_first = Some((loc, s));
            }
            if b > 12 && a <= 12 && month_first.is_none() {
                month_first = Some((loc, s));
            }
        }
    }
    if !any {
        return (default, None);
    }
    match (day_first, month_first) {
        (Some((loc, s)), None) => (
            DateOrder::DayFirst,
            Some(format!(
                "dates read as DD/MM/YYYY (day first): {s} ({loc}) cannot be month-first"
            )),
        ),
        (None, Some((loc, s))) => (
            DateOrder::MonthFirst,
            Some(format!(
                "dates read as MM/DD/YYYY (month first): {s} ({loc}) cannot be day-first"
            )),
        ),
        (Some((l1, s1)), Some((l2, s2))) => (
            default,
            Some(format!(
                "the dates mix orders: {s1} ({l1}) is day-first but {s2} ({l2}) is month-first; read as {} and rows that cannot be are rejected: give --date-format DMY or MDY",
                order_label(default)
            )),
        ),
        (None, None) if dots_only => (
            DateOrder::DayFirst,
            Some("dates written DD.MM.YYYY read day first (the convention for dotted dates); no date in the file tells otherwise".into()),
        ),
        (None, None) => (
            default,
            Some(format!(
                "AMBIGUOUS dates: every day and month in the file is 12 or less, so the order cannot be told from the data; read as {} ({default_why}); give --date-format DMY or MDY if that is wrong",
                order_label(default)
            )),
        ),
    }
}

pub(super) fn order_label(o: DateOrder) -> &'static str {
    match o {
        DateOrder::DayFirst => "DD/MM/YYYY (day first)",
        DateOrder::MonthFirst => "MM/DD/YYYY (month first)",
    }
}

/// Combines a date cell and an optional time cell into one stamp.
pub(super) fn record_stamp(
    date: &str,
    time: Option<&str>,
    order: DateOrder,
    option: Option<&DateOption>,
) -> Result<Stamp, String> {
    let stamp = parse_stamp(date, order, option)?;
    let Some(time) = time else { return Ok(stamp) };
    match stamp {
        Stamp::Local(dt, Precision::Day) => {
            let (t, p) = parse_time_of_day(time)?;
            Ok(Stamp::Local(dt.date().and_time(t), p))
        }
        Stamp::Local(_, p) | Stamp::Absolute(_, p) if p >= Precision::Hour => Err(format!(
            "the date {date:?} already has a time, and the time column says {time:?}"
        )),
        _ => Err(format!(
            "a time of day ({time:?}) with a date known only to the {}",
            match stamp {
                Stamp::Local(_, p) | Stamp::Absolute(_, p) => p.label(),
            }
        )),
    }
}
