//! The session record's cost: the writer's commit latency and commits a
//! second, plain against encrypted (each entry its own commit, waited for,
//! `synchronous=FULL`, so this is the disk's sync as much as the cipher);
//! and the time to unlock an encrypted record (Argon2id, 64 MiB, three
//! passes, then SQLCipher's first read).
//!
//! `cargo bench --bench journal`; the percentiles are printed after
//! criterion's timings.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use stillpoint::journal::store::{self, ClientRef, Passphrase};
use stillpoint::journal::writer::{Ack, Write, Writer};
use stillpoint::journal::{Entry, EntryKind, NewSession, SessionKind};

const PASSPHRASE: &str = "a calm lake at dusk, for the bench";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stillpoint-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entry(n: i64) -> Entry {
    Entry {
        scene: "spiders.ron".into(),
        at_us: n * 1000,
        wall_ms: n,
        kind: EntryKind::Suds,
        step: Some(1),
        value: Some(n % 101),
        text: "asked for".into(),
        corrects: None,
        id: None,
    }
}

/// Each entry sent alone and waited for until the writer says it is on the
/// disk: the latency of each commit, milliseconds.
fn commit_latencies(record: &Path, passphrase: Option<Passphrase>, n: usize) -> Vec<f64> {
    let encrypt = passphrase.is_some();
    let writer = Writer::start(record.to_path_buf(), passphrase, encrypt).unwrap();
    let acks = writer.from.lock().unwrap();
    let wait_for = |number: u64| loop {
        match acks.recv_timeout(Duration::from_secs(30)) {
            Ok(Ack::Committed(c)) if c >= number => return,
            Ok(_) => {}
            Err(e) => panic!("the writer went quiet: {e}"),
        }
    };
    writer
        .to
        .send((
            1,
            Write::Begin(NewSession {
                client: ClientRef::Alias("bench".into()),
                scene: "spiders.ron".into(),
                title: "The kitchen".into(),
                kind: SessionKind::Exposure,
                started_ms: 0,
                started_at_us: 0,
                steps: vec![("Poster".into(), "A poster.".into())],
            }),
        ))
        .unwrap();
    wait_for(1);
    let mut took = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let number = i + 2;
        let start = Instant::now();
        writer
            .to
            .send((number, Write::Entry(entry(number as i64))))
            .unwrap();
        wait_for(number);
        took.push(start.elapsed().as_secs_f64() * 1e3);
    }
    drop(acks);
    writer.finish();
    took
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[((values.len() - 1) as f64 * q).round() as usize]
}

fn journal(c: &mut Criterion) {
    // Unlocking: a passphrase that has derived no key yet, each time.
    let dir = scratch("unlock");
    let record = dir.join("journal.sqlite3");
    drop(store::open(&record, true, Some(&Passphrase::new(PASSPHRASE.into()))).unwrap());
    let mut group = c.benchmark_group("journal");
    group.sample_size(10);
    group.bench_function("unlock_encrypted_record", |b| {
        b.iter(|| {
            let db = store::open_read(&record, Some(&Passphrase::new(PASSPHRASE.into())))
                .unwrap()
                .unwrap();
            std::hint::black_box(db);
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);

    // Commits, plain against encrypted, 400 each, after 50 to warm up.
    let mut said = Vec::new();
    for (name, passphrase) in [
        ("plain", None),
        ("encrypted", Some(Passphrase::new(PASSPHRASE.into()))),
    ] {
        let dir = scratch(name);
        let record = dir.join("journal.sqlite3");
        let mut took = commit_latencies(&record, passphrase, 450);
        let mut took = took.split_off(50);
        let mean = took.iter().sum::<f64>() / took.len() as f64;
        said.push(format!(
            "{name}: {:.0} commits/s, p50 {:.2} ms, p99 {:.2} ms ({} commits)",
            1e3 / mean,
            quantile(&mut took, 0.5),
            quantile(&mut took, 0.99),
            took.len()
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!(
        "journal writer, each entry its own commit: {}",
        said.join("; ")
    );
}

criterion_group!(benches, journal);
fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
