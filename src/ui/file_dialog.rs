//! The system's native file and folder dialogs (rfd, asynchronous: the frame never waits for
//! them). Every path they give can also be typed, so the app works where no dialog portal is
//! available.

use std::path::PathBuf;

use bevy::tasks::{IoTaskPool, Task, block_on, poll_once};

/// The model formats Locus reads, for file dialogs.
pub const MODEL_EXTENSIONS: [&str; 6] = ["glb", "gltf", "obj", "ply", "las", "laz"];

/// One dialog at a time, polled each frame.
#[derive(Default)]
pub struct FileDialog {
    task: Option<Task<Option<Vec<PathBuf>>>>,
}

/// What a dialog is asked for.
#[derive(Clone, Copy)]
pub enum Pick {
    Folder,
    /// One file, offered by a named filter of extensions.
    File(&'static str, &'static [&'static str]),
    Files(&'static str, &'static [&'static str]),
}

impl FileDialog {
    pub fn open(&mut self, title: &str, pick: Pick) {
        let mut d = rfd::AsyncFileDialog::new().set_title(title);
        if let Pick::File(name, ext) | Pick::Files(name, ext) = pick {
            d = d.add_filter(name, ext);
        }
        self.task = Some(IoTaskPool::get().spawn(async move {
            let one = |h: rfd::FileHandle| vec![h.path().to_path_buf()];
            match pick {
                Pick::Folder => d.pick_folder().await.map(one),
                Pick::File(..) => d.pick_file().await.map(one),
                Pick::Files(..) => d
                    .pick_files()
                    .await
                    .map(|hs| hs.iter().map(|h| h.path().to_path_buf()).collect()),
            }
        }));
    }

    pub fn busy(&self) -> bool {
        self.task.is_some()
    }

    /// `Some` once the dialog is closed: the chosen paths (empty when none was chosen, or no
    /// dialog could be shown here).
    pub fn poll(&mut self) -> Option<Vec<PathBuf>> {
        let task = self.task.as_mut()?;
        let result = block_on(poll_once(task))?;
        self.task = None;
        Some(result.unwrap_or_default())
    }
}
