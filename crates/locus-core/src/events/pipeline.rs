//! From parsed records to evidence: reading a file in its format, deciding each record's
//! facts (coordinates, time, category, sources, duplicates) with every assumption listed,
//! and the one undoable edit that adds the imported items with fresh ids.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::case::edit::Edit;
use crate::case::{
    ArchivedFile, Case, Category, EvidenceItem, Location, Origin, Position, Source,
    VerificationStatus,
};
use crate::geo::geodesy::Geodetic;

use super::csv::read_csv;
use super::dates::{
    DateOption, DateOrder, Stamp, detect_order, evidence_time, order_label, parse_stamp,
    record_stamp, resolve,
};
use super::duplicates::{approx_distance_m, duplicate_hash, source_set};
use super::fields::{RawRecord, ReadError, category_of, coordinates, strip_bom};
use super::geojson::read_geojson;
use super::kml::{kml_from_kmz, read_kml};
use super::timemap::{TIMEMAP_DEFAULT_ORDER, read_timemap};
use super::{
    DUPLICATE_DISTANCE_M, Duplicate, EventFileError, EventFormat, EventImport, ImportOptions,
    ImportedItem, Rejected,
};

/// Reads and parses an event file. `display_time_zone` is the case's (naive times are read
/// in it unless `options.time_zone` says otherwise).
pub fn parse_event_file(
    path: &Path,
    options: &ImportOptions,
    display_time_zone: &str,
) -> Result<EventImport, EventFileError> {
    let bytes = std::fs::read(path).map_err(|e| EventFileError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string());
    parse_events(&bytes, &name, options, display_time_zone)
}

/// Parses an event file's bytes; `file_name` names it in the report and picks the format
/// by extension when `options.format` is unset.
pub fn parse_events(
    bytes: &[u8],
    file_name: &str,
    options: &ImportOptions,
    display_time_zone: &str,
) -> Result<EventImport, EventFileError> {
    let format = match options.format {
        Some(f) => f,
        None => EventFormat::detect(file_name, bytes).ok_or_else(|| EventFileError::Format {
            file: file_name.to_string(),
            message: "not an event file this importer reads (CSV, GeoJSON, KML, KMZ or TimeMap JSON); give --format".into(),
        })?,
    };
    let fail = |message: String| EventFileError::Format {
        file: file_name.to_string(),
        message,
    };
    let mut assumptions = Vec::new();
    let (zone_name, zone_given) = match &options.time_zone {
        Some(z) => (z.clone(), true),
        None => (display_time_zone.to_string(), false),
    };
    let tz = crate::time::parse_time_zone(&zone_name).map_err(EventFileError::Usage)?;
    let date_option = options
        .date_format
        .as_deref()
        .map(DateOption::parse)
        .transpose()
        .map_err(EventFileError::Usage)?;

    let raw = match format {
        EventFormat::Csv => read_csv(bytes, &options.columns).map_err(|e| match e {
            ReadError::Usage(m) => EventFileError::Usage(m),
            ReadError::Format(m) => fail(m),
        })?,
        EventFormat::GeoJson => read_geojson(bytes, &options.columns).map_err(fail)?,
        EventFormat::TimeMap => read_timemap(bytes, &options.columns).map_err(fail)?,
        EventFormat::Kml => {
            let text = std::str::from_utf8(strip_bom(bytes))
                .map_err(|e| fail(format!("KML is not UTF-8 text ({e})")))?;
            read_kml(text, &options.columns).map_err(fail)?
        }
        EventFormat::Kmz => {
            let (inner, text) = kml_from_kmz(bytes).map_err(fail)?;
            assumptions.push(format!("read {inner} from the KMZ archive"));
            read_kml(&text, &options.columns).map_err(fail)?
        }
    };
    assumptions.extend(raw.notes.iter().cloned());

    let mut import = EventImport {
        format,
        source_file_name: file_name.to_string(),
        source_sha256: crate::integrity::fsio::sha256_bytes(bytes),
        records_read: raw.records.len() + raw.rejected.len(),
        items: Vec::new(),
        rejected: raw.rejected,
        duplicates: Vec::new(),
        suspicious: Vec::new(),
        assumptions,
        time_zone: zone_name.clone(),
    };
    build_items(
        &mut import,
        raw.records,
        tz,
        zone_given,
        date_option,
        options.keep_duplicates,
    );
    // In file order (records rejected while reading come first otherwise).
    import.rejected.sort_by_key(|r| ordinal(&r.location));
    import.suspicious = super::suspicious::flag(&mut import);
    if !import.suspicious.is_empty() {
        import.assumptions.push(format!(
            "{} suspicious value(s) imported as they are and tagged suspicious:date / :place / :shared-place (see the report)",
            import.suspicious.len()
        ));
    }
    Ok(import)
}

/// The number in "line 12", "feature 3 (…)", for sorting.
pub(super) fn ordinal(location: &str) -> u64 {
    location
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

/// One undoable edit that adds every imported item with fresh ids (a run of unused ids per
/// category prefix, as the app names new items), created by `author` at `now`. `archived`
/// is the import file's copy in the case's evidence store, when it was stored. None when
/// there is nothing to import.
pub fn import_edit(
    case: &Case,
    import: &EventImport,
    archived: Option<&ArchivedFile>,
    author: &str,
    now: DateTime<Utc>,
) -> Option<Edit> {
    if import.items.is_empty() {
        return None;
    }
    let mut ids = IdAllocator::new(case);
    let start = case.evidence.len();
    // A case not yet placed on Earth takes the middle of the events as its origin, so that
    // their latitudes and longitudes have a place in it.
    let origin = case
        .origin
        .is_none()
        .then(|| events_centre(import))
        .flatten()
        .map(|(lat, lon)| Origin {
            note: format!(
                "the middle of the events imported from {} (no model had placed the case yet)",
                import.source_file_name
            ),
            ..Origin::at(Geodetic::new(lat, lon, 0.0))
        })
        .map(|o| Edit::SetOrigin {
            before: None,
            after: Some(o),
        });
    let edits = origin
        .into_iter()
        .chain(import.items.iter().enumerate().map(|(n, imported)| {
            let mut item = imported.item.clone();
            item.id = ids.next(id_prefix(item.category));
            item.created_by = author.to_string();
            item.created_at = Some(now);
            if let (Some(a), Some(prov)) = (archived, item.sources.last_mut()) {
                prov.archived_file = Some(a.clone());
            }
            Edit::AddItem {
                index: start + n,
                item: Box::new(item),
            }
        }))
        .collect();
    Some(Edit::Batch {
        label: format!(
            "import {} event(s) from {}",
            import.items.len(),
            import.source_file_name
        ),
        edits,
    })
}

/// The middle of the imported events' latitudes and longitudes (of their bounding box, with
/// longitudes taken across the antimeridian when that is shorter), places flagged as
/// suspicious left out.
fn events_centre(import: &EventImport) -> Option<(f64, f64)> {
    let points: Vec<(f64, f64)> = import
        .items
        .iter()
        // A place flagged as far from all the others (swapped coordinates) does not move it.
        .filter(|i| {
            !i.item
                .tags
                .iter()
                .any(|t| t == super::suspicious::TAG_PLACE)
        })
        .filter_map(|i| match i.item.position.location {
            Location::Geodetic {
                lat_deg, lon_deg, ..
            } => Some((lat_deg, lon_deg)),
            Location::Enu { .. } | Location::Unknown => None,
        })
        .collect();
    let lats = points.iter().map(|p| p.0);
    let (lat_lo, lat_hi) = lats.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lat_lo.is_finite() {
        return None;
    }
    let mid = |lons: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = lons.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        (lo, hi)
    };
    let (lo, hi) = mid(&mut points.iter().map(|p| p.1));
    let (lo2, hi2) = mid(&mut points.iter().map(|p| p.1.rem_euclid(360.0)));
    let lon = if hi2 - lo2 < hi - lo {
        let m = (lo2 + hi2) / 2.0;
        if m > 180.0 { m - 360.0 } else { m }
    } else {
        (lo + hi) / 2.0
    };
    Some(((lat_lo + lat_hi) / 2.0, lon))
}

/// Ids of items in the case that were imported from a file with this SHA-256 (their import
/// source names it): importing the same file again would add them twice.
pub fn previously_imported(case: &Case, sha256: &str) -> Vec<String> {
    let marker = format!("(SHA-256 {sha256})");
    case.evidence
        .iter()
        .filter(|i| {
            i.sources.iter().any(|s| {
                s.archived_file.as_ref().is_some_and(|a| a.sha256 == sha256)
                    || (s.description.starts_with("imported from ")
                        && s.description.contains(&marker))
            })
        })
        .map(|i| i.id.clone())
        .collect()
}

/// The id prefix the app gives new items of a category.
pub fn id_prefix(category: Category) -> &'static str {
    match category {
        Category::Witness => "W",
        Category::Photo => "P",
        Category::Video => "VID",
        Category::Impact => "I",
        Category::Casing => "C",
        Category::Vehicle => "V",
        Category::Person => "PER",
        Category::Damage => "D",
        Category::Bloodstain => "BS",
        Category::Document => "DOC",
        Category::Other => "E",
    }
}

/// Hands out unused ids, `PREFIX` + the next number, without repeating one (unlike calling
/// `edit::next_id` on an unchanged case).
pub struct IdAllocator {
    used: HashSet<String>,
    next: HashMap<String, u64>,
}

impl IdAllocator {
    pub fn new(case: &Case) -> IdAllocator {
        let used = case
            .evidence
            .iter()
            .map(|i| i.id.clone())
            .chain(case.measurements.iter().map(|m| m.id.clone()))
            .chain(case.sight_lines.iter().map(|s| s.id.clone()))
            .chain(case.tracks.iter().map(|t| t.id.clone()))
            .chain(case.models.iter().map(|m| m.id.clone()))
            .collect();
        IdAllocator {
            used,
            next: HashMap::new(),
        }
    }

    pub fn next(&mut self, prefix: &str) -> String {
        let n = self.next.entry(prefix.to_string()).or_insert(1);
        loop {
            let id = format!("{prefix}{n}");
            *n += 1;
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }
}

fn build_items(
    import: &mut EventImport,
    records: Vec<RawRecord>,
    tz: Tz,
    zone_given: bool,
    date_option: Option<DateOption>,
    keep_duplicates: bool,
) {
    let (default_order, why) = if import.format == EventFormat::TimeMap {
        (
            TIMEMAP_DEFAULT_ORDER,
            "TimeMap's default date format is MM/DD/YYYY",
        )
    } else {
        (DateOrder::DayFirst, "day first is the default")
    };
    let order = match &date_option {
        Some(DateOption::Order(o)) => {
            import
                .assumptions
                .push(format!("dates read as {} (as given)", order_label(*o)));
            *o
        }
        Some(DateOption::Pattern(p)) => {
            import
                .assumptions
                .push(format!("dates read with the pattern {p:?} (as given)"));
            default_order
        }
        Some(DateOption::Iso) => {
            import
                .assumptions
                .push("dates read as YYYY-MM-DD (as given)".into());
            default_order
        }
        None => {
            let dates: Vec<(&str, &str)> = records
                .iter()
                .filter(|r| !r.iso_times)
                .flat_map(|r| {
                    [r.date.as_deref(), r.end.as_deref()]
                        .into_iter()
                        .flatten()
                        .map(|d| (r.location.as_str(), d))
                })
                .collect();
            let (o, note) = detect_order(&dates, default_order, why);
            import.assumptions.extend(note);
            o
        }
    };

    let mut naive_seen = false;
    let mut exact_intervals = 0usize;
    let mut no_time = 0usize;
    let mut other_category = 0usize;
    let mut ellipsoidal = 0usize;
    let mut explicit_unc = 0usize;
    // Duplicate index: (time key, sources key) → accepted (location, lat, lon).
    // Duplicate index: hash of (time, sources) → (index of the imported item, lat, lon).
    let mut seen: HashMap<u64, Vec<(usize, f64, f64)>> = HashMap::new();

    let mut category_cache: HashMap<String, Option<Category>> = HashMap::new();
    for mut r in records {
        let reject = |import: &mut EventImport, reason: String| {
            import.rejected.push(Rejected {
                location: r.location.clone(),
                reason,
            })
        };
        let (Some(lat_s), Some(lon_s)) = (r.lat.as_deref(), r.lon.as_deref()) else {
            let missing = match (&r.lat, &r.lon) {
                (None, None) => "no latitude or longitude",
                (None, _) => "no latitude",
                _ => "no longitude",
            };
            reject(import, missing.into());
            continue;
        };
        let (lat, lon, mut unc) = match coordinates(lat_s, lon_s) {
            Ok(c) => c,
            Err(e) => {
                reject(import, e);
                continue;
            }
        };
        if let Some(u) = &r.uncertainty {
            match u.trim().parse::<f64>() {
                Ok(u) if u.is_finite() && (0.0..=2.0e7).contains(&u) => {
                    unc = u;
                    explicit_unc += 1;
                }
                _ => {
                    reject(
                        import,
                        format!("uncertainty {u:?} is not a number of metres from 0 to 20 000 000"),
                    );
                    continue;
                }
            }
        }
        // Time.
        let time = match r.date.as_deref() {
            None => {
                if let Some(t) = &r.time {
                    reject(import, format!("a time ({t}) without a date"));
                    continue;
                }
                if r.end.is_some() {
                    reject(import, "an end date without a start date".into());
                    continue;
                }
                no_time += 1;
                None
            }
            Some(d) => {
                let opt = date_option.as_ref();
                let begin = record_stamp(d, r.time.as_deref(), order, opt);
                let end = r
                    .end
                    .as_deref()
                    .map(|e| parse_stamp(e, order, opt))
                    .transpose();
                let result = begin.and_then(|b| {
                    let e = end?;
                    naive_seen |=
                        matches!(b, Stamp::Local(..)) || matches!(e, Some(Stamp::Local(..)));
                    let bu = resolve(b, tz)?;
                    let eu = e.map(|e| resolve(e, tz)).transpose()?;
                    evidence_time(bu, eu)
                });
                match result {
                    Ok((t, exact)) => {
                        exact_intervals += exact as usize;
                        Some(t)
                    }
                    Err(e) => {
                        reject(import, e);
                        continue;
                    }
                }
            }
        };
        // Everything that will be saved is checked here, so that no row can make a case that
        // cannot be saved (a height of 250 km, a year beyond 9999).
        if let Some(h) = r.height_m
            && let Err(e) = crate::geo::geodesy::Geodetic::new(lat, lon, h).validate()
        {
            reject(import, format!("height: {e}"));
            continue;
        }
        if let Some(Err(e)) = time.as_ref().map(crate::time::EvidenceTime::validate) {
            reject(import, format!("time: {e}"));
            continue;
        }
        // Category (the same few values repeat: looked up once each).
        let found = r.category.as_deref().map(|c| {
            *category_cache
                .entry(c.to_string())
                .or_insert_with(|| category_of(c))
        });
        let category = match found {
            None => Category::Other,
            Some(Some(c)) => c,
            Some(None) => {
                other_category += 1;
                Category::Other
            }
        };
        let mut tags = std::mem::take(&mut r.tags);
        if let (Some(c), Some(None)) = (&r.category, found) {
            tags.push(c.clone());
        }
        // Title and description.
        let title = r
            .title
            .clone()
            .or_else(|| {
                r.description.lines().next().map(|l| {
                    let l = l.trim();
                    if l.chars().count() > 80 {
                        format!("{}…", l.chars().take(79).collect::<String>())
                    } else {
                        l.to_string()
                    }
                })
            })
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| format!("Imported event ({})", r.location));
        let mut description = std::mem::take(&mut r.description);
        if !r.other.is_empty() {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(
                &r.other
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        // Sources: every link of the record, then the provenance.
        let mut sources = std::mem::take(&mut r.sources);
        // The duplicate test compares the file's own sources (not the provenance).
        let hash_key = duplicate_hash(time.as_ref(), &sources);
        let mut prov = format!(
            "imported from {} (SHA-256 {}), {}",
            import.source_file_name, import.source_sha256, r.location
        );
        if let Some(n) = &r.height_note {
            prov += &format!("; {n}");
        }
        sources.push(Source {
            description: prov,
            ..Default::default()
        });
        if r.height_m.is_some() {
            ellipsoidal += 1;
        }

        // Duplicates: same time, same sources, within 1 m.
        // Same hash, then checked exactly against the earlier item: same time, same file
        // sources (in any order), within the distance.
        let bucket = seen.entry(hash_key).or_default();
        let same = |k: usize| {
            let earlier = &import.items[k].item;
            let file_sources = &earlier.sources[..earlier.sources.len() - 1];
            earlier.time == time
                && source_set(file_sources) == source_set(&sources[..sources.len() - 1])
        };
        if let Some(&(first, flat, flon)) = bucket.iter().find(|(k, a, o)| {
            approx_distance_m((*a, *o), (lat, lon)) <= DUPLICATE_DISTANCE_M && same(*k)
        }) {
            import.duplicates.push(Duplicate {
                location: r.location.clone(),
                duplicate_of: import.items[first].location.clone(),
                imported: keep_duplicates,
                distance_m: (approx_distance_m((flat, flon), (lat, lon)) * 1000.0).round() / 1000.0,
            });
            if !keep_duplicates {
                continue;
            }
        } else {
            bucket.push((import.items.len(), lat, lon));
        }

        let mut item = EvidenceItem::new(
            format!("import-{}", import.items.len() + 1),
            title,
            category,
            Location::Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                height_m: r.height_m,
            },
            (unc * 1000.0).round() / 1000.0,
        );
        item.position = Position {
            vertical_uncertainty_m: None,
            ..item.position
        };
        item.description = description;
        item.time = time;
        item.sources = sources;
        item.status = VerificationStatus::Unverified;
        item.tags = tags;
        import.items.push(ImportedItem {
            location: r.location,
            item,
        });
    }

    let a = &mut import.assumptions;
    if naive_seen {
        a.push(format!(
            "times without a UTC offset read as local time in {} ({})",
            tz.name(),
            if zone_given {
                "as given"
            } else {
                "the case's display time zone"
            }
        ));
    }
    if exact_intervals > 0 {
        a.push(format!(
            "{exact_intervals} time(s) known only to the day/month/year (or hour) in {} are stored as the exact interval they cover, since precision bands are kept in UTC",
            tz.name()
        ));
    }
    if no_time > 0 {
        a.push(format!(
            "{no_time} record(s) have no date: imported with the time unknown (shown at every time)"
        ));
    }
    if other_category > 0 {
        a.push(format!(
            "{other_category} record(s) have a category Locus does not have: imported as Other, with the original category kept as a tag"
        ));
    }
    if explicit_unc > 0 {
        a.push(format!(
            "{explicit_unc} record(s) state their horizontal uncertainty in metres: used as given"
        ));
    }
    a.push(
        "horizontal uncertainty from the coordinates' decimals where none is stated: half the last decimal place (e.g. 4 decimals ≈ ±5.6 m)".into(),
    );
    if ellipsoidal > 0 {
        a.push(format!(
            "{ellipsoidal} position(s) with a height, used as WGS84 ellipsoidal height"
        ));
    }
    a.push("imported items are unverified".into());
    if !import.duplicates.is_empty() {
        a.push(format!(
            "{} duplicate(s) (same place within {DUPLICATE_DISTANCE_M} m, same time, same sources) {}",
            import.duplicates.len(),
            if keep_duplicates {
                "imported anyway (--keep-duplicates)"
            } else {
                "not imported: the first of each is (use --keep-duplicates to import them all)"
            }
        ));
    }
}

/// What an import does to the case folder before its edit is applied, shared by
/// `locus import-events` and the app: archives a byte-for-byte copy of the file in the case's
/// evidence store, checks the copy is what was parsed, and builds the one undoable edit.
/// `Ok(None)`: nothing to import. (Callers first check [`previously_imported`].)
pub fn prepare_import(
    case_dir: &Path,
    case: &Case,
    file: &Path,
    import: &EventImport,
    author: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Edit, ArchivedFile)>, String> {
    if import.items.is_empty() {
        return Ok(None);
    }
    let stored = crate::integrity::attach::attach_file(case_dir, file, author, now)
        .map_err(|e| format!("archiving the import file in the case: {e}"))?;
    if stored.sha256 != import.source_sha256 {
        return Err(format!(
            "{} changed while it was being imported (SHA-256 {} when read, {} when archived); nothing was imported",
            file.display(),
            import.source_sha256,
            stored.sha256
        ));
    }
    let archived = ArchivedFile {
        path: stored.path,
        sha256: stored.sha256,
    };
    Ok(import_edit(case, import, Some(&archived), author, now).map(|e| (e, archived)))
}
