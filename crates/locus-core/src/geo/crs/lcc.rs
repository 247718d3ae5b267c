//! Lambert conformal conic with two standard parallels (EPSG method 9802) by the closed
//! formulas of IOGP/EPSG Guidance Note 7-2 §3.1.1, with its inverse.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

use super::Ellipsoid;
use super::tm::wrap_deg;

/// Lambert conformal conic, two standard parallels (EPSG 9802, Guidance Note 7-2 §3.1.1),
/// in metres.
#[derive(Debug, Clone, Copy)]
pub struct LambertConic {
    a: f64,
    e: f64,
    n: f64,
    big_f: f64,
    r_f: f64,
    lon_0: f64,
    false_easting: f64,
    false_northing: f64,
}

impl LambertConic {
    /// Angles in degrees; false easting and northing in metres.
    pub fn new(
        ell: Ellipsoid,
        lat_0_deg: f64,
        lon_0_deg: f64,
        lat_1_deg: f64,
        lat_2_deg: f64,
        false_easting: f64,
        false_northing: f64,
    ) -> Self {
        let e = ell.e();
        let m = |phi: f64| phi.cos() / (1.0 - e * e * phi.sin().powi(2)).sqrt();
        let t = |phi: f64| {
            let es = e * phi.sin();
            (FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - es) / (1.0 + es)).powf(e / 2.0)
        };
        let (p1, p2, pf) = (
            lat_1_deg.to_radians(),
            lat_2_deg.to_radians(),
            lat_0_deg.to_radians(),
        );
        let n = if (p1 - p2).abs() < 1e-12 {
            p1.sin()
        } else {
            (m(p1).ln() - m(p2).ln()) / (t(p1).ln() - t(p2).ln())
        };
        let big_f = m(p1) / (n * t(p1).powf(n));
        LambertConic {
            a: ell.a,
            e,
            n,
            big_f,
            r_f: ell.a * big_f * t(pf).powf(n),
            lon_0: lon_0_deg,
            false_easting,
            false_northing,
        }
    }

    pub(super) fn t(&self, phi: f64) -> f64 {
        let es = self.e * phi.sin();
        (FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - es) / (1.0 + es)).powf(self.e / 2.0)
    }

    pub fn forward(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        let r = self.a * self.big_f * self.t(lat_deg.to_radians()).powf(self.n);
        let theta = self.n * wrap_deg(lon_deg - self.lon_0).to_radians();
        (
            self.false_easting + r * theta.sin(),
            self.false_northing + self.r_f - r * theta.cos(),
        )
    }

    pub fn inverse(&self, easting: f64, northing: f64) -> (f64, f64) {
        let s = self.n.signum();
        let de = easting - self.false_easting;
        let dn = self.r_f - (northing - self.false_northing);
        let r = s * de.hypot(dn);
        let theta = (s * de).atan2(s * dn);
        let t = (r / (self.a * self.big_f)).powf(1.0 / self.n);
        let mut phi = FRAC_PI_2 - 2.0 * t.atan();
        for _ in 0..30 {
            let es = self.e * phi.sin();
            let next = FRAC_PI_2 - 2.0 * (t * ((1.0 - es) / (1.0 + es)).powf(self.e / 2.0)).atan();
            let done = (next - phi).abs() < 1e-15;
            phi = next;
            if done {
                break;
            }
        }
        (
            phi.to_degrees(),
            wrap_deg(self.lon_0 + (theta / self.n).to_degrees()),
        )
    }
}
