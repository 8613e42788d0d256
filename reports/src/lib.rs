//! vigil's reports: one module per output format, all writing the same [`ScanResult`], and
//! the text of SNS messages. Pure: no AWS SDK, no runtime; they depend on `vigil-model` only.

pub mod asff;
pub mod csv;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod ocsf;
pub mod sarif;
pub mod sns;
pub mod table;
#[cfg(test)]
mod test_support;
pub mod text;

use std::io::Write;

pub use vigil_model::{ChangeCounts, ScanResult, Summary, SuppressionReport, GLOBAL};

/// An output format.
pub trait Reporter {
    fn write(&self, result: &ScanResult, out: &mut dyn Write) -> std::io::Result<()>;
}
