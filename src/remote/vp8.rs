//! VP8 encoding through Debian's libvpx: the one place where Stillpoint
//! calls a C library by hand (the sys crate gives only its declarations).
//! Everything unsafe is here, each call with why it is sound; what leaves
//! is safe: [`Vp8Encoder::encode`] takes an I420 picture and gives frames.
#![allow(unsafe_code)]

use std::os::raw::{c_int, c_long, c_ulong};

use vpx_sys as vpx;

/// One encoded frame.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The frame, as RTP carries it (str0m packetises it).
    pub data: Vec<u8>,
    /// A key frame: it decodes on its own.
    pub key: bool,
}

/// A real-time VP8 encoder for pictures of one size. Not `Send`: it is
/// made and used on the thread that encodes.
pub struct Vp8Encoder {
    /// Boxed: libvpx keeps pointers into it, so it never moves.
    ctx: Box<vpx::vpx_codec_ctx_t>,
    width: u32,
    height: u32,
    pts: i64,
}

/// libvpx's answer as a result.
fn check(what: &str, err: vpx::vpx_codec_err_t) -> Result<(), String> {
    if err == vpx::vpx_codec_err_t::VPX_CODEC_OK {
        Ok(())
    } else {
        Err(format!("{what}: libvpx said {err:?}"))
    }
}

impl Vp8Encoder {
    /// An encoder for `width`×`height` (even numbers) at `fps` frames a
    /// second and about `kbps` kilobits a second, tuned for a live picture:
    /// no frames held back, the fastest setting, a key frame at least every
    /// four seconds, and each frame decodable after a loss as far as VP8
    /// allows.
    pub fn new(width: u32, height: u32, fps: u32, kbps: u32) -> Result<Self, String> {
        if width == 0 || height == 0 || width % 2 == 1 || height % 2 == 1 {
            return Err(format!("{width}×{height}: not an even picture size"));
        }
        let mut cfg = vpx::vpx_codec_enc_cfg::default();
        // SAFETY: vpx_codec_vp8_cx returns a pointer to libvpx's static
        // interface; the config is a plain struct it fills in.
        let iface = unsafe { vpx::vpx_codec_vp8_cx() };
        check("the default settings", unsafe {
            vpx::vpx_codec_enc_config_default(iface, &mut cfg, 0)
        })?;
        cfg.g_w = width;
        cfg.g_h = height;
        cfg.g_timebase = vpx::vpx_rational {
            num: 1,
            den: fps as c_int,
        };
        cfg.rc_target_bitrate = kbps;
        cfg.g_threads = 1;
        cfg.g_lag_in_frames = 0;
        cfg.g_error_resilient = 1;
        cfg.rc_end_usage = vpx::vpx_rc_mode::VPX_CBR;
        cfg.kf_max_dist = fps * 4;
        let mut ctx = Box::new(vpx::vpx_codec_ctx_t::default());
        // SAFETY: ctx is zeroed, boxed (it does not move after this), and
        // the config outlives the call; the ABI version is the one the
        // declarations were made for.
        check("starting the encoder", unsafe {
            vpx::vpx_codec_enc_init_ver(
                &mut *ctx,
                iface,
                &cfg,
                0,
                vpx::VPX_ENCODER_ABI_VERSION as c_int,
            )
        })?;
        let encoder = Self {
            ctx,
            width,
            height,
            pts: 0,
        };
        // SAFETY: a control of the VP8 encoder taking one int, on an
        // initialised context. 10: the fastest real-time setting.
        let mut encoder = encoder;
        check("its speed", unsafe {
            vpx::vpx_codec_control_(
                &mut *encoder.ctx,
                vpx::vp8e_enc_control_id::VP8E_SET_CPUUSED as c_int,
                10 as c_int,
            )
        })?;
        Ok(encoder)
    }

    /// Encodes one I420 picture (the Y plane, then U and V at half size
    /// each way); a key frame when `key` is asked or the encoder chooses.
    pub fn encode(&mut self, i420: &[u8], key: bool) -> Result<Vec<Encoded>, String> {
        let (w, h) = (self.width as usize, self.height as usize);
        if i420.len() != w * h * 3 / 2 {
            return Err(format!(
                "{} bytes is not a {w}×{h} I420 picture",
                i420.len()
            ));
        }
        let mut image = vpx::vpx_image_t::default();
        // SAFETY: vpx_img_wrap only describes the buffer (planes and
        // strides into it) in `image`; the buffer is as long as an I420
        // picture of this size (checked above) and outlives the encode
        // below, which only reads it.
        let wrapped = unsafe {
            vpx::vpx_img_wrap(
                &mut image,
                vpx::vpx_img_fmt::VPX_IMG_FMT_I420,
                self.width,
                self.height,
                1,
                i420.as_ptr().cast_mut(),
            )
        };
        if wrapped.is_null() {
            return Err("the picture could not be described to libvpx".into());
        }
        let flags = if key {
            vpx::VPX_EFLAG_FORCE_KF as c_long
        } else {
            0
        };
        // SAFETY: an initialised context and a wrapped image of its size.
        check("encoding", unsafe {
            vpx::vpx_codec_encode(
                &mut *self.ctx,
                &image,
                self.pts,
                1,
                flags,
                vpx::VPX_DL_REALTIME as c_ulong,
            )
        })?;
        self.pts += 1;
        let mut out = Vec::new();
        let mut iter: vpx::vpx_codec_iter_t = std::ptr::null();
        loop {
            // SAFETY: the iterator is libvpx's own, started null; each
            // packet it returns is valid until the next call on the context.
            let packet = unsafe { vpx::vpx_codec_get_cx_data(&mut *self.ctx, &mut iter) };
            if packet.is_null() {
                break;
            }
            // SAFETY: not null, and valid until the next call (above).
            let packet = unsafe { &*packet };
            if packet.kind != vpx::vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT {
                continue;
            }
            // SAFETY: a frame packet's union member is `frame`; its buffer
            // holds `sz` bytes, copied out before the next call.
            let frame = unsafe { packet.data.frame };
            let data =
                unsafe { std::slice::from_raw_parts(frame.buf as *const u8, frame.sz as usize) }
                    .to_vec();
            out.push(Encoded {
                data,
                key: frame.flags & vpx::VPX_FRAME_IS_KEY != 0,
            });
        }
        Ok(out)
    }
}

impl Drop for Vp8Encoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in `new` and is destroyed
        // once, here.
        unsafe {
            vpx::vpx_codec_destroy(&mut *self.ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_key_frame_first_and_when_asked_and_refuses_a_wrong_size() {
        let (w, h) = (64, 36);
        let mut encoder = Vp8Encoder::new(w, h, 15, 300).unwrap();
        let mut picture = vec![128u8; (w * h * 3 / 2) as usize];
        let first = encoder.encode(&picture, false).unwrap();
        assert_eq!(first.len(), 1);
        assert!(first[0].key, "the first frame is a key frame");
        // The VP8 key frame's start code (RFC 6386, 9.1).
        assert_eq!(&first[0].data[3..6], &[0x9d, 0x01, 0x2a]);
        picture[..(w * h) as usize / 2].fill(40);
        let next = encoder.encode(&picture, false).unwrap();
        assert!(!next[0].key, "then a frame that needs the last");
        let asked = encoder.encode(&picture, true).unwrap();
        assert!(asked[0].key, "a key frame when asked");
        assert!(encoder.encode(&picture[1..], false).is_err());
        assert!(Vp8Encoder::new(63, 36, 15, 300).is_err());
    }
}
