//! The Lambda mode's test harness: a real Lambda Runtime API emulator (`cargo lambda watch
//! --only-lambda-apis`, PyPI cargo-lambda in the venv) on 127.0.0.1, the vigil binary running
//! as the function against it (as the Lambda service starts `bootstrap`), and `cargo lambda
//! invoke` to send events.

use super::TempDir;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Killed(pub Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn cargo_lambda() -> std::path::PathBuf {
    super::venv().join("bin/cargo-lambda")
}

/// The Runtime API emulator plus the function process.
pub struct Function {
    port: u16,
    _emulator: Killed,
    pub function: Killed,
    log: std::path::PathBuf,
}

impl Function {
    pub fn start(tmp: &TempDir, env: &[(&str, String)]) -> Function {
        let port = super::free_port();
        let emu_log = std::fs::File::create(tmp.path("emulator.log")).unwrap();
        let emulator = Command::new(cargo_lambda())
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(super::root())
            .stdout(Stdio::from(emu_log.try_clone().unwrap()))
            .stderr(Stdio::from(emu_log))
            .spawn()
            .expect("starting cargo lambda watch");
        let emulator = Killed(emulator);
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the Runtime API emulator did not start: {}",
                std::fs::read_to_string(tmp.path("emulator.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Exactly the variables the emulator says a function needs, plus the configuration.
        let log = tmp.path("function.log");
        let f = std::fs::File::create(&log).unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::from(f.try_clone().unwrap()))
            .stderr(Stdio::from(f));
        for (k, v) in env {
            c.env(k, v);
        }
        let function = Killed(c.spawn().expect("starting the function"));
        Function {
            port,
            _emulator: emulator,
            function,
            log,
        }
    }

    /// `cargo lambda invoke` with `event`; returns the response (or the error) as JSON.
    pub fn invoke(&self, tmp: &TempDir, event: &Value) -> (bool, Value) {
        let file = tmp.path("event.json");
        std::fs::write(&file, serde_json::to_vec(event).unwrap()).unwrap();
        let out = Command::new(cargo_lambda())
            .args(["lambda", "invoke", "_", "--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &self.port.to_string(), "--data-file"])
            .arg(&file)
            .args(["--output-format", "json"])
            .output()
            .expect("cargo lambda invoke");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        if out.status.success() {
            let v = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
                panic!(
                    "response is not JSON ({e}): {stdout}\n{stderr}\n{}",
                    self.log()
                )
            });
            (true, v)
        } else {
            (false, Value::String(format!("{stdout}\n{stderr}")))
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
