//! The site's file names as pages link them: content-hashed, so a URL changes exactly when its
//! file does and browsers may keep every file for good.

use leptos::prelude::LeptosOptions;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// `/<file>?v=<hash>` for a file of the site root: its URL changes exactly when its content
/// does, so browsers may keep it for good. The hash is taken once per file and process.
pub fn versioned(site_root: &str, file: &str) -> String {
    static SEEN: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Mutex::default);
    let known = seen.lock().ok().and_then(|m| m.get(file).cloned());
    let hash = known.unwrap_or_else(|| {
        // A missing file gets no version: the browser revalidates it instead.
        let hash = std::fs::read(std::path::Path::new(site_root).join(file))
            .map(|bytes| hex_prefix(&Sha256::digest(&bytes)))
            .unwrap_or_default();
        if let Ok(mut m) = seen.lock() {
            m.insert(file.to_string(), hash.clone());
        }
        hash
    });
    if hash.is_empty() {
        format!("/{file}")
    } else {
        format!("/{file}?v={hash}")
    }
}

fn hex_prefix(digest: &[u8]) -> String {
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The stylesheet's URL: cargo-leptos's hashed name when the build hashed files (its hash file
/// sits beside the binary, where Leptos's own `HashedStylesheet` looks), else the plain one.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let name = &options.output_name;
    let pkg = &options.site_pkg_dir;
    let hash = options
        .hash_files
        .then(|| {
            let exe = std::env::current_exe().ok()?;
            let text =
                std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok()?;
            text.lines().find_map(|l| {
                let (kind, hash) = l.split_once(':')?;
                (kind.trim() == "css").then(|| hash.trim().to_string())
            })
        })
        .flatten();
    match hash {
        Some(h) => format!("/{pkg}/{name}.{h}.css"),
        None => format!("/{pkg}/{name}.css"),
    }
}
