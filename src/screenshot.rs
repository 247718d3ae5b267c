//! F12 saves a picture of the window (panels and all) as a PNG in the data folder's
//! `screenshots/` — for notes and documentation, never into a case folder (a case holds
//! evidence only). The file is written atomically; its path is logged, and printed on stdout
//! when the window reports for automated tests (`open --report-camera`).

use std::path::Path;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

pub fn plugin(app: &mut App) {
    // F12 types nothing, so it works while a text field has the keyboard too.
    app.add_systems(Update, take_screenshot);
}

fn take_screenshot(keys: Res<ButtonInput<KeyCode>>, mut commands: Commands) {
    if !keys.just_pressed(KeyCode::F12) {
        return;
    }
    let Some(dir) = crate::paths::data_dir().map(|d| d.join("screenshots")) else {
        error!("no data folder to save screenshots in: set LOCUS_DATA_DIR or HOME");
        return;
    };
    let name = chrono::Local::now()
        .format("Locus-%Y%m%d-%H%M%S%.3f.png")
        .to_string();
    let path = dir.join(name);
    commands
        .spawn(Screenshot::primary_window())
        .observe(move |c: On<ScreenshotCaptured>| save(&c.image, &path));
}

fn save(image: &Image, path: &Path) {
    let result = (|| -> anyhow::Result<()> {
        let rgb = image
            .clone()
            .try_into_dynamic()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .to_rgb8();
        let mut png = Vec::new();
        rgb.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        locus_core::integrity::fsio::atomic_write(path, &png)?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            info!("screenshot saved to {}", path.display());
            crate::frame_timing::report_line(&format!("screenshot {}", path.display()));
        }
        Err(e) => error!("cannot save the screenshot {}: {e:#}", path.display()),
    }
}
