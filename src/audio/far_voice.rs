//! The therapist's voice in a remote session, played in the mix.
//!
//! The network's thread decodes the voice and pushes its samples (48 kHz
//! mono, the mix's own rate) into a bounded lock-free ring
//! ([`FarVoiceFeed`]); the mix takes them out at its own pace
//! ([`FarVoice`]). The two clocks (the therapist's microphone and the
//! client's sound card) are never quite the same, so the mix reads the
//! ring a little faster or slower, by at most half a percent (a pitch change
//! no one hears), to keep about [`TARGET_S`] in it: enough to ride out
//! packets that come unevenly, little enough to keep the voice close to the
//! mouth; each time it runs dry mid-word the wait grows by 20 ms (to at
//! most 200 ms), and it comes back by 10 ms after each 10 s without. When
//! the ring runs dry (the therapist stopped sending, the
//! connection went) the voice fades out in a few milliseconds and waits
//! until the ring holds [`TARGET_S`] again.
//!
//! The voice is placed beside the listener (by default a metre to the
//! front left) and spatialised like any sound of the scene; while it
//! speaks, the scene's sounds are ducked gently ([`DUCK_DB`]).
//!
//! **Invariant:** nothing here allocates, frees or waits on the mix's
//! side: the ring is made once, with the app.

use super::dsp::{Smoothed, db_to_gain, glide_coeff};
use super::near_voice::Hush;
use super::sample_clock::SAMPLE_RATE_HZ;
use super::spatial::{Emitter, Listener, Spatializer};

/// How much voice the mix keeps waiting, seconds.
pub const TARGET_S: f32 = 0.06;
/// The least and most the mix keeps waiting, samples: the target grows by
/// [`GROW`] each time the voice runs dry mid-word, and comes back by half
/// that after [`SETTLE`] samples without.
const LEAST_WAITING: usize = (TARGET_S * SAMPLE_RATE_HZ as f32) as usize;
const MOST_WAITING: usize = SAMPLE_RATE_HZ as usize / 5;
const GROW: usize = SAMPLE_RATE_HZ as usize / 50;
const SETTLE: usize = SAMPLE_RATE_HZ as usize * 10;
/// The most the ring holds, seconds: a voice pushed while the mix is held
/// up beyond this is dropped at the network's end.
const CAPACITY_S: f32 = 0.5;
/// Beyond this many times the target waiting (a burst after a stall), the
/// oldest samples are skipped so the voice is never late by more.
const MOST_BEHIND: usize = 3;
/// The largest correction of the reading rate.
const MAX_DRIFT: f64 = 0.005;
/// How much the scene's sounds are lowered while the therapist speaks, dB.
pub const DUCK_DB: f32 = -8.0;
/// The voice's level above which it counts as speaking (linear, about
/// -40 dBFS).
const SPEAKING: f32 = 0.01;
/// How quickly the ducking goes down and comes back up, seconds.
const DUCK_ATTACK_S: f32 = 0.08;
const DUCK_RELEASE_S: f32 = 0.6;
/// The voice fades in and out over this when it starts or runs dry.
const EDGE_S: f32 = 0.005;
/// The voice's level in the mix: a little under a speaking voice's usual
/// level from a browser's microphone, so it sits just above the scene.
const VOICE_TRIM_DB: f32 = -4.0;

/// How far the voice and the scene go down while the person talks over
/// loudspeakers, dB, and how quickly.
const HUSH_DB: f32 = -30.0;
const HUSH_S: f32 = 0.03;

/// Where the voice is by default, in the listener's frame: metres to the
/// right (negative: left), up and forward.
pub const DEFAULT_PLACE: [f32; 3] = [-0.7, 0.0, 0.7];

/// The network's end of the ring.
pub struct FarVoiceFeed {
    ring: rtrb::Producer<f32>,
}

impl FarVoiceFeed {
    /// Pushes decoded samples; those that find no room are dropped (the mix
    /// is held up) and their count returned.
    pub fn push(&mut self, samples: &[f32]) -> usize {
        let room = self.ring.slots().min(samples.len());
        if let Ok(mut chunk) = self.ring.write_chunk(room) {
            let (a, b) = chunk.as_mut_slices();
            let (first, second) = samples[..room].split_at(a.len());
            a.copy_from_slice(first);
            b.copy_from_slice(second);
            chunk.commit_all();
        }
        samples.len() - room
    }
}

/// The mix's end: reads the ring on the sample clock and places the voice.
pub struct FarVoice {
    ring: rtrb::Consumer<f32>,
    target: usize,
    /// Samples played since the ring last ran dry mid-voice.
    steady: usize,
    playing: bool,
    /// The two samples the reading position lies between, and where.
    before: f32,
    after: f32,
    phase: f64,
    rate: f64,
    edge: Smoothed,
    level: f32,
    level_rise: f32,
    level_fall: f32,
    duck: Smoothed,
    duck_gain: f32,
    duck_attack: f32,
    duck_release: f32,
    place: [f32; 3],
    ears: Spatializer,
    trim: f32,
    /// The person talking over loudspeakers: the voice is hushed.
    hush: Hush,
    hushed: Smoothed,
}

/// A ring between the network's thread and the mix.
pub fn far_voice() -> (FarVoiceFeed, FarVoice) {
    let capacity = (CAPACITY_S * SAMPLE_RATE_HZ as f32) as usize;
    let (producer, consumer) = rtrb::RingBuffer::new(capacity);
    let voice = FarVoice {
        ring: consumer,
        target: (TARGET_S * SAMPLE_RATE_HZ as f32) as usize,
        steady: 0,
        playing: false,
        before: 0.0,
        after: 0.0,
        phase: 0.0,
        rate: 1.0,
        edge: Smoothed::new(0.0, EDGE_S),
        level: 0.0,
        level_rise: glide_coeff(0.005),
        level_fall: glide_coeff(0.15),
        duck: Smoothed::new(1.0, DUCK_ATTACK_S),
        duck_gain: db_to_gain(DUCK_DB),
        duck_attack: glide_coeff(DUCK_ATTACK_S),
        duck_release: glide_coeff(DUCK_RELEASE_S),
        place: DEFAULT_PLACE,
        ears: Spatializer::new(),
        trim: db_to_gain(VOICE_TRIM_DB),
        hush: Hush::default(),
        hushed: Smoothed::new(1.0, HUSH_S),
    };
    (FarVoiceFeed { ring: producer }, voice)
}

impl FarVoice {
    /// Places the voice, in the listener's frame (see [`DEFAULT_PLACE`]).
    pub fn set_place(&mut self, place: [f32; 3]) {
        self.place = place;
    }

    /// Hushes the voice, and lowers the scene further, while the person
    /// talks over loudspeakers (their microphone would hear both).
    pub fn with_hush(mut self, hush: Hush) -> Self {
        self.hush = hush;
        self
    }

    /// Whether the voice is sounding now.
    pub fn is_speaking(&self) -> bool {
        self.playing && self.level > SPEAKING
    }

    /// Samples waiting in the ring.
    pub fn waiting(&self) -> usize {
        self.ring.slots()
    }

    /// The next sample of the voice at the mix's rate, 0 when it waits.
    fn next_sample(&mut self) -> f32 {
        if !self.playing {
            return 0.0;
        }
        let s = self.before + (self.after - self.before) * self.phase as f32;
        self.steady += 1;
        if self.steady >= SETTLE {
            // Long steady: come back towards the least wait.
            self.steady = 0;
            self.target = (self.target - GROW / 2).max(LEAST_WAITING);
        }
        self.phase += self.rate;
        while self.phase >= 1.0 {
            self.phase -= 1.0;
            self.before = self.after;
            match self.ring.pop() {
                Ok(next) => self.after = next,
                Err(_) => {
                    // Dry: fade out on the last sample, then wait to fill,
                    // a little more from now on if it ran dry mid-voice
                    // (the network or this machine is less even than the
                    // target allowed for).
                    self.playing = false;
                    self.edge.set_target(0.0);
                    if self.level > SPEAKING {
                        self.target = (self.target + GROW).min(MOST_WAITING);
                    }
                    self.steady = 0;
                    break;
                }
            }
        }
        s
    }

    /// Adds one block of the voice, spatialised, into `left` and `right`
    /// (`mono` is scratch of the same length), and returns the gain the
    /// scene's sounds take for this block (1 when no one speaks).
    pub fn render(
        &mut self,
        listener: &Listener,
        mono_mode: bool,
        mono: &mut [f32],
        left: &mut [f32],
        right: &mut [f32],
    ) -> f32 {
        let waiting = self.ring.slots();
        if !self.playing && waiting >= self.target {
            // Enough has come: start from the oldest sample.
            self.playing = true;
            self.phase = 0.0;
            self.rate = 1.0;
            self.before = 0.0;
            self.after = self.ring.pop().unwrap_or(0.0);
            self.edge.set_target(1.0);
        }
        if self.playing {
            if waiting > MOST_BEHIND * self.target {
                // A burst after a stall: skip to the newest target's worth.
                let skip = waiting - self.target;
                if let Ok(chunk) = self.ring.read_chunk(skip) {
                    chunk.commit_all();
                }
            }
            // Read a little faster when more waits than the target, slower
            // when less: the two clocks' drift and nothing more.
            let off = (self.ring.slots() as f64 - self.target as f64) / self.target as f64;
            self.rate = 1.0 + (off * MAX_DRIFT).clamp(-MAX_DRIFT, MAX_DRIFT);
        }
        let echoes = self.hush.echoes();
        self.hushed
            .set_target(if echoes { db_to_gain(HUSH_DB) } else { 1.0 });
        let n = mono.len();
        let mut fading = false;
        for out in mono.iter_mut() {
            let edge = self.edge.next();
            let s = self.next_sample() * edge * self.trim * self.hushed.next();
            fading |= edge > 0.0;
            let a = s.abs();
            let k = if a > self.level {
                self.level_rise
            } else {
                self.level_fall
            };
            self.level += (a - self.level) * k;
            *out = s;
        }
        if fading || self.playing {
            let emitter = Emitter {
                position: beside(listener, self.place),
                gain_db: 0.0,
                size_m: 0.2,
            };
            self.ears
                .process(&emitter, listener, mono, left, right, mono_mode);
        }
        let speaking = self.is_speaking();
        self.duck.set_coeff(if speaking {
            self.duck_attack
        } else {
            self.duck_release
        });
        self.duck
            .set_target(if speaking { self.duck_gain } else { 1.0 });
        let mut duck = 1.0;
        for _ in 0..n {
            duck = self.duck.next();
        }
        // The scene goes down with the voice, as smoothly.
        duck * self.hushed.value()
    }
}

/// `place` (right, up, forward of the listener) as a point in the scene.
fn beside(listener: &Listener, place: [f32; 3]) -> [f32; 3] {
    let f = normalised(listener.forward);
    let u = normalised(listener.up);
    // Right = forward × up.
    let r = normalised([
        f[1] * u[2] - f[2] * u[1],
        f[2] * u[0] - f[0] * u[2],
        f[0] * u[1] - f[1] * u[0],
    ]);
    let p = listener.position;
    std::array::from_fn(|i| p[i] + r[i] * place[0] + u[i] * place[1] + f[i] * place[2])
}

fn normalised(v: [f32; 3]) -> [f32; 3] {
    let len = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if len > 0.0 {
        [v[0] / len, v[1] / len, v[2] / len]
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: usize = 64;

    fn run(voice: &mut FarVoice, blocks: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let listener = Listener::from_yaw([0.0, 1.2, 0.0], 0.0);
        let (mut l, mut r, mut ducks) = (Vec::new(), Vec::new(), Vec::new());
        let mut mono = [0.0; N];
        for _ in 0..blocks {
            let (mut bl, mut br) = ([0.0; N], [0.0; N]);
            ducks.push(voice.render(&listener, false, &mut mono, &mut bl, &mut br));
            l.extend_from_slice(&bl);
            r.extend_from_slice(&br);
        }
        (l, r, ducks)
    }

    fn tone(len: usize, hz: f32) -> Vec<f32> {
        (0..len)
            .map(|i| 0.3 * (std::f32::consts::TAU * hz * i as f32 / SAMPLE_RATE_HZ as f32).sin())
            .collect()
    }

    fn energy(x: &[f32]) -> f32 {
        x.iter().map(|s| s * s).sum()
    }

    #[test]
    fn waits_for_its_target_then_plays_on_the_left_and_ducks_the_scene() {
        let (mut feed, mut voice) = far_voice();
        let target = (TARGET_S * SAMPLE_RATE_HZ as f32) as usize;
        assert_eq!(feed.push(&tone(target - 1, 300.0)), 0);
        let (l, r, ducks) = run(&mut voice, 4);
        assert_eq!(
            energy(&l) + energy(&r),
            0.0,
            "silent until the target is there"
        );
        assert!(ducks.iter().all(|&d| d == 1.0));
        // Then as it comes from the network: one block's worth a block.
        let more = tone(200 * N, 300.0);
        let (mut l, mut r, mut ducks) = (Vec::new(), Vec::new(), Vec::new());
        for block in more.chunks(N) {
            feed.push(block);
            let (bl, br, d) = run(&mut voice, 1);
            l.extend(bl);
            r.extend(br);
            ducks.extend(d);
        }
        assert!(
            energy(&l) > 2.0 * energy(&r),
            "front left: louder in the left ear"
        );
        let last = *ducks.last().unwrap();
        assert!(
            (last - db_to_gain(DUCK_DB)).abs() < 0.05,
            "the scene ducked to {DUCK_DB} dB, got {last}"
        );
        assert!(
            ducks.windows(2).all(|w| w[1] <= w[0] + 1e-6),
            "ducks gently down"
        );
    }

    #[test]
    fn runs_dry_fades_out_and_the_scene_comes_back() {
        let (mut feed, mut voice) = far_voice();
        feed.push(&tone(SAMPLE_RATE_HZ as usize / 10, 300.0));
        let (l, _, _) = run(&mut voice, 200);
        let tail = &l[l.len() - 4 * N..];
        assert_eq!(energy(tail), 0.0, "silent once dry");
        // No click at the edge: no step bigger than the tone's own.
        assert!(l.windows(2).all(|w| (w[1] - w[0]).abs() < 0.1));
        let (_, _, ducks) = run(&mut voice, 2000);
        assert!(
            *ducks.last().unwrap() > 0.99,
            "the scene back up when silent"
        );
    }

    #[test]
    fn keeps_near_its_target_when_the_far_clock_runs_fast() {
        let (mut feed, mut voice) = far_voice();
        let target = (TARGET_S * SAMPLE_RATE_HZ as f32) as usize;
        // The far end sends 0.3 % more samples than the mix plays: 10 s.
        let mut sent = 0.0f64;
        let mut most = 0;
        let mut source = tone(SAMPLE_RATE_HZ as usize * 12, 200.0).into_iter();
        for block in 0..(10 * SAMPLE_RATE_HZ as usize / N) {
            let due = ((block + 1) as f64 * N as f64 * 1.003) as usize;
            let now: Vec<f32> = source.by_ref().take(due - sent as usize).collect();
            sent = due as f64;
            feed.push(&now);
            run(&mut voice, 1);
            if block > SAMPLE_RATE_HZ as usize / N {
                most = most.max(voice.waiting());
            }
        }
        assert!(
            most < 2 * target,
            "the voice stays near its target of {target} samples behind; {most}"
        );
    }

    #[test]
    fn a_burst_after_a_stall_is_skipped_down_to_the_target() {
        let (mut feed, mut voice) = far_voice();
        let target = (TARGET_S * SAMPLE_RATE_HZ as f32) as usize;
        feed.push(&tone(target, 300.0));
        run(&mut voice, 2);
        feed.push(&tone(5 * target, 300.0));
        run(&mut voice, 1);
        assert!(voice.waiting() <= target, "{} waiting", voice.waiting());
    }

    #[test]
    fn a_full_ring_drops_what_finds_no_room() {
        let (mut feed, _voice) = far_voice();
        let capacity = (CAPACITY_S * SAMPLE_RATE_HZ as f32) as usize;
        assert_eq!(feed.push(&vec![0.1; capacity + 100]), 100);
    }

    #[test]
    fn talking_over_loudspeakers_hushes_the_voice_and_the_scene_smoothly() {
        let (mut feed, voice) = far_voice();
        let hush = Hush::default();
        let mut voice = voice.with_hush(hush.clone());
        let stream = |feed: &mut FarVoiceFeed, voice: &mut FarVoice, blocks: usize| {
            let mut out = (Vec::new(), Vec::new());
            for block in tone(blocks * N, 300.0).chunks(N) {
                feed.push(block);
                let (l, _, d) = run(voice, 1);
                out.0.extend(l);
                out.1.extend(d);
            }
            out
        };
        let (open, _) = stream(&mut feed, &mut voice, 300);
        hush.set_speakers(true);
        hush.set_talking(true);
        let (hushed, ducks) = stream(&mut feed, &mut voice, 300);
        let tail = |x: &[f32]| energy(&x[x.len() - 50 * N..]);
        let db = 10.0 * (tail(&hushed) / tail(&open)).log10();
        assert!(db < -25.0, "the voice hushed by {db} dB");
        assert!(*ducks.last().unwrap() < 0.02, "the scene lowered too");
        assert!(
            hushed.windows(2).all(|w| (w[1] - w[0]).abs() < 0.1),
            "no click"
        );
        // With headphones nothing is hushed.
        hush.set_speakers(false);
        let (back, _) = stream(&mut feed, &mut voice, 300);
        assert!((10.0 * (tail(&back) / tail(&open)).log10()).abs() < 1.0);
    }

    #[test]
    fn a_voice_that_runs_dry_mid_word_waits_longer_and_comes_back_when_steady() {
        let (mut feed, mut voice) = far_voice();
        let least = LEAST_WAITING;
        // Packets come in bursts with gaps longer than the wait: dry.
        for _ in 0..4 {
            feed.push(&tone(least + 10 * N, 300.0));
            run(&mut voice, (least + 10 * N) / N + 40);
        }
        assert!(voice.target > least, "the wait grew: {}", voice.target);
        assert!(voice.target <= MOST_WAITING);
        let grown = voice.target;
        // Then steady for longer than SETTLE: it comes back.
        for block in tone(SETTLE + 200 * N, 300.0).chunks(N) {
            feed.push(block);
            run(&mut voice, 1);
        }
        assert!(voice.target < grown, "{} after steady", voice.target);
    }
}
