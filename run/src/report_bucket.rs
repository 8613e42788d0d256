//! The Lambda mode's reports in S3 (`VIGIL_REPORT_BUCKET`): each run's JSON report and HTML
//! posture report under `<prefix><date>/<run id>/`, encrypted with the deployment's KMS key.
//! The keys are chosen before the run starts, so that its SNS messages can link to them.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use vigil_scanner::aws::{aws_error, AwsError};

/// Where one run's reports go.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportLocation {
    pub bucket: String,
    /// `<prefix><YYYY-MM-DD>/<run id>/` (ends with `/`).
    pub key_prefix: String,
    /// The bucket's region (for the console link).
    pub region: String,
    /// The KMS key objects are encrypted with; `None`: the bucket's default encryption.
    pub kms_key: Option<String>,
}

/// The two objects of a run.
pub const JSON_NAME: &str = "report.json";
pub const HTML_NAME: &str = "report.html";

impl ReportLocation {
    /// The location of a run: `prefix` (empty, or ending with `/`), the run's UTC date and id.
    /// Characters of the run id that are not safe in an S3 key become `-`.
    pub fn new(
        bucket: &str,
        prefix: &str,
        date: time::Date,
        run_id: &str,
        region: &str,
        kms_key: Option<String>,
    ) -> ReportLocation {
        let id: String = run_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let mut prefix = prefix.trim_start_matches('/').to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        ReportLocation {
            bucket: bucket.into(),
            key_prefix: format!(
                "{prefix}{:04}-{:02}-{:02}/{id}/",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
            region: region.into(),
            kms_key,
        }
    }

    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.key_prefix)
    }

    /// `s3://bucket/key` of an object.
    pub fn uri(&self, name: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(name))
    }

    /// The object's page in the S3 console.
    pub fn console_url(&self, name: &str) -> String {
        format!(
            "https://{}.console.aws.amazon.com/s3/object/{}?region={}&prefix={}",
            self.region,
            self.bucket,
            self.region,
            self.key(name)
        )
    }

    /// What a notification says about the reports: the HTML report's console page, and both
    /// objects' URIs.
    pub fn links(&self) -> Vec<String> {
        vec![
            self.console_url(HTML_NAME),
            self.uri(HTML_NAME),
            self.uri(JSON_NAME),
        ]
    }

    /// Writes the run's JSON report and HTML posture report.
    pub async fn upload(
        &self,
        result: &vigil_model::ScanResult,
        endpoint: Option<&str>,
    ) -> Result<(), AwsError> {
        use vigil_reports::Reporter;
        let render = |r: &dyn Reporter| {
            let mut out = Vec::new();
            r.write(result, &mut out).map(|_| out)
        };
        let rendered = [
            (
                JSON_NAME,
                "application/json",
                render(&vigil_reports::json::JsonReporter),
            ),
            (
                HTML_NAME,
                "text/html; charset=utf-8",
                render(&vigil_reports::html::HtmlReporter::default()),
            ),
        ];
        let sdk = vigil_scanner::aws::base_config(&self.region, endpoint).await;
        // An emulator's endpoint has no bucket subdomains.
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(endpoint.is_some())
                .build(),
        );
        for (name, content_type, body) in rendered {
            let body = body.map_err(|e| AwsError {
                operation: "Render".into(),
                code: "RenderFailed".into(),
                message: format!("{name}: {e}"),
                status: None,
            })?;
            self.put(&s3, name, content_type, body).await?;
        }
        Ok(())
    }

    /// Writes one object (content type given), encrypted with the KMS key.
    pub async fn put(
        &self,
        s3: &aws_sdk_s3::Client,
        name: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), AwsError> {
        let mut req = s3
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(name))
            .content_type(content_type)
            .body(ByteStream::from(body));
        if let Some(k) = &self.kms_key {
            req = req
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(k)
                .bucket_key_enabled(true);
        }
        req.send()
            .await
            .map(drop)
            .map_err(|e| aws_error("PutObject", &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_per_day_and_run_and_links_name_them() {
        let date = time::Date::from_calendar_date(2026, time::Month::December, 5).unwrap();
        let l = ReportLocation::new(
            "vigil-reports",
            "reports",
            date,
            "5b0c/../x y",
            "eu-west-1",
            None,
        );
        assert_eq!(
            l.key(JSON_NAME),
            "reports/2026-12-05/5b0c-..-x-y/report.json"
        );
        assert_eq!(
            l.links(),
            [
                "https://eu-west-1.console.aws.amazon.com/s3/object/vigil-reports?region=eu-west-1&prefix=reports/2026-12-05/5b0c-..-x-y/report.html",
                "s3://vigil-reports/reports/2026-12-05/5b0c-..-x-y/report.html",
                "s3://vigil-reports/reports/2026-12-05/5b0c-..-x-y/report.json",
            ]
        );
        let bare = ReportLocation::new("b", "", date, "r", "us-east-1", None);
        assert_eq!(bare.key(HTML_NAME), "2026-12-05/r/report.html");
    }
}
