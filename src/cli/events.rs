//! `locus import-events FILE --into CASE`: events from CSV, GeoJSON, KML/KMZ or TimeMap
//! JSON added to a case as one audited, undoable edit. The parsing and every decision about
//! the facts is in `locus_core::events`; this file only wires options, the session and the
//! report.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use locus_core::case::ArchivedFile;
use locus_core::events::{
    ColumnMapping, EventFileError, EventFormat, EventImport, ImportOptions, parse_event_file,
    prepare_import, previously_imported,
};
use serde_json::json;

use crate::cli::UsageError;

#[derive(clap::Args)]
pub struct ImportEventsArgs {
    /// The event file: .csv, .geojson, .kml, .kmz or TimeMap .json.
    file: PathBuf,
    /// The case folder (or its case.json) to add the events to.
    #[arg(long, value_name = "CASE")]
    into: PathBuf,
    /// csv, geojson, kml, kmz or timemap (default: from the extension, then the content).
    #[arg(long)]
    format: Option<String>,
    /// Column (CSV header, GeoJSON/TimeMap property, KML ExtendedData name) with the latitude.
    #[arg(long, value_name = "NAME")]
    lat_column: Option<String>,
    #[arg(long, value_name = "NAME")]
    lon_column: Option<String>,
    /// Column with the date (or date and time).
    #[arg(long, value_name = "NAME")]
    date_column: Option<String>,
    /// Column with the time of day, when separate from the date.
    #[arg(long, value_name = "NAME")]
    time_column: Option<String>,
    /// Column with the end date(-time), for events that span an interval.
    #[arg(long, value_name = "NAME")]
    end_column: Option<String>,
    #[arg(long, value_name = "NAME")]
    title_column: Option<String>,
    #[arg(long, value_name = "NAME")]
    description_column: Option<String>,
    /// Column with source links (several URLs in one cell are each kept).
    #[arg(long, value_name = "NAME")]
    source_column: Option<String>,
    #[arg(long, value_name = "NAME")]
    category_column: Option<String>,
    /// Column with a horizontal uncertainty in metres.
    #[arg(long, value_name = "NAME")]
    uncertainty_column: Option<String>,
    /// DMY, MDY, YMD, or a chrono pattern such as "%d/%m/%Y %H:%M" (default: detected from
    /// the whole column, and said which).
    #[arg(long, value_name = "FORMAT")]
    date_format: Option<String>,
    /// IANA zone for times written without an offset (default: the case's display zone).
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
    /// Import records that repeat an earlier one (same place, time and sources) too, and
    /// allow importing a file this case already has events from.
    #[arg(long)]
    keep_duplicates: bool,
    /// Read and check the file and report, but change nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

pub fn run_import_events(a: ImportEventsArgs) -> Result<()> {
    let format = a
        .format
        .as_deref()
        .map(EventFormat::parse)
        .transpose()
        .map_err(|e| UsageError(format!("--format: {e}")))?;
    let options = ImportOptions {
        format,
        columns: ColumnMapping {
            lat: a.lat_column,
            lon: a.lon_column,
            date: a.date_column,
            time: a.time_column,
            end: a.end_column,
            title: a.title_column,
            description: a.description_column,
            source: a.source_column,
            category: a.category_column,
            uncertainty: a.uncertainty_column,
        },
        date_format: a.date_format,
        time_zone: a.time_zone,
        keep_duplicates: a.keep_duplicates,
    };
    if !a.dry_run {
        super::refuse_bundled_demo(&a.into)?;
    }
    let author = crate::settings::Settings::load().0.effective_author();
    // A dry run only reads: no lock, no session, nothing written (not even a torn log line cut).
    let (session, case) = if a.dry_run {
        (None, locus_core::case::file::load_case(&a.into)?.case)
    } else {
        let (session, _) = super::writing_session(&a.into, "importing")?;
        let case = session.case().clone();
        (Some(session), case)
    };
    let import = match parse_event_file(&a.file, &options, &case.display_time_zone) {
        Ok(i) => i,
        Err(EventFileError::Usage(m)) => return Err(UsageError(m).into()),
        Err(e) => return Err(e.into()),
    };
    let earlier = previously_imported(&case, &import.source_sha256);
    if !earlier.is_empty() && !a.keep_duplicates {
        print_report(&import, a.json, None, a.dry_run);
        bail!(
            "{} (SHA-256 {}) was already imported into this case: {} item(s) ({}{}); nothing was imported (use --keep-duplicates to import it again)",
            import.source_file_name,
            import.source_sha256,
            earlier.len(),
            earlier
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if earlier.len() > 5 { ", …" } else { "" }
        );
    }
    if import.items.is_empty() {
        print_report(&import, a.json, None, a.dry_run);
        bail!(
            "nothing could be imported from {}: {} record(s) read, {} rejected, {} duplicate(s)",
            a.file.display(),
            import.records_read,
            import.rejected.len(),
            import.duplicates.len()
        );
    }
    let Some(mut session) = session else {
        print_report(&import, a.json, None, true);
        return Ok(());
    };
    // Keep the file as imported: a byte-for-byte copy in the case's evidence store, named
    // by every item's import source (checked against the SHA-256 taken while parsing).
    let (edit, archived) = prepare_import(
        &session.loaded.dir,
        session.case(),
        &a.file,
        &import,
        &author,
        Utc::now(),
    )
    .map_err(anyhow::Error::msg)?
    .context("nothing to import")?;
    let ids = added_ids(&edit);
    let had_origin = session.case().origin.is_some();
    session.apply(edit)?;
    session.save()?;
    print_report(
        &import,
        a.json,
        Some((&ids, &archived, &session.loaded.file)),
        false,
    );
    if let (false, Some(o)) = (had_origin || a.json, &session.case().origin) {
        println!(
            "the case had no origin: it is now {:.7}°, {:.7}°, {:.3} m, {}",
            o.lat_deg, o.lon_deg, o.height_m, o.note
        );
    }
    Ok(())
}

fn added_ids(edit: &locus_core::case::edit::Edit) -> Vec<String> {
    match edit {
        locus_core::case::edit::Edit::Batch { edits, .. } => {
            edits.iter().flat_map(added_ids).collect()
        }
        locus_core::case::edit::Edit::AddItem { item, .. } => vec![item.id.clone()],
        _ => vec![],
    }
}

fn print_report(
    import: &EventImport,
    json_out: bool,
    done: Option<(&[String], &ArchivedFile, &Path)>,
    dry_run: bool,
) {
    if json_out {
        let mut v = import.report_json();
        v["dry_run"] = json!(dry_run);
        v["imported_ids"] = json!(done.map(|d| d.0.to_vec()).unwrap_or_default());
        v["archived_file"] = json!(done.map(|d| json!({"path": d.1.path, "sha256": d.1.sha256})));
        println!(
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string())
        );
        return;
    }
    print!("{}", locus_core::events::report_text(&import.report_json()));
    match done {
        Some((ids, archived, case_file)) => {
            let shown: Vec<&str> = ids.iter().take(10).map(String::as_str).collect();
            println!(
                "imported {} item(s) as unverified into {} ({}{}); one edit, undoable; the file is archived at {}",
                ids.len(),
                case_file.display(),
                shown.join(", "),
                if ids.len() > shown.len() { ", …" } else { "" },
                archived.path
            );
        }
        None if dry_run => println!("dry run: nothing was changed"),
        None => {}
    }
}
