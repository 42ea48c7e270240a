//! The building blocks' unit tests: the generator, level conversions,
//! filters against their definitions, pink noise's spectrum, glides and
//! delay lines.

use super::*;

#[test]
fn rng_is_deterministic_and_in_range() {
    let mut a = Rng::new(7);
    let mut b = Rng::new(7);
    let mut c = Rng::new(8);
    let mut differs = false;
    for _ in 0..10_000 {
        let x = a.next_f32();
        assert_eq!(x, b.next_f32());
        assert!((-1.0..1.0).contains(&x));
        let u = a.next_unit();
        assert_eq!(u, b.next_unit());
        assert!((0.0..1.0).contains(&u));
        differs |= x != c.next_f32();
        c.next_unit();
    }
    assert!(differs);
}

#[test]
fn rng_mean_and_variance_are_uniform() {
    let mut r = Rng::new(1);
    let n = 200_000;
    let (mut sum, mut sq) = (0.0f64, 0.0f64);
    for _ in 0..n {
        let x = f64::from(r.next_f32());
        sum += x;
        sq += x * x;
    }
    assert!((sum / n as f64).abs() < 0.01);
    // A uniform variable on [-1, 1) has variance 1/3.
    assert!((sq / n as f64 - 1.0 / 3.0).abs() < 0.01);
}

#[test]
fn db_conversions_round_trip() {
    assert!((db_to_gain(-6.0206) - 0.5).abs() < 1e-4);
    assert!((gain_to_db(0.1) + 20.0).abs() < 1e-4);
    assert_eq!(gain_to_db(0.0), f32::NEG_INFINITY);
    for db in [-60.0f32, -12.5, 0.0, 3.0] {
        assert!((gain_to_db(db_to_gain(db)) - db).abs() < 1e-4);
    }
}

#[test]
fn biquad_responses_match_their_definitions() {
    let lp = Biquad::low_pass(1000.0, BUTTERWORTH_Q);
    assert!((lp.magnitude_at(1.0) - 1.0).abs() < 1e-3);
    assert!((gain_to_db(lp.magnitude_at(1000.0)) + 3.01).abs() < 0.05);
    assert!(lp.magnitude_at(20_000.0) < 0.01);
    let hp = Biquad::high_pass(1000.0, BUTTERWORTH_Q);
    assert!(hp.magnitude_at(10.0) < 1e-3);
    assert!((gain_to_db(hp.magnitude_at(1000.0)) + 3.01).abs() < 0.05);
    assert!((hp.magnitude_at(23_000.0) - 1.0).abs() < 0.01);
    let bp = Biquad::band_pass(2000.0, 2.0);
    assert!((bp.magnitude_at(2000.0) - 1.0).abs() < 1e-3);
    assert!(bp.magnitude_at(200.0) < 0.1 && bp.magnitude_at(15_000.0) < 0.15);
    let hs = Biquad::high_shelf(1500.0, 4.0, BUTTERWORTH_Q);
    assert!(gain_to_db(hs.magnitude_at(10.0)).abs() < 0.02);
    assert!((gain_to_db(hs.magnitude_at(23_900.0)) - 4.0).abs() < 0.05);
    assert!((gain_to_db(hs.magnitude_at(1500.0)) - 2.0).abs() < 0.05);
}

#[test]
fn biquad_filters_a_sine_as_predicted() {
    let mut lp = Biquad::low_pass(500.0, BUTTERWORTH_Q);
    let expected = lp.magnitude_at(2000.0);
    let (mut peak, w) = (
        0.0f32,
        2.0 * std::f32::consts::PI * 2000.0 / SAMPLE_RATE_F32_HZ,
    );
    for n in 0..48_000 {
        let y = lp.process((w * n as f32).sin());
        if n > 24_000 {
            peak = peak.max(y.abs());
        }
    }
    assert!((peak - expected).abs() < 0.01 * expected.max(0.01));
}

#[test]
fn biquad_retune_keeps_state() {
    let mut f = Biquad::low_pass(500.0, BUTTERWORTH_Q);
    for _ in 0..1000 {
        f.process(1.0);
    }
    f.set_low_pass(600.0, BUTTERWORTH_Q);
    // A settled low-pass holding DC stays near 1 when retuned instead of restarting from 0.
    assert!((f.process(1.0) - 1.0).abs() < 0.05);
}

#[test]
fn one_pole_low_and_high_pass() {
    let mut lp = OnePole::new(100.0);
    let mut hp = OnePole::new(100.0);
    let (mut lo, mut hi) = (0.0, 0.0);
    for _ in 0..48_000 {
        lo = lp.low_pass(1.0);
        hi = hp.high_pass(1.0);
    }
    assert!((lo - 1.0).abs() < 1e-4);
    assert!(hi.abs() < 1e-4);
}

#[test]
fn a_one_pole_fed_silence_stays_subnormal_until_flushed() {
    // 1.5 kHz gives a coefficient under one half: the memory's last steps round to nothing.
    let mut lp = OnePole::new(1_500.0);
    lp.low_pass(1.0);
    for _ in 0..48_000 {
        lp.low_pass(0.0);
    }
    assert!(lp.state().is_subnormal(), "{:e}", lp.state());
    lp.flush_subnormal();
    assert_eq!(lp.state(), 0.0);
    // A memory of normal size is kept as it is.
    let kept = lp.low_pass(1e-30);
    lp.flush_subnormal();
    assert_eq!(lp.state(), kept);
}

#[test]
fn pink_noise_has_equal_energy_per_octave() {
    // Pink noise falls 3 dB per octave, so octave bands (whose width doubles each octave)
    // hold equal energy: the 250-500 Hz and 4-8 kHz octaves should match. White noise, as a
    // contrast, puts 4 octaves x 3 dB = 12 dB more into the upper band.
    let band_ratio_db = |mut source: Box<dyn FnMut() -> f32>| {
        let mut low = Biquad::band_pass(354.0, 1.41);
        let mut high = Biquad::band_pass(5657.0, 1.41);
        let (mut el, mut eh) = (0.0f64, 0.0f64);
        for _ in 0..480_000 {
            let x = source();
            assert!(x.abs() < 3.7);
            el += f64::from(low.process(x)).powi(2);
            eh += f64::from(high.process(x)).powi(2);
        }
        10.0 * (el / eh).log10()
    };
    let mut pink = PinkNoise::new(3);
    let pink_db = band_ratio_db(Box::new(move || pink.next()));
    assert!(pink_db.abs() < 1.5, "pink tilt {pink_db}");
    let mut white = Rng::new(3);
    let white_db = band_ratio_db(Box::new(move || white.next_f32()));
    assert!((white_db + 12.0).abs() < 1.5, "white tilt {white_db}");
}

#[test]
fn smoothed_glides_and_arrives() {
    let mut s = Smoothed::new(0.0, 0.01);
    s.set_target(1.0);
    let after_tau = (0..480).map(|_| s.next()).last().unwrap_or(0.0);
    assert!((after_tau - (1.0 - (-1.0f32).exp())).abs() < 0.01);
    for _ in 0..48_000 {
        s.next();
    }
    assert_eq!(s.value(), 1.0);
}

#[test]
fn delay_line_interpolates() {
    let mut d = DelayLine::new(16);
    for n in 0..20 {
        d.push(n as f32);
    }
    assert_eq!(d.read(0.0), 19.0);
    assert_eq!(d.read(3.0), 16.0);
    assert!((d.read(2.25) - 16.75).abs() < 1e-6);
    assert_eq!(d.read(100.0), 3.0);
}
