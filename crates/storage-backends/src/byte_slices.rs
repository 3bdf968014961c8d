//! Copying a file's bytes out of the slices that hold them in order (a
//! chunk list's chunks, a random-access file's pieces), from wherever a read
//! starts. Both layouts hand their slices from an offset over as an
//! iterator (the first one cut at the offset) and copy with these, so a
//! read is written once.
//!
//! Who may call: the storage layouts, holding whatever keeps their slices
//! stable (a chunk list is immutable; pieces are read under their lock).

/// Copies the bytes of `slices`, in order, into `buf` until it is full or
/// they run out; how many were copied.
pub(crate) fn copy_into<'a>(slices: impl Iterator<Item = &'a [u8]>, buf: &mut [u8]) -> usize {
    let mut done = 0;
    for src in slices {
        let n = src.len().min(buf.len() - done);
        buf[done..done + n].copy_from_slice(&src[..n]);
        done += n;
        if done == buf.len() {
            break;
        }
    }
    done
}

/// Appends up to `max` bytes of `slices`, in order, onto `out`; how many.
/// The caller reserves the room first, so no append reallocates.
pub(crate) fn append_up_to<'a>(
    slices: impl Iterator<Item = &'a [u8]>,
    max: usize,
    out: &mut Vec<u8>,
) -> usize {
    let mut done = 0;
    for src in slices {
        let n = src.len().min(max - done);
        out.extend_from_slice(&src[..n]);
        done += n;
        if done == max {
            break;
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::{append_up_to, copy_into};

    const SLICES: [&[u8]; 3] = [b"abc", b"", b"defg"];

    #[test]
    fn copy_into_fills_the_buffer_across_slices_and_stops_when_full() {
        let mut buf = [0u8; 5];
        assert_eq!(copy_into(SLICES.into_iter(), &mut buf), 5);
        assert_eq!(&buf, b"abcde");
        let mut big = [0u8; 10];
        assert_eq!(copy_into(SLICES.into_iter(), &mut big), 7);
        assert_eq!(&big[..7], b"abcdefg");
        assert_eq!(copy_into(SLICES.into_iter(), &mut []), 0);
    }

    #[test]
    fn append_up_to_stops_at_max_or_the_end() {
        let mut out = b"x".to_vec();
        assert_eq!(append_up_to(SLICES.into_iter(), 4, &mut out), 4);
        assert_eq!(out, b"xabcd");
        let mut all = Vec::new();
        assert_eq!(append_up_to(SLICES.into_iter(), usize::MAX, &mut all), 7);
        assert_eq!(all, b"abcdefg");
    }
}
