//! OGC WKT version 1 (as LAS record 2112 carries it): a small parser and the recognition of
//! the projected CRSs Locus implements, by EPSG authority code or by method and parameters.

use super::{Crs, Datum, Ellipsoid, LinearUnit};

/// Parses an OGC WKT (version 1, as in LAS record 2112) projected CRS into a [`Crs`]: first by
/// the PROJCS's own EPSG authority code, else by recognising a Lambert_Conformal_Conic_2SP or
/// Transverse_Mercator-as-UTM with its parameters, GRS80/WGS84 spheroid and linear unit.
pub fn crs_from_wkt(wkt: &str) -> Result<Option<Crs>, String> {
    let wkt = wkt.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if wkt.is_empty() {
        return Ok(None);
    }
    let root = Wkt::parse(wkt)?;
    let root = if root.name.eq_ignore_ascii_case("COMPD_CS") {
        root.child("PROJCS")
            .or_else(|| root.child("GEOGCS"))
            .or_else(|| root.child("GEOCCS"))
            .ok_or("WKT COMPD_CS has no horizontal CRS")?
    } else {
        &root
    };
    if let Some(code) = root.authority_epsg()
        && let Some(crs) = Crs::from_epsg(code)
    {
        return Ok(Some(crs));
    }
    let name = root.text(0).unwrap_or("");
    match root.name.to_ascii_uppercase().as_str() {
        "GEOGCS" => {
            return datum_of(root)
                .filter(|d| *d == Datum::Wgs84)
                .map(|_| Some(Crs::Geographic))
                .ok_or_else(|| format!("geographic CRS '{name}' on a datum Locus does not know"));
        }
        "GEOCCS" => return Ok(Some(Crs::Ecef)),
        "PROJCS" => {}
        other => return Err(format!("WKT starts with {other}, not a CRS Locus reads")),
    }
    let unsupported = |why: &str| Err(format!("projected CRS '{name}': {why}"));
    let Some(geog) = root.child("GEOGCS") else {
        return unsupported("no GEOGCS");
    };
    let Some(datum) = datum_of(geog) else {
        return unsupported("its datum is neither WGS84 nor NAD83");
    };
    let unit = match root.child("UNIT").and_then(|u| u.number(1)) {
        Some(m) => match LinearUnit::from_metres(m) {
            Some(u) => u,
            None => return unsupported(&format!("unknown linear unit of {m} m")),
        },
        None => LinearUnit::Metre,
    };
    let projection = root
        .child("PROJECTION")
        .and_then(|p| p.text(0))
        .unwrap_or("")
        .to_ascii_lowercase();
    let param = |names: &[&str]| -> Option<f64> {
        root.children("PARAMETER").find_map(|p| {
            let n = p.text(0)?.to_ascii_lowercase();
            names.contains(&n.as_str()).then(|| p.number(1)).flatten()
        })
    };
    let crs = if projection == "lambert_conformal_conic_2sp"
        || projection == "lambert_conformal_conic"
    {
        let (Some(lat_1), Some(lat_2), Some(lat_0), Some(lon_0)) = (
            param(&["standard_parallel_1"]),
            param(&["standard_parallel_2"]),
            param(&["latitude_of_origin", "latitude_of_false_origin"]),
            param(&["central_meridian", "longitude_of_false_origin"]),
        ) else {
            return unsupported("Lambert conic parameters missing");
        };
        Crs::LambertConic2sp {
            lat_0_deg: lat_0,
            lon_0_deg: lon_0,
            lat_1_deg: lat_1,
            lat_2_deg: lat_2,
            false_easting: param(&["false_easting", "easting_at_false_origin"]).unwrap_or(0.0),
            false_northing: param(&["false_northing", "northing_at_false_origin"]).unwrap_or(0.0),
            datum,
            unit,
        }
    } else if projection == "transverse_mercator" {
        let lat_0 = param(&["latitude_of_origin"]).unwrap_or(0.0);
        let lon_0 = param(&["central_meridian"]).unwrap_or(f64::NAN);
        let k0 = param(&["scale_factor"]).unwrap_or(f64::NAN);
        let fe = param(&["false_easting"]).unwrap_or(0.0) * unit.to_metres();
        let fnorth = param(&["false_northing"]).unwrap_or(0.0) * unit.to_metres();
        let zone = ((lon_0 + 183.0) / 6.0).round();
        let is_utm = lat_0 == 0.0
            && (k0 - 0.9996).abs() < 1e-12
            && (fe - 500_000.0).abs() < 1e-6
            && (fnorth == 0.0 || (fnorth - 10_000_000.0).abs() < 1e-6)
            && (1.0..=60.0).contains(&zone)
            && (zone * 6.0 - 183.0 - lon_0).abs() < 1e-9
            && unit == LinearUnit::Metre;
        if !is_utm {
            return unsupported("a Transverse Mercator that is not a UTM zone");
        }
        Crs::Utm {
            zone: zone as u8,
            south: fnorth != 0.0,
            datum,
        }
    } else {
        return unsupported(&format!("projection '{projection}' is not supported"));
    };
    crs.validate()?;
    Ok(Some(crs))
}

fn datum_of(geog: &Wkt) -> Option<Datum> {
    let datum = geog.child("DATUM")?;
    if let Some(code) = datum.authority_epsg() {
        match code {
            6326 => return Some(Datum::Wgs84),
            6269 | 6152 | 6140 | 1116 => return Some(Datum::Nad83),
            _ => {}
        }
    }
    let name = datum
        .text(0)?
        .to_ascii_lowercase()
        .replace([' ', '-', '(', ')'], "_");
    let spheroid = datum.child("SPHEROID")?;
    let (a, inv_f) = (spheroid.number(1)?, spheroid.number(2)?);
    let same = |e: Ellipsoid| (e.a - a).abs() < 1e-3 && (1.0 / e.f - inv_f).abs() < 1e-6;
    if (name.contains("wgs_1984")
        || name.contains("wgs84")
        || name.contains("world_geodetic_system_1984"))
        && same(Ellipsoid::WGS84)
    {
        Some(Datum::Wgs84)
    } else if (name.contains("north_american_1983") || name.contains("nad83"))
        && same(Ellipsoid::GRS80)
    {
        Some(Datum::Nad83)
    } else {
        None
    }
}

/// A WKT1 node: `NAME[arg, arg, ...]`, each argument a quoted string, a number or a node.
#[derive(Debug)]
struct Wkt {
    pub(super) name: String,
    pub(super) args: Vec<WktArg>,
}

#[derive(Debug)]
enum WktArg {
    Text(String),
    Number(f64),
    Node(Wkt),
}

impl Wkt {
    pub(super) fn parse(s: &str) -> Result<Wkt, String> {
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        let node = Wkt::node(&chars, &mut i)?;
        Ok(node)
    }

    fn skip_ws(c: &[char], i: &mut usize) {
        while *i < c.len() && c[*i].is_whitespace() {
            *i += 1;
        }
    }

    pub(super) fn node(c: &[char], i: &mut usize) -> Result<Wkt, String> {
        Wkt::skip_ws(c, i);
        let start = *i;
        while *i < c.len() && (c[*i].is_ascii_alphanumeric() || c[*i] == '_') {
            *i += 1;
        }
        let name: String = c[start..*i].iter().collect();
        if name.is_empty() {
            return Err(format!("WKT: expected a keyword at character {start}"));
        }
        Wkt::skip_ws(c, i);
        let close = match c.get(*i) {
            Some('[') => ']',
            Some('(') => ')',
            _ => return Err(format!("WKT: expected '[' after {name} at character {i}")),
        };
        *i += 1;
        let mut args = Vec::new();
        loop {
            Wkt::skip_ws(c, i);
            match c.get(*i) {
                None => return Err(format!("WKT: {name}[ is never closed")),
                Some(ch) if *ch == close => {
                    *i += 1;
                    break;
                }
                Some(',') => *i += 1,
                Some('"') => {
                    *i += 1;
                    let start = *i;
                    while *i < c.len() && c[*i] != '"' {
                        *i += 1;
                    }
                    args.push(WktArg::Text(c[start..*i].iter().collect()));
                    *i += 1;
                }
                Some(ch) if ch.is_ascii_digit() || *ch == '-' || *ch == '+' || *ch == '.' => {
                    let start = *i;
                    while *i < c.len() && (c[*i].is_ascii_digit() || "+-.eE".contains(c[*i])) {
                        *i += 1;
                    }
                    let text: String = c[start..*i].iter().collect();
                    let v = text
                        .parse()
                        .map_err(|_| format!("WKT: '{text}' is not a number"))?;
                    args.push(WktArg::Number(v));
                }
                Some(_) => {
                    let start = *i;
                    let sub = Wkt::node(c, i);
                    match sub {
                        Ok(n) => args.push(WktArg::Node(n)),
                        Err(_) => {
                            // A bare enumeration word such as NORTH or EAST.
                            *i = start;
                            while *i < c.len() && c[*i].is_ascii_alphanumeric() {
                                *i += 1;
                            }
                            if *i == start {
                                return Err(format!(
                                    "WKT: unexpected '{}' at character {start}",
                                    c[start]
                                ));
                            }
                            args.push(WktArg::Text(c[start..*i].iter().collect()));
                        }
                    }
                }
            }
        }
        Ok(Wkt { name, args })
    }

    pub(super) fn children<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Wkt> + use<'a> {
        let name = name.to_ascii_uppercase();
        self.args.iter().filter_map(move |a| match a {
            WktArg::Node(n) if n.name.eq_ignore_ascii_case(&name) => Some(n),
            _ => None,
        })
    }

    pub(super) fn child(&self, name: &str) -> Option<&Wkt> {
        self.children(name).next()
    }

    pub(super) fn text(&self, k: usize) -> Option<&str> {
        match self.args.get(k)? {
            WktArg::Text(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn number(&self, k: usize) -> Option<f64> {
        match self.args.get(k)? {
            WktArg::Number(v) => Some(*v),
            WktArg::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The node's own AUTHORITY["EPSG", "code"], not a nested one.
    fn authority_epsg(&self) -> Option<u32> {
        let a = self.child("AUTHORITY")?;
        if !a.text(0)?.eq_ignore_ascii_case("EPSG") {
            return None;
        }
        a.number(1).map(|v| v as u32)
    }
}
