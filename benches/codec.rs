//! Criterion benchmarks of the codec path (ETF terms, distribution frames) against plain eetf 0.12, and of the handshake.
//!
//! `cargo bench --bench codec`. The payloads are the ones `benches/beam.rs`
//! sends between nodes. "erlnode" is our path (`proto::etf`, which checks
//! every byte of peer input before building a term, and `proto::control`);
//! "eetf" is `eetf::Term::decode` / `encode` straight on the same bytes.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use eetf::{Pid, Term};
use erlnode::proto::control::{Control, decode_frame, encode_frame};
use erlnode::proto::etf;
use erlnode::proto::flags::DistFlags;
use erlnode::proto::handshake::{Accepted, Acceptor, HandshakeConfig, Initiator, Status, Step};
use erlnode::term;
use std::hint::black_box;
use std::time::Duration;

fn payloads() -> Vec<(&'static str, Term)> {
    vec![
        ("int", term::int(42)),
        (
            "tuple5",
            term::tuple(vec![
                term::atom("ok"),
                term::int(123_456),
                Term::Float(eetf::Float { value: 1234.5678 }),
                term::binary(b"hello".to_vec()),
                term::atom("world"),
            ]),
        ),
        (
            "map10",
            Term::Map(eetf::Map {
                map: (1..=10)
                    .map(|i| (term::atom(&format!("key{i}")), term::int(i)))
                    .collect(),
            }),
        ),
        (
            "list200",
            term::list((1..=200).map(|i| term::int(i * 1000)).collect()),
        ),
        ("bin1k", term::binary(vec![0xAB; 1024])),
        ("bin64k", term::binary(vec![0xAB; 65536])),
    ]
}

fn to_pid() -> Pid {
    Pid::new("bench@vm", 100, 0, 1_700_000_000)
}

fn codec(c: &mut Criterion) {
    for (name, term) in payloads() {
        let bytes = etf::to_vec(&term).expect("encodes");
        let mut g = c.benchmark_group(format!("decode/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("erlnode", |b| {
            b.iter(|| etf::decode(black_box(&bytes)).expect("decodes"))
        });
        g.bench_function("eetf", |b| {
            b.iter(|| Term::decode(black_box(&bytes[..])).expect("decodes"))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("encode/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut out = Vec::with_capacity(bytes.len() + 64);
        g.bench_function("erlnode", |b| {
            b.iter(|| {
                out.clear();
                etf::encode(black_box(&term), &mut out).expect("encodes");
            })
        });
        let mut out = Vec::with_capacity(bytes.len() + 64);
        g.bench_function("eetf", |b| {
            b.iter(|| {
                out.clear();
                black_box(&term).encode(&mut out).expect("encodes");
            })
        });
        g.finish();

        // A whole SEND frame: control tuple + payload, as on the wire.
        let ctl = Control::Send { to: to_pid() };
        let mut frame = Vec::new();
        encode_frame(&ctl, Some(&term), &mut frame).expect("frame encodes");
        let body = frame[4..].to_vec();
        let (ctl_term, _) = ctl.to_term();
        let mut g = c.benchmark_group(format!("frame/{name}"));
        g.throughput(Throughput::Bytes(frame.len() as u64));
        g.bench_function(BenchmarkId::new("erlnode", "decode_frame"), |b| {
            b.iter(|| decode_frame(black_box(&body)).expect("decodes"))
        });
        g.bench_function(BenchmarkId::new("eetf", "decode_frame"), |b| {
            b.iter(|| {
                let mut rest = black_box(&body[1..]);
                let ctl = Term::decode(&mut rest).expect("control decodes");
                let msg = Term::decode(&mut rest).expect("payload decodes");
                (ctl, msg)
            })
        });
        let mut out = Vec::with_capacity(frame.len() + 64);
        g.bench_function(BenchmarkId::new("erlnode", "encode_frame"), |b| {
            b.iter(|| {
                out.clear();
                encode_frame(black_box(&ctl), Some(black_box(&term)), &mut out).expect("encodes");
            })
        });
        let mut out = Vec::with_capacity(frame.len() + 64);
        g.bench_function(BenchmarkId::new("eetf", "encode_frame"), |b| {
            b.iter(|| {
                out.clear();
                out.extend_from_slice(&[0, 0, 0, 0, 112]);
                black_box(&ctl_term).encode(&mut out).expect("encodes");
                black_box(&term).encode(&mut out).expect("encodes");
                let len = (out.len() - 4) as u32;
                out[..4].copy_from_slice(&len.to_be_bytes());
            })
        });
        g.finish();
    }
}

/// Splits 2-byte-length packets out of `bytes`.
fn packets(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        v.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    v
}

fn config(name: &str) -> HandshakeConfig {
    HandshakeConfig {
        node_name: name.into(),
        flags: DistFlags::ours(false),
        creation: 1_700_000_000,
        cookie: b"bench_cookie".to_vec(),
    }
}

/// One whole handshake between an Initiator and an Acceptor in memory.
fn handshake_once(a: &HandshakeConfig, b: &HandshakeConfig) {
    let mut ini = Initiator::new(a.clone(), b.node_name.clone(), 0x1234_5678);
    let mut acc = Acceptor::new(b.clone(), 0x9abc_def0);
    let name = ini.start().expect("start");
    let Ok(Accepted::Decide(_)) = acc.handle(packets(&name)[0]) else {
        panic!("acceptor wants a decision");
    };
    let status_and_challenge = acc.decide(Status::Ok).expect("ok");
    let ps = packets(&status_and_challenge);
    let mut reply = Vec::new();
    for p in ps {
        match ini.handle(p).expect("initiator step") {
            Step::Send(bytes) => reply.extend(bytes),
            Step::Done(..) => panic!("initiator done too early"),
        }
    }
    let Ok(Accepted::Step(Step::Done(ack, _est))) = acc.handle(packets(&reply)[0]) else {
        panic!("acceptor did not finish");
    };
    let Ok(Step::Done(_, est)) = ini.handle(packets(&ack)[0]) else {
        panic!("initiator did not finish");
    };
    black_box(est);
}

fn handshake(c: &mut Criterion) {
    let a = config("alpha@vm");
    let b = config("beta@vm");
    c.bench_function("handshake/initiator+acceptor", |bch| {
        bch.iter(|| handshake_once(&a, &b))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = codec, handshake
}
criterion_main!(benches);
