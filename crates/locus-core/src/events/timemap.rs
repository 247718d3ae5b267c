//! TimeMap JSON exports (Forensic Architecture's timemap / datasheet-server): events with
//! their sources and associations.

use std::collections::HashMap;

use serde_json::Value;

use crate::case::Source;

use super::dates::DateOrder;
use super::fields::{RawFile, json_sources, json_text, parse_json, record_from_properties};
use super::{ColumnMapping, Rejected};

/// TimeMap's own date format (its DATE_FMT default) is month first.
pub(super) const TIMEMAP_DEFAULT_ORDER: DateOrder = DateOrder::MonthFirst;

pub(super) fn read_timemap(bytes: &[u8], mapping: &ColumnMapping) -> Result<RawFile, String> {
    let v = parse_json(bytes)?;
    let (events, sources, associations) = match &v {
        Value::Array(a) => (a.clone(), Value::Null, Value::Null),
        Value::Object(o) => (
            o.get("events")
                .and_then(Value::as_array)
                .cloned()
                .ok_or("a TimeMap export needs an \"events\" array")?,
            o.get("sources").cloned().unwrap_or(Value::Null),
            o.get("associations").cloned().unwrap_or(Value::Null),
        ),
        _ => return Err("a TimeMap export is an object with \"events\" or an array".into()),
    };
    // Sources: a map keyed by id, or an array of objects with ids.
    let mut source_by_id: HashMap<String, Value> = HashMap::new();
    match &sources {
        Value::Object(o) => {
            for (k, s) in o {
                source_by_id.insert(k.clone(), s.clone());
            }
        }
        Value::Array(a) => {
            for s in a {
                if let Some(id) = s.get("id").and_then(json_text) {
                    source_by_id.insert(id, s.clone());
                }
            }
        }
        _ => {}
    }
    let mut assoc_title: HashMap<String, String> = HashMap::new();
    if let Value::Array(a) = &associations {
        for s in a {
            if let (Some(id), Some(title)) = (
                s.get("id").and_then(json_text),
                s.get("title").and_then(json_text),
            ) {
                assoc_title.insert(id, title);
            }
        }
    }
    let mut out = RawFile::default();
    out.notes.push(format!(
        "TimeMap export: {} event(s), {} source(s), {} association(s)",
        events.len(),
        source_by_id.len(),
        assoc_title.len()
    ));
    let mut unknown_sources = 0usize;
    for (n, e) in events.iter().enumerate() {
        let mut location = format!("event {}", n + 1);
        let Some(props) = e.as_object() else {
            out.rejected.push(Rejected {
                location,
                reason: "not a JSON object".into(),
            });
            continue;
        };
        if let Some(id) = props.get("id").and_then(json_text) {
            location = format!("event {} (id {id})", n + 1);
        }
        // The fields TimeMap defines are read directly; the rest by the generic mapping.
        let mut props = props.clone();
        let source_ids = props.remove("sources");
        let assocs = props.remove("associations");
        let (mut r, _, _) = record_from_properties(location, &props, mapping)?;
        r.other.retain(|(k, _)| k != "id");
        for id in source_ids.iter().flat_map(|s| match s {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        }) {
            match &id {
                Value::Object(_) => r.sources.extend(json_sources(&id)),
                _ => {
                    let Some(id) = json_text(&id) else { continue };
                    match source_by_id.get(&id) {
                        Some(s) => r.sources.push(timemap_source(&id, s)),
                        None => {
                            unknown_sources += 1;
                            r.sources.push(Source {
                                description: format!(
                                    "TimeMap source {id} (not in the export's sources list)"
                                ),
                                ..Default::default()
                            });
                        }
                    }
                }
            }
        }
        for a in assocs.iter().flat_map(|a| match a {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        }) {
            let Some(id) = json_text(&a) else { continue };
            r.tags.push(match assoc_title.get(&id) {
                Some(t) if *t != id => format!("{id} ({t})"),
                _ => id,
            });
        }
        out.records.push(r);
    }
    if unknown_sources > 0 {
        out.notes.push(format!(
            "{unknown_sources} source reference(s) name ids the export's sources list lacks: kept as references by id"
        ));
    }
    Ok(out)
}

fn timemap_source(id: &str, s: &Value) -> Source {
    let text = |k: &str| s.get(k).and_then(json_text).unwrap_or_default();
    let paths: Vec<String> = s
        .get("paths")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(json_text).collect())
        .unwrap_or_default();
    let url = Some(text("url")).filter(|u| !u.is_empty()).or_else(|| {
        paths
            .iter()
            .find(|p| p.starts_with("http://") || p.starts_with("https://"))
            .cloned()
    });
    let mut description = format!("TimeMap source {id}");
    for (label, v) in [
        ("", text("title")),
        ("type ", text("type")),
        ("", text("description")),
    ] {
        if !v.is_empty() {
            description += &format!("; {label}{v}");
        }
    }
    if !paths.is_empty() {
        description += &format!("; paths: {}", paths.join(", "));
    }
    Source {
        url,
        archived_file: None,
        author: text("author"),
        date: text("date"),
        description,
    }
}
