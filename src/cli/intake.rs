//! `locus new` (a case folder from nothing) and `locus add-model` (an investigator's own scans
//! into it). The reading, copying, hashing and placing is `locus_core::intake`; this file
//! wires the options, the editing session and what is printed.

use std::path::PathBuf;

use anyhow::Result;
use chrono::Utc;
use locus_core::case::{Capture, Origin};
use locus_core::geo::geodesy::Geodetic;
use locus_core::intake::IntakeError;
use locus_core::intake::models::{ModelOptions, PlaceAs, Store, add_checked, check_model};
use locus_core::intake::new_case::{NewCase, create_case};
use locus_core::progress::Progress;
use locus_core::time::parse_time_zone;

use super::{UsageError, parse_lat_lon};

#[derive(clap::Args, Debug, Clone)]
pub struct NewArgs {
    /// The folder to create (or an empty one to use).
    dir: PathBuf,
    #[arg(long)]
    title: String,
    /// The case's origin, which defines its local east/north/up frame: LAT,LON or LAT,LON,H
    /// (degrees, degrees, ellipsoidal metres). Without it, the first georeferenced model sets
    /// it at its centre.
    #[arg(long, value_name = "LAT,LON[,H]", allow_hyphen_values = true)]
    origin: Option<String>,
    /// IANA time zone in which times are shown (stored times are UTC).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    time_zone: String,
    /// A notice shown wherever the case is shown, e.g. "Exercise — fictional events".
    #[arg(long, value_name = "TEXT")]
    notice: Option<String>,
    #[arg(long, value_name = "TEXT", default_value = "")]
    description: String,
}

pub fn run_new(a: NewArgs) -> Result<()> {
    if a.title.trim().is_empty() {
        return Err(UsageError("--title must not be empty".into()).into());
    }
    parse_time_zone(&a.time_zone).map_err(|e| UsageError(format!("--time-zone: {e}")))?;
    let origin = match &a.origin {
        Some(arg) => {
            let (lat, lon, h) = parse_lat_lon(arg, "--origin")?;
            Some(Origin {
                note: "given when the case was created".into(),
                ..Origin::at(Geodetic::new(lat, lon, h.unwrap_or(0.0)))
            })
        }
        None => None,
    };
    let author = crate::settings::Settings::load().0.effective_author();
    let new = NewCase {
        title: a.title.trim().to_string(),
        description: a.description,
        notice: a.notice.filter(|n| !n.trim().is_empty()),
        display_time_zone: a.time_zone,
        origin,
    };
    let loaded = create_case(&a.dir, &new, &author, Utc::now())?;
    println!(
        "created the case {:?}: {}",
        loaded.case.title,
        loaded.file.display()
    );
    match &loaded.case.origin {
        Some(o) => println!(
            "origin {:.7}°, {:.7}°, {:.3} m",
            o.lat_deg, o.lon_deg, o.height_m
        ),
        None => println!("no origin yet: the first georeferenced model will set it at its centre"),
    }
    println!("times shown in {}", loaded.case.display_time_zone);
    Ok(())
}

#[derive(clap::Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("place").args(["epsg", "offset", "as_is"])))]
#[command(group(clap::ArgGroup::new("store").args(["copy", "reference"])))]
pub struct AddModelArgs {
    /// The case folder (or its case.json).
    case: PathBuf,
    /// Model files: glTF/GLB, OBJ, PLY, LAS/LAZ. Each becomes one undoable edit.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The files' coordinates are in this CRS (e.g. 32633 for UTM 33N). Default: the CRS a
    /// LAS/LAZ file declares, else as is.
    #[arg(long, value_name = "CODE")]
    epsg: Option<u32>,
    /// Case ENU = the file's coordinates + E,N,U metres.
    #[arg(long, value_name = "E,N,U", allow_hyphen_values = true)]
    offset: Option<String>,
    /// The files' coordinates are case ENU metres.
    #[arg(long)]
    as_is: bool,
    /// Copy the files (and every file they reference) into the case's models/ folder
    /// (the default).
    #[arg(long)]
    copy: bool,
    /// Keep a file that is already inside the case folder where it is (hashed, not copied).
    #[arg(long)]
    reference: bool,
    /// Stated accuracy of the geometry, metres (1 sigma).
    #[arg(long, value_name = "M")]
    accuracy: Option<f64>,
    /// The tool that made the model (e.g. "OpenDroneMap 3.5").
    #[arg(long, value_name = "T")]
    capture_tool: Option<String>,
    /// When the data was captured (e.g. 2025-06-14).
    #[arg(long, value_name = "D")]
    capture_date: Option<String>,
    /// Who captured it.
    #[arg(long, value_name = "O")]
    operator: Option<String>,
}

impl AddModelArgs {
    fn options(&self) -> Result<ModelOptions> {
        let place = if let Some(code) = self.epsg {
            PlaceAs::Epsg(code)
        } else if let Some(o) = &self.offset {
            let v: Vec<f64> = o
                .split(',')
                .map(|p| p.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| UsageError(format!("--offset {o:?}: expected E,N,U in metres")))?;
            let [e, n, u] = v[..] else {
                return Err(UsageError(format!("--offset {o:?}: expected E,N,U in metres")).into());
            };
            PlaceAs::Offset([e, n, u])
        } else if self.as_is {
            PlaceAs::AsIs
        } else {
            PlaceAs::Declared
        };
        if let Some(a) = self.accuracy
            && !(a.is_finite() && a > 0.0)
        {
            return Err(UsageError("--accuracy must be a positive number of metres".into()).into());
        }
        let text = |v: &Option<String>| v.clone().unwrap_or_default().trim().to_string();
        Ok(ModelOptions {
            place,
            store: if self.reference {
                Store::Reference
            } else {
                Store::Copy
            },
            accuracy_m: self.accuracy,
            capture: Capture {
                tool: text(&self.capture_tool),
                date: text(&self.capture_date),
                operator: text(&self.operator),
            },
            title: None,
        })
    }
}

pub fn run_add_model(a: AddModelArgs) -> Result<()> {
    let options = a.options()?;
    super::refuse_bundled_demo(&a.case)?;
    let (mut session, author) = super::writing_session(&a.case, "adding models")?;
    let progress = Progress::default();
    // Every file is read in full before any is copied: one that cannot be read stops it all.
    let mut checked = Vec::new();
    for f in &a.files {
        checked.push(check_model(f, &progress).map_err(refused)?);
    }
    for c in &checked {
        let prepared = add_checked(
            &session.loaded.dir,
            session.case(),
            c,
            &options,
            &author,
            Utc::now(),
            &progress,
        )
        .map_err(refused)?;
        if let Err(e) = session.apply(prepared.edit.clone()) {
            prepared.discard();
            return Err(e.into());
        }
        session.save()?;
        let m = &prepared.model;
        println!(
            "added model {} ({}), {} bytes, SHA-256 {}",
            m.id,
            m.path,
            m.size_bytes.unwrap_or(0),
            m.sha256.as_deref().unwrap_or("")
        );
        for f in &m.companions {
            println!(
                "  with {} ({} bytes, SHA-256 {})",
                f.path, f.size_bytes, f.sha256
            );
        }
        println!("  placed {}", m.placement.method_label());
        if let Some(o) = &prepared.origin {
            println!(
                "  the case's origin is now {:.7}°, {:.7}°, {:.3} m: {}",
                o.lat_deg, o.lon_deg, o.height_m, o.note
            );
        }
        for w in &prepared.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(())
}

fn refused(e: IntakeError) -> anyhow::Error {
    anyhow::anyhow!(e)
}
