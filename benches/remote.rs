//! A remote session's media, per piece: the client's view (a window's
//! picture fitted into 640×360 and turned into I420, then encoded as VP8)
//! and the voices (20 ms of Opus encoded and decoded). After the timings it
//! prints what each sends: bytes a frame and the bit rate it makes.
//!
//! The picture is made here, the same each run: a dusk sky's gradient over
//! water with fine ripples, and a shape that moves a little each frame (a
//! still window costs the encoder almost nothing, which would flatter it).

use criterion::{Criterion, criterion_group};
use stillpoint::remote::video::{FPS, HEIGHT, Picture, WIDTH, to_i420};
use stillpoint::remote::vp8::Vp8Encoder;

/// A 1280×720 window's picture, BGRA, at frame `n`.
fn window(n: u32) -> Picture {
    let (w, h) = (1280u32, 720u32);
    let mut bgra = Vec::with_capacity((w * h * 4) as usize);
    let mut seed = 0x2545_f491_u32;
    for y in 0..h {
        for x in 0..w {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let ripple = if y > h / 2 {
                (seed % 24) as i32 - 12
            } else {
                0
            };
            let sky = (y * 160 / h) as i32;
            let moving = {
                let cx = (400 + n * 6) % w;
                let (dx, dy) = (x as i32 - cx as i32, y as i32 - 300);
                dx * dx + dy * dy < 80 * 80
            };
            let (r, g, b) = if moving {
                (230, 200, 120)
            } else if y > h / 2 {
                (40 + ripple, 60 + ripple, 90 + ripple + sky / 4)
            } else {
                (200 - sky, 140 - sky / 2, 120 + sky / 3)
            };
            let c = |v: i32| v.clamp(0, 255) as u8;
            bgra.extend_from_slice(&[c(b), c(g), c(r), 255]);
        }
    }
    Picture {
        rgba: bgra,
        width: w,
        height: h,
        bgra: true,
    }
}

fn video(c: &mut Criterion) {
    let pictures: Vec<Picture> = (0..30).map(window).collect();
    let mut i420 = vec![0u8; (WIDTH * HEIGHT * 3 / 2) as usize];
    let mut group = c.benchmark_group("video");
    let mut n = 0;
    group.bench_function("fit and convert a 1280x720 window", |b| {
        b.iter(|| {
            to_i420(&pictures[n % pictures.len()], &mut i420);
            n += 1;
        })
    });
    let mut encoder = Vp8Encoder::new(WIDTH, HEIGHT, FPS, 700).unwrap();
    let frames: Vec<Vec<u8>> = pictures
        .iter()
        .map(|p| {
            let mut out = vec![0u8; i420.len()];
            to_i420(p, &mut out);
            out
        })
        .collect();
    let mut n = 0;
    group.bench_function("encode a 640x360 frame as VP8", |b| {
        b.iter(|| {
            let out = encoder.encode(&frames[n % frames.len()], false).unwrap();
            n += 1;
            out
        })
    });
    group.finish();
    // What it sends: a fresh encoder over 10 s of pictures at the rate.
    let mut encoder = Vp8Encoder::new(WIDTH, HEIGHT, FPS, 700).unwrap();
    let mut bytes = 0;
    let mut first = 0;
    for k in 0..(10 * FPS) {
        let out = encoder
            .encode(&frames[k as usize % frames.len()], false)
            .unwrap();
        let size: usize = out.iter().map(|f| f.data.len()).sum();
        if k == 0 {
            first = size;
        }
        bytes += size;
    }
    println!(
        "video: key frame {first} bytes; {:.0} kb/s at {FPS} frames a second over 10 s",
        bytes as f64 * 8.0 / 10.0 / 1000.0
    );
}

fn voice(c: &mut Criterion) {
    let speech: Vec<f32> = (0..48_000)
        .map(|i| {
            let t = i as f32 / 48_000.0;
            let f0 = 140.0 + 40.0 * (t * 3.0).sin();
            0.2 * (std::f32::consts::TAU * f0 * t).sin() * (t * 25.0).sin().abs()
        })
        .collect();
    let frames: Vec<&[f32]> = speech.chunks_exact(960).collect();
    let mut encoder =
        opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
    encoder.set_bitrate(opus::Bitrate::Bits(32_000)).unwrap();
    encoder.set_inband_fec(true).unwrap();
    encoder.set_packet_loss_perc(5).unwrap();
    let packets: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| encoder.encode_vec_float(f, 1500).unwrap())
        .collect();
    let mut decoder = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
    let mut pcm = vec![0.0f32; 5760];
    let mut group = c.benchmark_group("voice");
    let mut n = 0;
    group.bench_function("encode 20 ms of Opus", |b| {
        b.iter(|| {
            let p = encoder
                .encode_vec_float(frames[n % frames.len()], 1500)
                .unwrap();
            n += 1;
            p
        })
    });
    let mut n = 0;
    group.bench_function("decode 20 ms of Opus", |b| {
        b.iter(|| {
            let got = decoder
                .decode_float(&packets[n % packets.len()], &mut pcm, false)
                .unwrap();
            n += 1;
            got
        })
    });
    group.finish();
    let bytes: usize = packets.iter().map(Vec::len).sum();
    println!(
        "voice: {:.1} kb/s of Opus payload ({} packets of 20 ms), before RTP, SRTP and UDP headers (about 16 kb/s more)",
        bytes as f64 * 8.0 / (packets.len() as f64 * 0.02) / 1000.0,
        packets.len()
    );
}

criterion_group!(benches, video, voice);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
