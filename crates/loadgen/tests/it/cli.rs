use clap::Parser;
use secrecy::SecretString;
use slbot_loadgen::cli::{execute, Args};
use slbot_loadgen::LoadgenError;

fn args(extra: &[&str]) -> Args {
    let mut argv = vec![
        "slbot-loadgen",
        "--url",
        "http://127.0.0.1:9/",
        "--rate",
        "500",
        "--duration-secs",
        "1",
        "--scenario",
        "token-api",
    ];
    argv.extend_from_slice(extra);
    Args::try_parse_from(argv).unwrap()
}

#[test]
fn the_command_line_definition_is_consistent() {
    use clap::CommandFactory;
    Args::command().debug_assert();
}

#[test]
fn the_secret_variable_defaults_by_scenario_and_can_be_named() {
    assert_eq!(args(&[]).secret_env(), "SLBOT_BACKEND_SECRET");
    assert_eq!(
        args(&["--scenario", "webex-webhook"]).secret_env(),
        "SLBOT_WEBHOOK_SECRET"
    );
    assert_eq!(
        args(&["--secret-env", "MY_SECRET"]).secret_env(),
        "MY_SECRET"
    );
}

#[test]
fn bad_arguments_are_refused_by_name_before_any_request() {
    let secret = || SecretString::from("s");
    let cases: [(&[&str], &str); 4] = [
        (&["--url", "ftp://x/"], "--url"),
        (&["--rate", "0"], "--rate"),
        (&["--people", "0"], "--people"),
        (&["--warmup-secs=-1"], "--warmup-secs"),
    ];
    for (extra, named) in cases {
        let err = args(extra).prepare(secret()).err().unwrap();
        assert_eq!(err.exit_code(), 2, "{extra:?}");
        assert!(err.to_string().contains(named), "{extra:?}: {err}");
    }
    assert!(Args::try_parse_from(["slbot-loadgen", "--version", "v3"]).is_err());
}

#[tokio::test]
async fn an_unset_secret_variable_is_named_and_nothing_runs() {
    let err = execute(&args(&["--secret-env", "SLBOT_LOADGEN_TEST_SURELY_UNSET"]))
        .await
        .unwrap_err();
    assert!(matches!(err, LoadgenError::MissingSecret { .. }), "{err:?}");
    assert!(err.to_string().contains("SLBOT_LOADGEN_TEST_SURELY_UNSET"));
}
