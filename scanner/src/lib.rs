//! vigil's scanner: walks an AWS Organization, opens a session in every account and runs the
//! collectors (one module per service) over account × region, streaming resource documents.
//! Library code: it never prints, it returns values or sends them on channels.

pub mod aws;
pub mod collect;
pub mod org;
pub mod scan;
pub mod session;

pub use aws::ApiCalls;
pub use collect::{Collector, DocumentSink, ScanEvent, Scope, SERVICES};
pub use scan::{Regions, ScanFailure, ScanOptions, Scanner, DEFAULT_REGIONS};
