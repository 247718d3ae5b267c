//! Transverse Mercator (and UTM) by Krüger's series to sixth order in n, as given by Karney
//! (2011, "Transverse Mercator with an accuracy of a few nanometres", J. Geodesy 85), with
//! its inverse.

use super::Ellipsoid;

/// The UTM projection of a zone (k0 = 0.9996, false easting 500 000 m, false northing 0 or
/// 10 000 000 m in the south).
pub fn utm(zone: u8, south: bool, ellipsoid: Ellipsoid) -> TransverseMercator {
    TransverseMercator::new(
        ellipsoid,
        0.0,
        zone as f64 * 6.0 - 183.0,
        0.9996,
        500_000.0,
        if south { 10_000_000.0 } else { 0.0 },
    )
}

/// Transverse Mercator by Krüger's series to order n⁶ (Karney 2011, eqs. 35–36), in metres.
#[derive(Debug, Clone, Copy)]
pub struct TransverseMercator {
    e: f64,
    e2m: f64,
    /// Rectifying radius times k0.
    k0a: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
    lon_0: f64,
    /// ξ of the latitude of natural origin.
    xi_0: f64,
    false_easting: f64,
    false_northing: f64,
}

impl TransverseMercator {
    pub fn new(
        ell: Ellipsoid,
        lat_0_deg: f64,
        lon_0_deg: f64,
        k0: f64,
        false_easting: f64,
        false_northing: f64,
    ) -> Self {
        let n = ell.f / (2.0 - ell.f);
        let (n2, n3) = (n * n, n * n * n);
        let (n4, n5, n6) = (n3 * n, n3 * n2, n3 * n3);
        let big_a = ell.a / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
        let alpha = [
            n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0
                + 7891.0 * n6 / 37800.0,
            13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0
                - 1983433.0 * n6 / 1935360.0,
            61.0 * n3 / 240.0 - 103.0 * n4 / 140.0
                + 15061.0 * n5 / 26880.0
                + 167603.0 * n6 / 181440.0,
            49561.0 * n4 / 161280.0 - 179.0 * n5 / 168.0 + 6601661.0 * n6 / 7257600.0,
            34729.0 * n5 / 80640.0 - 3418889.0 * n6 / 1995840.0,
            212378941.0 * n6 / 319334400.0,
        ];
        let beta = [
            n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0
                + 96199.0 * n6 / 604800.0,
            n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0
                - 1118711.0 * n6 / 3870720.0,
            17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
            4397.0 * n4 / 161280.0 - 11.0 * n5 / 504.0 - 830251.0 * n6 / 7257600.0,
            4583.0 * n5 / 161280.0 - 108847.0 * n6 / 3991680.0,
            20648693.0 * n6 / 638668800.0,
        ];
        let mut tm = TransverseMercator {
            e: ell.e(),
            e2m: 1.0 - ell.e2(),
            k0a: k0 * big_a,
            alpha,
            beta,
            lon_0: lon_0_deg,
            xi_0: 0.0,
            false_easting,
            false_northing,
        };
        tm.xi_0 = tm.xi_eta(lat_0_deg, lon_0_deg).0;
        tm
    }

    /// Gauss–Krüger ξ, η (dimensionless) of a geodetic position.
    fn xi_eta(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        let lam = wrap_deg(lon_deg - self.lon_0).to_radians();
        let taup = taupf(lat_deg.to_radians().tan(), self.e);
        let (sl, cl) = lam.sin_cos();
        let xip = taup.atan2(cl);
        let etap = (sl / taup.hypot(cl)).asinh();
        let (mut xi, mut eta) = (xip, etap);
        for (j, a) in self.alpha.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi += a * (k * xip).sin() * (k * etap).cosh();
            eta += a * (k * xip).cos() * (k * etap).sinh();
        }
        (xi, eta)
    }

    /// Latitude, longitude (degrees) to easting, northing (metres).
    pub fn forward(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        let (xi, eta) = self.xi_eta(lat_deg, lon_deg);
        (
            self.false_easting + self.k0a * eta,
            self.false_northing + self.k0a * (xi - self.xi_0),
        )
    }

    /// Easting, northing (metres) to latitude, longitude (degrees).
    pub fn inverse(&self, easting: f64, northing: f64) -> (f64, f64) {
        let xi = (northing - self.false_northing) / self.k0a + self.xi_0;
        let eta = (easting - self.false_easting) / self.k0a;
        let (mut xip, mut etap) = (xi, eta);
        for (j, b) in self.beta.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xip -= b * (k * xi).sin() * (k * eta).cosh();
            etap -= b * (k * xi).cos() * (k * eta).sinh();
        }
        let (sx, cx) = xip.sin_cos();
        let sh = etap.sinh();
        let taup = sx / sh.hypot(cx);
        let lam = sh.atan2(cx);
        let tau = tauf(taup, self.e, self.e2m);
        (
            tau.atan().to_degrees(),
            wrap_deg(self.lon_0 + lam.to_degrees()),
        )
    }
}

/// e·atanh(e·x).
fn eatanhe(x: f64, e: f64) -> f64 {
    e * (e * x).atanh()
}

/// tan of the conformal latitude from tan of the geodetic latitude (Karney 2011, eq. 7–9).
fn taupf(tau: f64, e: f64) -> f64 {
    let tau1 = 1f64.hypot(tau);
    let sig = eatanhe(tau / tau1, e).sinh();
    1f64.hypot(sig) * tau - sig * tau1
}

/// Inverse of [`taupf`] by Newton's method (Karney 2011, eqs. 19–21).
fn tauf(taup: f64, e: f64, e2m: f64) -> f64 {
    let mut tau = taup / e2m;
    let stol = 1e-15 * taup.abs().max(1.0);
    for _ in 0..10 {
        let taupa = taupf(tau, e);
        let dtau =
            (taup - taupa) * (1.0 + e2m * tau * tau) / (e2m * 1f64.hypot(tau) * 1f64.hypot(taupa));
        tau += dtau;
        if dtau.abs() < stol {
            break;
        }
    }
    tau
}

/// An angle in degrees brought into −180..180.
pub(super) fn wrap_deg(d: f64) -> f64 {
    let r = (d + 180.0).rem_euclid(360.0) - 180.0;
    if r == -180.0 && d > 0.0 { 180.0 } else { r }
}
