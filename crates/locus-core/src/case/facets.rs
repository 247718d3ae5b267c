//! Facets of a case's items for filtering masses of evidence: verification status, source
//! domain, tag and import file, each value with how many items have it; and the filter that
//! keeps the items matching the chosen values (and a free-text search over ids, titles,
//! descriptions, tags and source URLs).

use std::collections::HashMap;

use crate::case::{Case, EvidenceItem, VerificationStatus};

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
}

impl FacetFilter {
    pub fn is_empty(&self) -> bool {
        *self == FacetFilter::default()
    }

    pub fn matches(&self, item: &EvidenceItem) -> bool {
        self.status.is_none_or(|s| item.status == s)
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
}
