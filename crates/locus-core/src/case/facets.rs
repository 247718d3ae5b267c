//! Facets of a case's items for filtering masses of evidence: verification status, source
//! domain, tag and import file, each value with how many items have it; and the filter that
//! keeps the items matching the chosen values (and a free-text search over ids, titles,
//! descriptions, tags and source URLs).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Category, EvidenceItem, VerificationStatus};
use crate::geo::geodesy::Enu;

/// The host of a source URL, without `www.` ("https://www.example.org/a" → "example.org").
pub fn source_domain(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?.trim_start_matches("www.");
    (!host.is_empty()).then(|| host.to_lowercase())
}

/// The event file an item was imported from (its import source names it).
pub fn import_file(item: &EvidenceItem) -> Option<String> {
    item.sources.iter().find_map(|s| {
        s.description
            .strip_prefix("imported from ")
            .and_then(|r| r.split(" (").next())
            .map(str::to_string)
            .or_else(|| {
                s.archived_file
                    .as_ref()
                    .and_then(|a| a.path.rsplit('/').next().map(str::to_string))
            })
    })
}

/// Each facet's values with their item counts, most items first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    pub status: Vec<(VerificationStatus, usize)>,
    pub domains: Vec<(String, usize)>,
    pub tags: Vec<(String, usize)>,
    pub imports: Vec<(String, usize)>,
}

fn sorted<K: Ord + Clone>(counts: HashMap<K, usize>) -> Vec<(K, usize)> {
    let mut v: Vec<(K, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

pub fn facets(case: &Case) -> Facets {
    let mut status: HashMap<u8, usize> = HashMap::new();
    let (mut domains, mut tags, mut imports) = (HashMap::new(), HashMap::new(), HashMap::new());
    for item in &case.evidence {
        *status.entry(status_key(item.status)).or_default() += 1;
        let mut seen: Vec<String> = Vec::new();
        for d in item
            .sources
            .iter()
            .filter_map(|s| s.url.as_deref().and_then(source_domain))
        {
            if !seen.contains(&d) {
                *domains.entry(d.clone()).or_default() += 1;
                seen.push(d);
            }
        }
        for t in &item.tags {
            *tags.entry(t.clone()).or_default() += 1;
        }
        if let Some(f) = import_file(item) {
            *imports.entry(f).or_default() += 1;
        }
    }
    let mut status: Vec<(VerificationStatus, usize)> = [
        VerificationStatus::Unverified,
        VerificationStatus::Verified,
        VerificationStatus::Disputed,
    ]
    .into_iter()
    .filter_map(|s| status.get(&status_key(s)).map(|n| (s, *n)))
    .collect();
    status.sort_by_key(|s| std::cmp::Reverse(s.1));
    Facets {
        status,
        domains: sorted(domains),
        tags: sorted(tags),
        imports: sorted(imports),
    }
}

fn status_key(s: VerificationStatus) -> u8 {
    match s {
        VerificationStatus::Unverified => 0,
        VerificationStatus::Verified => 1,
        VerificationStatus::Disputed => 2,
    }
}

/// The values chosen in each facet (None: any). Kept in a case as part of a saved filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FacetFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<VerificationStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import: Option<String>,
    /// Only items whose time (with its precision and uncertainty) overlaps this range; items
    /// without a time are left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Only items placed inside this box on the ground: [min, max] corners, case ENU metres
    /// (east, north).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<[[f64; 2]; 2]>,
    /// Only items within a distance on the ground of a place: "events like this one".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
}

/// A circle on the ground: items within `radius_m` of (`east_m`, `north_m`), case ENU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Near {
    /// The item it is drawn around (for saying so).
    pub item: String,
    pub east_m: f64,
    pub north_m: f64,
    pub radius_m: f64,
}

impl FacetFilter {
    pub fn is_empty(&self) -> bool {
        *self == FacetFilter::default()
    }

    /// Whether the filter asks where an item is (area or nearness).
    pub fn is_spatial(&self) -> bool {
        self.area.is_some() || self.near.is_some()
    }

    /// "Events like this one": the same place within `radius_m` and the same time within
    /// `window_s` either side of the item's time (its position `at`, case ENU). None when the
    /// item has no time.
    pub fn like(item: &EvidenceItem, at: Enu, radius_m: f64, window_s: f64) -> Option<Self> {
        let (start, end) = item.time.as_ref()?.band();
        let w = chrono::Duration::milliseconds((window_s.max(0.0) * 1000.0) as i64);
        Some(FacetFilter {
            time: Some((start - w, end + w)),
            near: Some(Near {
                item: item.id.clone(),
                east_m: at.east_m,
                north_m: at.north_m,
                radius_m,
            }),
            ..Default::default()
        })
    }

    /// `matches`, and the area and nearness for an item placed at `at` (None: position
    /// unknown, which no area or circle holds).
    pub fn matches_at(&self, item: &EvidenceItem, at: Option<Enu>) -> bool {
        self.matches(item) && (!self.is_spatial() || at.is_some_and(|p| self.holds(p)))
    }

    /// Whether a place is inside the area and the circle (those that are set).
    pub fn holds(&self, p: Enu) -> bool {
        self.area.is_none_or(|[min, max]| {
            (min[0]..=max[0]).contains(&p.east_m) && (min[1]..=max[1]).contains(&p.north_m)
        }) && self
            .near
            .as_ref()
            .is_none_or(|n| (p.east_m - n.east_m).hypot(p.north_m - n.north_m) <= n.radius_m)
    }

    /// Matches every non-spatial facet (status, domain, tag, import file, time range).
    pub fn matches(&self, item: &EvidenceItem) -> bool {
        self.time.is_none_or(|(from, to)| {
            item.time.as_ref().is_some_and(|t| {
                let (s, e) = t.band();
                s <= to && e >= from
            })
        }) && self.status.is_none_or(|s| item.status == s)
            && self.domain.as_ref().is_none_or(|d| {
                item.sources
                    .iter()
                    .filter_map(|s| s.url.as_deref().and_then(source_domain))
                    .any(|x| x == *d)
            })
            && self.tag.as_ref().is_none_or(|t| item.tags.contains(t))
            && self
                .import
                .as_ref()
                .is_none_or(|f| import_file(item).as_ref() == Some(f))
    }
}

/// A filter kept in the case under a name: the categories left out, the facets and the words
/// searched for. A storyline step can carry one (a copy: what a step shows does not change
/// when the saved filter is edited later).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedFilter {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "FacetFilter::is_empty")]
    pub facets: FacetFilter,
    /// Words that must all be in the item's id, title, description, tags or source URLs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

impl SavedFilter {
    /// Whether the item, placed at `at` (None: position unknown), passes the filter.
    pub fn matches_at(&self, item: &EvidenceItem, at: Option<Enu>) -> bool {
        !self.hidden_categories.contains(&item.category)
            && self.facets.matches_at(item, at)
            && matches_text(&self.text, item)
    }

    /// Problems with the values, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("a saved filter needs a name".into());
        }
        if let Some((from, to)) = self.facets.time
            && to < from
        {
            return Err(format!(
                "filter {:?}: its time range ends before it starts",
                self.name
            ));
        }
        if let Some([min, max]) = self.facets.area
            && !(min.iter().chain(&max).all(|v| v.is_finite())
                && min[0] <= max[0]
                && min[1] <= max[1])
        {
            return Err(format!(
                "filter {:?}: its area must be [min, max] corners in finite metres",
                self.name
            ));
        }
        if let Some(n) = &self.facets.near
            && !(n.east_m.is_finite()
                && n.north_m.is_finite()
                && n.radius_m > 0.0
                && n.radius_m.is_finite())
        {
            return Err(format!(
                "filter {:?}: its circle needs a finite centre and a radius above 0 m",
                self.name
            ));
        }
        Ok(())
    }

    /// The filter in words, for the report and the storyline ("tag suspicious:date; time
    /// 10:00 – 11:00; within 100 m of E12").
    pub fn describe(&self, tz: chrono_tz::Tz) -> String {
        let mut parts = Vec::new();
        if !self.hidden_categories.is_empty() {
            let names: Vec<&str> = self.hidden_categories.iter().map(|c| c.label()).collect();
            parts.push(format!("without {}", names.join(", ")));
        }
        let f = &self.facets;
        if let Some(s) = f.status {
            parts.push(format!("status {}", s.label()));
        }
        if let Some(d) = &f.domain {
            parts.push(format!("source {d}"));
        }
        if let Some(t) = &f.tag {
            parts.push(format!("tag {t}"));
        }
        if let Some(i) = &f.import {
            parts.push(format!("imported from {i}"));
        }
        if let Some((a, b)) = f.time {
            parts.push(format!(
                "time {} – {}",
                crate::time::format_local(a, tz),
                crate::time::format_local(b, tz)
            ));
        }
        if let Some([min, max]) = f.area {
            parts.push(format!(
                "area E {:.0}…{:.0} m, N {:.0}…{:.0} m",
                min[0], max[0], min[1], max[1]
            ));
        }
        if let Some(n) = &f.near {
            parts.push(format!("within {:.0} m of {}", n.radius_m, n.item));
        }
        if !self.text.trim().is_empty() {
            parts.push(format!("text \"{}\"", self.text.trim()));
        }
        if parts.is_empty() {
            "everything".into()
        } else {
            parts.join("; ")
        }
    }
}

/// True when every word of `query` is in the item's id, title, description, a tag or a source
/// URL (case-insensitive).
pub fn matches_text(query: &str, item: &EvidenceItem) -> bool {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return true;
    }
    let fields: Vec<String> = [
        item.id.as_str(),
        item.title.as_str(),
        item.description.as_str(),
    ]
    .into_iter()
    .chain(item.tags.iter().map(String::as_str))
    .chain(item.sources.iter().filter_map(|s| s.url.as_deref()))
    .map(str::to_lowercase)
    .collect();
    q.split_whitespace()
        .all(|w| fields.iter().any(|f| f.contains(w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Category, Location, Source};

    fn item(id: &str, url: &str, tags: &[&str], from: &str) -> EvidenceItem {
        let mut i = EvidenceItem::new(id, "t", Category::Other, Location::Unknown, 0.0);
        i.sources.push(Source {
            url: Some(url.into()),
            ..Default::default()
        });
        if !from.is_empty() {
            i.sources.push(Source {
                description: format!("imported from {from} (SHA-256 abc), line 3"),
                ..Default::default()
            });
        }
        i.tags = tags.iter().map(|t| t.to_string()).collect();
        i
    }

    #[test]
    fn domains_tags_and_import_files_are_counted_and_filtered() {
        assert_eq!(
            source_domain("https://www.Example.org:8443/a?b").as_deref(),
            Some("example.org")
        );
        assert_eq!(source_domain("t.me/channel/12").as_deref(), Some("t.me"));
        let mut case = Case::in_memory("f", None);
        case.evidence = vec![
            item("A", "https://t.me/x/1", &["suspicious:date"], "monitor.csv"),
            item("B", "https://t.me/x/2", &[], "monitor.csv"),
            item("C", "https://www.example.org/p", &[], ""),
        ];
        case.evidence[2].status = VerificationStatus::Verified;
        let f = facets(&case);
        assert_eq!(
            f.domains,
            vec![("t.me".into(), 2), ("example.org".into(), 1)]
        );
        assert_eq!(f.imports, vec![("monitor.csv".into(), 2)]);
        assert_eq!(f.tags, vec![("suspicious:date".into(), 1)]);
        assert_eq!(
            f.status,
            vec![
                (VerificationStatus::Unverified, 2),
                (VerificationStatus::Verified, 1)
            ]
        );
        let only = |flt: FacetFilter| -> Vec<&str> {
            case.evidence
                .iter()
                .filter(|i| flt.matches(i))
                .map(|i| i.id.as_str())
                .collect()
        };
        assert_eq!(
            only(FacetFilter {
                domain: Some("t.me".into()),
                ..Default::default()
            }),
            vec!["A", "B"]
        );
        assert_eq!(
            only(FacetFilter {
                tag: Some("suspicious:date".into()),
                ..Default::default()
            }),
            vec!["A"]
        );
        assert_eq!(
            only(FacetFilter {
                status: Some(VerificationStatus::Verified),
                ..Default::default()
            }),
            vec!["C"]
        );
        assert!(matches_text("example.org/p", &case.evidence[2]));
        assert!(!matches_text("example.org", &case.evidence[0]));
    }

    #[test]
    fn time_range_area_and_events_like_this_one() {
        use crate::time::parse_rfc3339;
        let at = |t: &str| {
            let mut i = item("X", "", &[], "");
            i.time = Some(crate::time::EvidenceTime::instant(
                parse_rfc3339(t).unwrap(),
                crate::time::Precision::Second,
            ));
            i
        };
        let early = at("2024-05-01T10:00:00Z");
        let late = at("2024-05-01T14:00:00Z");
        let undated = item("U", "", &[], "");
        let range = FacetFilter {
            time: Some((
                parse_rfc3339("2024-05-01T09:00:00Z").unwrap(),
                parse_rfc3339("2024-05-01T11:00:00Z").unwrap(),
            )),
            ..Default::default()
        };
        assert!(range.matches(&early) && !range.matches(&late) && !range.matches(&undated));

        let area = FacetFilter {
            area: Some([[-10.0, -10.0], [10.0, 10.0]]),
            ..Default::default()
        };
        let p = |e: f64, n: f64| Enu {
            east_m: e,
            north_m: n,
            up_m: 0.0,
        };
        assert!(area.matches_at(&late, Some(p(5.0, -5.0))));
        assert!(!area.matches_at(&late, Some(p(15.0, 0.0))));
        assert!(!area.matches_at(&late, None), "no position: in no area");

        // Like the early event: within 100 m and an hour of it.
        let like = FacetFilter::like(&early, p(0.0, 0.0), 100.0, 3600.0).unwrap();
        assert!(like.matches_at(&at("2024-05-01T10:59:00Z"), Some(p(60.0, 70.0))));
        assert!(!like.matches_at(&at("2024-05-01T10:59:00Z"), Some(p(80.0, 70.0))));
        assert!(!like.matches_at(&late, Some(p(1.0, 1.0))));
        assert!(FacetFilter::like(&undated, p(0.0, 0.0), 100.0, 3600.0).is_none());
    }

    #[test]
    fn a_saved_filter_reads_back_keeps_what_it_says_and_says_it_in_words() {
        use crate::time::parse_rfc3339;
        let saved = SavedFilter {
            name: "Shelling, morning".into(),
            hidden_categories: vec![Category::Witness],
            facets: FacetFilter {
                tag: Some("shelling".into()),
                time: Some((
                    parse_rfc3339("2024-05-01T06:00:00Z").unwrap(),
                    parse_rfc3339("2024-05-01T12:00:00Z").unwrap(),
                )),
                area: Some([[-50.0, -50.0], [50.0, 50.0]]),
                ..Default::default()
            },
            text: "school".into(),
        };
        let json = serde_json::to_string(&saved).unwrap();
        assert_eq!(serde_json::from_str::<SavedFilter>(&json).unwrap(), saved);
        assert!(
            serde_json::from_str::<SavedFilter>(r#"{"name": "x", "facets": {"tags": "a"}}"#)
                .is_err(),
            "a misspelt field is refused"
        );
        let mut it = item("A", "", &["shelling"], "");
        it.title = "Near the school".into();
        it.time = Some(crate::time::EvidenceTime::instant(
            parse_rfc3339("2024-05-01T09:00:00Z").unwrap(),
            crate::time::Precision::Second,
        ));
        let here = Enu::new(10.0, 10.0, 0.0);
        assert!(saved.matches_at(&it, Some(here)));
        assert!(
            !saved.matches_at(&it, Some(Enu::new(80.0, 0.0, 0.0))),
            "outside the area"
        );
        let mut other = it.clone();
        other.title = "Market".into();
        assert!(
            !saved.matches_at(&other, Some(here)),
            "the text is not in it"
        );
        other = it.clone();
        other.category = Category::Witness;
        assert!(!saved.matches_at(&other, Some(here)), "a hidden category");
        assert_eq!(
            saved.describe(chrono_tz::UTC),
            "without Witness position; tag shelling; time 2024-05-01 06:00:00 UTC (UTC+00:00) – \
             2024-05-01 12:00:00 UTC (UTC+00:00); area E -50…50 m, N -50…50 m; text \"school\""
        );
        let mut backwards = saved.clone();
        backwards.facets.time = Some((
            parse_rfc3339("2024-05-01T12:00:00Z").unwrap(),
            parse_rfc3339("2024-05-01T06:00:00Z").unwrap(),
        ));
        assert!(
            backwards
                .validate()
                .unwrap_err()
                .contains("ends before it starts")
        );
    }
}
