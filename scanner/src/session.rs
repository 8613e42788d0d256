//! Account sessions: the caller's own credentials for the caller's account, an assumed audit
//! role for every other account. Assumed credentials are cached and renewed before expiry, so
//! scans longer than the role session keep working.

use crate::aws::{aws_error, AwsError};
use aws_config::SdkConfig;
use aws_credential_types::provider::{
    error::CredentialsError, future, ProvideCredentials, SharedCredentialsProvider,
};
use aws_credential_types::Credentials;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// Renew assumed credentials this long before they expire.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// How vigil reaches member accounts.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    pub role_name: String,
    pub external_id: Option<String>,
    /// Recognisable in CloudTrail: `vigil-<run id>`.
    pub session_name: String,
}

/// Credentials from `sts:AssumeRole`, cached and renewed.
#[derive(Debug)]
struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    spec: RoleSpec,
    cached: Mutex<Option<Credentials>>,
}

impl AssumedRole {
    async fn assume(&self) -> Result<Credentials, AwsError> {
        let mut req = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.spec.session_name)
            .duration_seconds(3600);
        if let Some(id) = &self.spec.external_id {
            req = req.external_id(id);
        }
        let out = req.send().await.map_err(|e| aws_error("AssumeRole", &e))?;
        let c = out.credentials().ok_or_else(|| AwsError {
            operation: "AssumeRole".into(),
            code: "NoCredentials".into(),
            message: "AssumeRole returned no credentials".into(),
            status: None,
        })?;
        let expiry = SystemTime::try_from(*c.expiration()).ok();
        Ok(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "vigil-assume-role",
        ))
    }

    async fn current(&self) -> Result<Credentials, AwsError> {
        let mut guard = self.cached.lock().await;
        if let Some(c) = guard.as_ref() {
            let fresh = c
                .expiry()
                .is_none_or(|exp| exp > SystemTime::now() + RENEW_BEFORE);
            if fresh {
                return Ok(c.clone());
            }
        }
        let c = self.assume().await?;
        *guard = Some(c.clone());
        Ok(c)
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.current()
                .await
                .map_err(|e| CredentialsError::provider_error(e.to_string()))
        })
    }
}

/// An account's credentials; SDK configs for any region derive from it.
#[derive(Debug, Clone)]
pub struct AccountSession {
    pub account_id: String,
    config: SdkConfig,
}

impl AccountSession {
    /// The caller's own account: its credentials as they are.
    pub fn caller(account_id: &str, config: &SdkConfig) -> Self {
        AccountSession {
            account_id: account_id.to_string(),
            config: config.clone(),
        }
    }

    /// Assumes `arn:aws:iam::<account>:role/<role_name>` once, eagerly, so that a denial is
    /// reported for this account before any collector runs.
    pub async fn assume(
        account_id: &str,
        caller: &SdkConfig,
        spec: &RoleSpec,
        api_calls: &crate::aws::ApiCalls,
    ) -> Result<Self, AwsError> {
        let role_arn = format!("arn:aws:iam::{account_id}:role/{}", spec.role_name);
        let provider = AssumedRole {
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(caller)
                    .interceptor(api_calls.clone())
                    .build(),
            ),
            role_arn,
            spec: spec.clone(),
            cached: Mutex::new(None),
        };
        provider.current().await?;
        let config = caller
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        Ok(AccountSession {
            account_id: account_id.to_string(),
            config,
        })
    }

    /// The session's SDK configuration (its home region).
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    /// SDK configuration for one region of this account.
    pub fn config_for(&self, region: &str) -> SdkConfig {
        crate::aws::in_region(&self.config, region)
    }
}
