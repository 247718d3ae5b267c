//! Facets of a case's items for filtering masses of evidence: verification status, source
//! domain, tag and import file, each value with how many items have it; and the filter that
//! keeps the items matching the chosen values (and a free-text search over ids, titles,
//! descriptions, tags and source URLs).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::case::{Case, EvidenceItem, VerificationStatus};
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

/// The values chosen in each facet (None: any).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacetFilter {
    pub status: Option<VerificationStatus>,
    pub domain: Option<String>,
    pub tag: Option<String>,
    pub import: Option<String>,
    /// Only items whose time (with its precision and uncertainty) overlaps this range; items
    /// without a time are left out.
    pub time: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Only items placed inside this box on the ground: [min, max] corners, case ENU metres
    /// (east, north).
    pub area: Option<[[f64; 2]; 2]>,
    /// Only items within a distance on the ground of a place: "events like this one".
    pub near: Option<Near>,
}

/// A circle on the ground: items within `radius_m` of (`east_m`, `north_m`), case ENU.
#[derive(Debug, Clone, PartialEq)]
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
}
