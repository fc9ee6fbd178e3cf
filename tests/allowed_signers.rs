//! Our allowed-signers parser agrees with `ssh-keygen -Y verify`, the tool
//! git itself calls, on which principals and namespaces a line allows.

mod common;

use std::path::Path;
use std::process::Command;

use aims::history::allowed_signers::{self, Validity};

fn ssh(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new("ssh-keygen")
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ssh-keygen runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or_default())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn principals_namespaces_and_validity_agree_with_ssh_keygen() {
    if !common::have_tools(&["ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = ssh(
        dir,
        &["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", "key"],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(dir.join("key.pub")).unwrap();
    let key: Vec<&str> = public.split_whitespace().take(2).collect();
    let key = key.join(" ");
    let payload = b"Aims-Document: POL-001\n";
    for namespace in ["git", "file"] {
        let out = ssh(
            dir,
            &["-Y", "sign", "-n", namespace, "-f", "key"],
            Some(payload),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(dir.join(format!("{namespace}.sig")), &out.stdout).unwrap();
    }

    let lines = [
        format!("dana@acme.example {key}"),
        format!("\"alice@acme.example,bob@acme.example\" {key} two people"),
        format!("*@acme.example,!mallory@acme.example {key}"),
        format!("?ana@acme.example namespaces=\"git\" {key}"),
        format!("dana@acme.example namespaces=\"file,ssh\" {key}"),
        format!("dana@acme.example valid-before=\"20200101\" {key}"),
        format!("dana@acme.example valid-after=\"29990101Z\" {key}"),
        format!("dana@acme.example valid-after=\"20200101\",valid-before=\"29990101\" {key}"),
    ];
    let principals = [
        "dana@acme.example",
        "bob@acme.example",
        "mallory@acme.example",
        "dana@evil.example",
        "Dana@acme.example",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut compared = 0;
    for line in &lines {
        std::fs::write(dir.join("allowed"), format!("{line}\n")).unwrap();
        let (signers, errors) = allowed_signers::parse(&format!("{line}\n"));
        assert_eq!(errors, [], "{line}");
        let signer = &signers[0];
        for principal in principals {
            for namespace in ["git", "file"] {
                let sig = format!("{namespace}.sig");
                let theirs = ssh(
                    dir,
                    &[
                        "-Y", "verify", "-f", "allowed", "-I", principal, "-n", namespace, "-s",
                        &sig,
                    ],
                    Some(payload),
                )
                .status
                .success();
                let ours = signer.matches_principal(principal)
                    && signer.allows_namespace(namespace)
                    && signer.validity_at(now) == Validity::Valid;
                assert_eq!(ours, theirs, "{line} / {principal} / {namespace}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, lines.len() * principals.len() * 2);
}
