//! The CRS a LAS/LAZ file declares: its WKT record, else its GeoTIFF GeoKeyDirectory.

use super::wkt::crs_from_wkt;
use super::{Crs, Datum, LinearUnit};

/// The CRS a LAS/LAZ file declares, from its OGC WKT record (2112) when that names one Locus
/// reads, else from its GeoTIFF GeoKeyDirectory (34735, with 34736 doubles and 34737 ASCII).
/// `Ok(None)`: the file declares no CRS. `Err`: it declares one Locus cannot use (the
/// message says which).
pub fn las_crs(header: &las::Header) -> Result<Option<Crs>, String> {
    let mut errors = Vec::new();
    let wkt_vlrs = header.all_vlrs().filter(|v| {
        v.record_id == 2112 && (v.user_id == "LASF_Projection" || v.user_id == "liblas")
    });
    let mut declared = false;
    for vlr in wkt_vlrs {
        declared = true;
        match crs_from_wkt(&String::from_utf8_lossy(&vlr.data)) {
            Ok(Some(crs)) => return Ok(Some(crs)),
            Ok(None) => {}
            Err(e) => errors.push(format!("WKT record: {e}")),
        }
    }
    match header.get_geotiff_crs() {
        Ok(Some(g)) => {
            declared = true;
            match crs_from_geokeys(&g) {
                Ok(Some(crs)) => return Ok(Some(crs)),
                Ok(None) => {}
                Err(e) => errors.push(format!("GeoTIFF keys: {e}")),
            }
        }
        Ok(None) => {}
        Err(e) => {
            declared = true;
            errors.push(format!("GeoTIFF keys unreadable: {e}"));
        }
    }
    if errors.is_empty() || !declared {
        Ok(None)
    } else {
        Err(format!(
            "the file declares a CRS Locus cannot use: {}",
            errors.join("; ")
        ))
    }
}

/// A [`Crs`] from GeoTIFF keys: ProjectedCSTypeGeoKey (3072) as an EPSG code, or a
/// user-defined (32767) Lambert conic 2SP / UTM given by its ProjCoordTrans and parameter keys.
pub fn crs_from_geokeys(g: &las::crs::GeoTiffCrs) -> Result<Option<Crs>, String> {
    use las::crs::GeoTiffData;
    let short = |id: u16| {
        g.entries
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| match e.data {
                GeoTiffData::U16(v) => Some(v),
                _ => None,
            })
    };
    let double = |id: u16| {
        g.entries
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| match &e.data {
                GeoTiffData::Doubles(v) => v.first().copied(),
                _ => None,
            })
    };
    let model_type = short(1024);
    if let Some(code) = short(3072).filter(|c| (1024..32767).contains(c)) {
        return Crs::from_epsg(code as u32)
            .map(Some)
            .ok_or_else(|| format!("EPSG:{code} is not a CRS Locus knows"));
    }
    if model_type == Some(2) {
        return match short(2048) {
            Some(4326) => Ok(Some(Crs::Geographic)),
            Some(c) => Err(format!("geographic EPSG:{c} is not WGS84")),
            None => Ok(None),
        };
    }
    if model_type == Some(3) {
        return Ok(Some(Crs::Ecef));
    }
    if short(3072) != Some(32767) && model_type != Some(1) {
        return Ok(None);
    }
    let datum = match (short(2048), short(2050), short(2056)) {
        (Some(4326), _, _) | (_, Some(6326), _) => Datum::Wgs84,
        (Some(4269 | 4152 | 4759 | 6318), _, _) | (_, Some(6269 | 6152 | 1116), _) => Datum::Nad83,
        (_, _, Some(7019)) => Datum::Nad83,
        (_, _, Some(7030)) => Datum::Wgs84,
        other => {
            return Err(format!(
                "geographic keys {other:?} name no datum Locus knows"
            ));
        }
    };
    let unit = match short(3076) {
        None | Some(9001) => LinearUnit::Metre,
        Some(9002) => LinearUnit::Foot,
        Some(9003) => LinearUnit::UsSurveyFoot,
        Some(u) => return Err(format!("linear unit EPSG:{u} is not supported")),
    };
    match short(3075) {
        // CT_LambertConfConic_2SP
        Some(8) => {
            let need =
                |id: u16, what: &str| double(id).ok_or(format!("Lambert conic without {what}"));
            let crs = Crs::LambertConic2sp {
                lat_1_deg: need(3078, "standard parallel 1")?,
                lat_2_deg: need(3079, "standard parallel 2")?,
                lat_0_deg: double(3085)
                    .or(double(3081))
                    .ok_or("Lambert conic without origin latitude")?,
                lon_0_deg: double(3084)
                    .or(double(3080))
                    .or(double(3088))
                    .ok_or("Lambert conic without origin longitude")?,
                false_easting: double(3086).or(double(3082)).unwrap_or(0.0),
                false_northing: double(3087).or(double(3083)).unwrap_or(0.0),
                datum,
                unit,
            };
            crs.validate()?;
            Ok(Some(crs))
        }
        Some(t) => Err(format!(
            "coordinate transformation type {t} is not supported"
        )),
        None => Ok(None),
    }
}
