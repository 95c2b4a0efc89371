//! Host probes (the filesystem holding a path) shared by the disk check and the host sampler:
//! a leaf below `health` and the background jobs.

use crate::latency::round2;
use std::path::Path;

/// Size of the filesystem that holds a path.
#[derive(Debug, Clone)]
pub struct DiskSpace {
    pub path: String,
    pub mount_point: String,
    pub total: u64,
    pub available: u64,
}

impl DiskSpace {
    pub fn used_pct(&self) -> f64 {
        round2((self.total - self.available.min(self.total)) as f64 * 100.0 / self.total as f64)
    }
}

/// Finds the filesystem holding `path` (the mount point that is its longest prefix).
pub fn disk_space(path: &Path) -> Result<DiskSpace, String> {
    let canonical = std::fs::canonicalize(path)
        .map_err(|e| format!("path {} is not accessible: {e}", path.display()))?;
    let disks = sysinfo::Disks::new_with_refreshed_list();
    let d = disks
        .list()
        .iter()
        .filter(|d| canonical.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .ok_or_else(|| format!("no mounted filesystem holds {}", canonical.display()))?;
    if d.total_space() == 0 {
        return Err("filesystem reports zero size".to_string());
    }
    Ok(DiskSpace {
        path: canonical.display().to_string(),
        mount_point: d.mount_point().display().to_string(),
        total: d.total_space(),
        available: d.available_space(),
    })
}
