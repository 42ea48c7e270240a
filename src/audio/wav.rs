//! Minimal 32-bit IEEE-float WAV writing (for exporting renders) and reading (for tests).

use std::io::Write;

/// Writes interleaved `f32` samples as a RIFF/WAVE file with format tag 3 (IEEE float), a
/// `fact` chunk and a `data` chunk.
///
/// `interleaved.len()` should be a multiple of `channels`; a trailing partial frame is written
/// as is. Errors come from the writer, or are `InvalidInput` when the data exceeds the 4 GiB
/// RIFF limit or `channels` is zero.
#[cfg(test)]
pub(crate) fn write_wav_f32<W: Write>(
    w: W,
    sample_rate: u32,
    channels: u16,
    interleaved: &[f32],
) -> std::io::Result<()> {
    let mut wav = WavWriter::start(w, sample_rate, channels, interleaved.len())?;
    wav.write(interleaved)?;
    wav.finish()
}

/// A WAV file written as its samples come, so that a long render never holds them all: the
/// length is given up front and written into the header first.
pub(crate) struct WavWriter<W: Write> {
    w: W,
    samples_left: usize,
}

impl<W: Write> WavWriter<W> {
    /// Writes the header for `samples` interleaved samples of `channels` channels.
    pub fn start(
        mut w: W,
        sample_rate: u32,
        channels: u16,
        samples: usize,
    ) -> std::io::Result<Self> {
        let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
        if channels == 0 {
            return Err(invalid("zero channels"));
        }
        let data_bytes = samples
            .checked_mul(BYTES_PER_SAMPLE)
            .and_then(|b| u32::try_from(b).ok())
            .filter(|&b| b <= u32::MAX - HEADER_BYTES)
            .ok_or_else(|| invalid("too long for WAV"))?;
        let block_align = channels * BYTES_PER_SAMPLE as u16;
        let frames = (samples / usize::from(channels)) as u32;

        let mut header = Vec::with_capacity(HEADER_BYTES as usize);
        header.extend_from_slice(b"RIFF");
        header.extend_from_slice(&(HEADER_BYTES - 8 + data_bytes).to_le_bytes());
        header.extend_from_slice(b"WAVE");
        header.extend_from_slice(b"fmt ");
        header.extend_from_slice(&FMT_CHUNK_BYTES.to_le_bytes());
        header.extend_from_slice(&FORMAT_IEEE_FLOAT.to_le_bytes());
        header.extend_from_slice(&channels.to_le_bytes());
        header.extend_from_slice(&sample_rate.to_le_bytes());
        header.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
        header.extend_from_slice(&block_align.to_le_bytes());
        header.extend_from_slice(&BITS_PER_SAMPLE.to_le_bytes());
        // Non-PCM formats carry an extension size field, zero here.
        header.extend_from_slice(&0u16.to_le_bytes());
        // The fact chunk (frame count) is required by the spec for non-PCM data.
        header.extend_from_slice(b"fact");
        header.extend_from_slice(&4u32.to_le_bytes());
        header.extend_from_slice(&frames.to_le_bytes());
        header.extend_from_slice(b"data");
        header.extend_from_slice(&data_bytes.to_le_bytes());
        w.write_all(&header)?;
        Ok(Self {
            w,
            samples_left: samples,
        })
    }

    /// Writes the next samples; more than the header announced is an error.
    pub fn write(&mut self, interleaved: &[f32]) -> std::io::Result<()> {
        if interleaved.len() > self.samples_left {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "more samples than the WAV header announced",
            ));
        }
        self.samples_left -= interleaved.len();
        // Converting through a stack buffer keeps the number of write calls low even when the
        // caller passes an unbuffered writer.
        let mut buf = [0u8; 4096];
        for chunk in interleaved.chunks(buf.len() / BYTES_PER_SAMPLE) {
            for (dst, s) in buf.chunks_exact_mut(BYTES_PER_SAMPLE).zip(chunk) {
                dst.copy_from_slice(&s.to_le_bytes());
            }
            self.w.write_all(&buf[..chunk.len() * BYTES_PER_SAMPLE])?;
        }
        Ok(())
    }

    /// Checks that every announced sample was written, and flushes.
    pub fn finish(mut self) -> std::io::Result<()> {
        if self.samples_left != 0 {
            return Err(std::io::Error::other(format!(
                "{} samples fewer than the WAV header announced",
                self.samples_left
            )));
        }
        self.w.flush()
    }
}

/// Parses a 32-bit float WAV (as written by [`write_wav_f32`]) into
/// `(sample_rate, channels, interleaved samples)`.
///
/// Unknown chunks are skipped; anything other than format tag 3 with 32 bits per sample is an
/// error.
pub fn read_wav_f32(bytes: &[u8]) -> Result<(u32, u16, Vec<f32>), String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut pos = 12;
    let mut format: Option<(u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes(read4(bytes, pos + 4)?) as usize;
        let body_start = pos + 8;
        let body_end = body_start.checked_add(size).filter(|&e| e <= bytes.len());
        let body_end = body_end.ok_or_else(|| format!("chunk {:?} overruns the file", id))?;
        let body = &bytes[body_start..body_end];
        match id {
            b"fmt " => {
                if body.len() < 16 {
                    return Err("fmt chunk too short".into());
                }
                let tag = u16::from_le_bytes([body[0], body[1]]);
                let channels = u16::from_le_bytes([body[2], body[3]]);
                let rate = u32::from_le_bytes(read4(body, 4)?);
                let bits = u16::from_le_bytes([body[14], body[15]]);
                if tag != FORMAT_IEEE_FLOAT || bits != BITS_PER_SAMPLE || channels == 0 {
                    return Err(format!(
                        "unsupported format tag {tag}, {bits} bits, {channels} ch"
                    ));
                }
                format = Some((rate, channels));
            }
            b"data" => {
                let (rate, channels) = format.ok_or("data chunk before fmt chunk")?;
                if !body.len().is_multiple_of(BYTES_PER_SAMPLE) {
                    return Err("data size is not a whole number of samples".into());
                }
                let samples = body
                    .chunks_exact(BYTES_PER_SAMPLE)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                return Ok((rate, channels, samples));
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        pos = body_end + (size & 1);
    }
    Err("no data chunk".into())
}

/// Size in bytes of one stored sample.
const BYTES_PER_SAMPLE: usize = 4;

/// Bits per stored sample.
const BITS_PER_SAMPLE: u16 = 32;

/// WAVE format tag for IEEE floating-point samples.
const FORMAT_IEEE_FLOAT: u16 = 3;

/// Size in bytes of the fmt chunk body (16 PCM bytes plus the 2-byte extension size).
const FMT_CHUNK_BYTES: u32 = 18;

/// Total header size in bytes: RIFF (12) + fmt (8 + 18) + fact (8 + 4) + data header (8).
const HEADER_BYTES: u32 = 12 + 8 + FMT_CHUNK_BYTES + 8 + 4 + 8;

fn read4(bytes: &[u8], at: usize) -> Result<[u8; 4], String> {
    bytes
        .get(at..at + 4)
        .map(|b| [b[0], b[1], b[2], b[3]])
        .ok_or_else(|| "truncated header".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_preserves_everything() {
        let samples: Vec<f32> = (0..1001).map(|i| ((i as f32) * 0.37).sin() * 0.9).collect();
        let mut samples = samples;
        samples.push(-1.0);
        samples.push(f32::MIN_POSITIVE);
        let mut bytes = Vec::new();
        write_wav_f32(&mut bytes, 48_000, 2, &samples).unwrap();
        assert_eq!(bytes.len(), HEADER_BYTES as usize + samples.len() * 4);
        let (rate, ch, back) = read_wav_f32(&bytes).unwrap();
        assert_eq!((rate, ch), (48_000, 2));
        assert_eq!(back, samples);
        // The RIFF size field covers everything after its own 8 bytes.
        assert_eq!(
            u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize,
            bytes.len() - 8
        );
    }

    #[test]
    fn reader_rejects_garbage_and_truncation() {
        assert!(read_wav_f32(b"nonsense").is_err());
        let mut bytes = Vec::new();
        write_wav_f32(&mut bytes, 48_000, 1, &[0.5; 10]).unwrap();
        assert!(read_wav_f32(&bytes[..bytes.len() - 3]).is_err());
        let mut pcm = bytes.clone();
        pcm[20] = 1; // format tag 1 = integer PCM, which the reader does not accept
        assert!(read_wav_f32(&pcm).is_err());
    }
}
