//! The log subscriber: `tracing` events on stderr, filtered by `VIGIL_LOG` (or `-v`/`-q`),
//! with two things no filter can undo:
//! - libraries never log below [`LIBRARY_MAX_LEVEL`], because at trace the AWS SDK's HTTP
//!   layer prints raw responses, and with them values the collectors deliberately drop;
//! - messages and fields are printed with their control characters escaped, because they carry
//!   text the scanned accounts control.

use tracing_subscriber::field::MakeExt;
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::{format, FormatFields, MakeWriter};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Prefix of the targets `VIGIL_LOG` controls fully, down to trace: vigil's own crates
/// (`vigil`, `vigil_run`, `vigil_scanner`, `vigil_rules`, `vigil_reports`, `vigil_model`; a
/// target matches a prefix it starts with).
pub const OWN_TARGETS: &str = "vigil";

/// The most verbose level of every other target, whatever `VIGIL_LOG` asks. At trace, the AWS
/// SDK's HTTP layer logs whole requests and responses: `aws_smithy_runtime::client::orchestrator::http`
/// ("read HTTP response body", the raw body), `aws_smithy_runtime::client::orchestrator`
/// (`output_or_error`: the parsed output; "received response from service": status and
/// headers) printed API Gateway stage-variable values, and `aws_sigv4` prints the canonical
/// request with its headers. Their debug lines hold no body (checked against a scan with
/// `VIGIL_LOG=trace` and `VIGIL_LOG=debug`, and in their sources). The cap is the default of
/// every library rather than a list of today's offenders, so that the wire logging of hyper,
/// hyper_util, rustls, lambda_runtime or a future dependency is capped as well.
pub const LIBRARY_MAX_LEVEL: LevelFilter = LevelFilter::DEBUG;

/// HTTP/2 logs its frames at debug, header frames with the request's path: at most info.
pub const H2_MAX_LEVEL: LevelFilter = LevelFilter::INFO;

/// The cap as a filter: vigil's targets pass (their level is `VIGIL_LOG`'s business), every
/// other target up to its cap.
pub fn library_cap() -> Targets {
    Targets::new()
        .with_default(LIBRARY_MAX_LEVEL)
        .with_target("h2", H2_MAX_LEVEL)
        .with_target(OWN_TARGETS, LevelFilter::TRACE)
}

/// Messages and fields with their control characters shown as escapes
/// ([`vigil_reports::text::printable`]): an error message naming an account's resource must not
/// drive the reader's terminal (`ESC ] 52` overwrites the clipboard) or forge log lines.
fn printable_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    format::debug_fn(|w, field, value| {
        let name = field.name();
        if name.starts_with("log.") {
            return Ok(()); // tracing-log's metadata, which the formatter shows itself
        }
        let text = format!("{value:?}");
        let text = vigil_reports::text::printable(&text);
        if name == "message" {
            write!(w, "{text}")
        } else {
            write!(w, "{}={text}", name.trim_start_matches("r#"))
        }
    })
    .delimited(" ")
}

/// The formatting layer: `asked` under [`library_cap`], printable fields, into `writer`.
fn layer<S, W>(asked: EnvFilter, writer: W, ansi: bool) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_target(false)
        .with_ansi(ansi)
        .fmt_fields(printable_fields())
        .with_filter(asked.and(library_cap()))
}

/// Installs the subscriber: `VIGIL_LOG` when set, else `default_filter`, both under
/// [`library_cap`].
pub fn init(default_filter: &str) {
    let asked = EnvFilter::try_from_env("VIGIL_LOG").unwrap_or_else(|_| default_filter.into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::registry()
        .with(layer(asked, std::io::stderr, ansi))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn passes(target: &str, level: Level) -> bool {
        library_cap().would_enable(target, &level)
    }

    /// Log output of `emit` with the filter `asked`, as written.
    fn logged(asked: &str, emit: impl FnOnce()) -> String {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = tracing_subscriber::registry().with(layer(
            EnvFilter::new(asked),
            move || out.clone(),
            false,
        ));
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn account_text_in_log_lines_is_escaped() {
        let name = "api\u{1b}]52;c;cm0gLXJm\u{7}\u{9b}2J\r\nvigil: all clear";
        let text = logged("trace", || {
            tracing::warn!(resource = %name, "GetStages failed for {name}");
            tracing::error!(detail = name, "no access");
        });
        assert_eq!(text.lines().count(), 2, "a forged line:\n{text}");
        assert!(
            !text.contains(['\u{1b}', '\u{9b}', '\u{7}', '\r']),
            "{text:?}"
        );
        assert!(
            text.contains(
                "GetStages failed for api\\x1b]52;c;cm0gLXJm\\x07\\u{9b}2J\\r\\nvigil: all clear"
            ),
            "{text}"
        );
        assert!(text.contains("resource=api\\x1b]52;"), "{text}");
    }

    #[test]
    fn a_library_trace_event_is_dropped_even_when_asked_for() {
        let text = logged(
            "trace,aws_smithy_runtime::client::orchestrator::http=trace",
            || {
                tracing::trace!(target: "aws_smithy_runtime::client::orchestrator::http", "read HTTP response body");
                tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "beginning attempt");
                tracing::trace!(target: "vigil_scanner::collect", "own trace line");
            },
        );
        assert!(!text.contains("read HTTP response body"), "{text}");
        assert!(text.contains("beginning attempt"), "{text}");
        assert!(text.contains("own trace line"), "{text}");
    }

    #[test]
    fn libraries_never_trace_and_vigil_always_may() {
        for t in [
            "aws_smithy_runtime::client::orchestrator::http",
            "aws_smithy_runtime::client::orchestrator",
            "aws_smithy_runtime_api::client::interceptors::context",
            "aws_smithy_http_client::client",
            "aws_sigv4::http_request::sign",
            "hyper::proto::h1::io",
            "hyper_util::client::legacy::client",
            "rustls::client::hs",
            "lambda_runtime",
        ] {
            assert!(!passes(t, Level::TRACE), "{t} may trace");
            assert!(passes(t, Level::DEBUG), "{t} lost debug");
        }
        assert!(!passes("h2::codec::framed_write", Level::DEBUG));
        assert!(passes("h2::codec::framed_write", Level::INFO));
        for t in [
            "vigil",
            "vigil::commands::scan",
            "vigil_run",
            "vigil_scanner::scan",
            "vigil_rules",
            "vigil_reports::table",
        ] {
            assert!(passes(t, Level::TRACE), "{t} cannot trace");
        }
    }
}
