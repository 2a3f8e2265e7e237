//! The operator commands answer `--help` with their usage and exit 0, without a database or any
//! configuration; a wrong command is refused with the usage and exit 2.
use std::process::{Command, Output};

fn ejia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ejia"))
        .args(args)
        // Nothing to serve from: `--help` must not need it.
        .env_remove("LEPTOS_OUTPUT_NAME")
        .env("EJIA_DATA_DIR", "/nonexistent/ejia-cli-test")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("the ejia binary runs")
}

fn help(args: &[&str], expected: &[&str]) {
    let out = ejia(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}{stdout}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Usage: ejia"), "{args:?} prints its usage:\n{stdout}");
    for text in expected {
        assert!(stdout.contains(text), "{args:?} mentions {text}:\n{stdout}");
    }
}

#[test]
fn top_level_help_lists_the_commands() {
    help(&["--help"], &["serve", "channel", "admin", "keys", "bench"]);
    help(&["help"], &["serve", "channel", "admin", "keys", "bench"]);
}

#[test]
fn serve_help() {
    help(&["serve", "--help"], &["Usage: ejia serve"]);
}

#[test]
fn channel_help() {
    help(&["channel", "--help"], &["add"]);
    help(&["channel", "add", "--help"], &["Usage: ejia channel add <UNION_CODE> <NAME>..."]);
}

#[test]
fn admin_help() {
    help(&["admin", "--help"], &["add"]);
    help(
        &["admin", "add", "--help"],
        &["Usage: ejia admin add [OPTIONS] <UNION_CODE> <ROLES> <USERNAME>", "--phone <PHONE>", "standard input", "city_admin"],
    );
}

#[test]
fn keys_help() {
    help(&["keys", "--help"], &["new", "rotate", "status"]);
    help(&["keys", "new", "--help"], &["--alg <ALG>", "xchacha", "sm4", "--id <ID>"]);
    help(&["keys", "rotate", "--help"], &["--batch <BATCH>", "--max-batches <MAX_BATCHES>"]);
}

#[test]
fn bench_help() {
    help(&["bench", "--help"], &["Usage: ejia bench", "--db", "--n <N>", "--concurrency <C>", "sqlite", "postgres"]);
}

#[test]
fn backup_help() {
    help(&["--help"], &["backup", "restore"]);
    help(&["backup", "--help"], &["Usage: ejia backup <FILE>", "never overwritten", "EJIA_DATA_KEY"]);
    help(&["restore", "--help"], &["Usage: ejia restore <FILE>", "empty database", "migrates", "cut short"]);
}

#[test]
fn a_wrong_command_is_refused_with_a_pointer_to_the_usage() {
    for args in [
        &["nonsense"][..],
        &["admin", "add", "340300"],
        &["bench", "--db", "oracle"],
        &["channel", "add", "340302"],
        &["backup"],
        &["restore"],
        &["keys", "new", "--alg", "sm5"],
    ] {
        let out = ejia(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("error:") && stderr.contains("--help"), "{args:?}: {stderr}");
    }
}
