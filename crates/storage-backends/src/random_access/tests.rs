use super::*;

#[test]
fn overwrite_extend_and_gap() {
    let b = RandomAccessBuffer::from_vec(b"hello".to_vec());
    b.write_at(1, b"EL").expect("small");
    b.write_at(4, b"O!").expect("small");
    b.write_at(8, b"x").expect("small");
    assert_eq!(&b.try_to_bytes().expect("small")[..], b"hELlO!\0\0x");
    assert_eq!(b.len(), 9);
    let mut buf = [0u8; 4];
    assert_eq!(b.read_at(7, &mut buf), 2);
    assert_eq!(&buf[..2], b"\0x");
    assert_eq!(b.read_at(9, &mut buf), 0);
    assert_eq!(b.read_at(u64::MAX, &mut buf), 0);
    assert_eq!(&b.read_bytes(1, 3).expect("small")[..], b"ELl");
}

#[test]
fn impossible_writes_change_nothing() {
    let b = RandomAccessBuffer::from_vec(b"abc".to_vec());
    assert_eq!(
        b.write_at(u64::MAX, b"xy"),
        Err(StorageError::TooLarge {
            offset: u64::MAX,
            len: 2
        })
    );
    assert!(matches!(
        b.write_at(1 << 62, b"x"),
        Err(StorageError::AllocationFailed { .. })
    ));
    assert!(b.resize(1 << 62).is_err());
    assert_eq!(&b.try_to_bytes().expect("small")[..], b"abc");
    assert_eq!(b.len(), 3);
}

#[test]
fn resize_grows_with_zeros_and_frees_on_a_deep_cut() {
    let b = RandomAccessBuffer::from_vec(vec![7; 1000]);
    b.resize(1010).expect("small");
    assert_eq!(
        b.read_bytes(998, 100).expect("small")[..],
        [7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    b.resize(600).expect("small");
    assert_eq!(b.len(), 600);
    assert!(b.capacity() >= 1010);
    b.resize(100).expect("small");
    assert_eq!(b.len(), 100);
    assert!(b.capacity() < 1000);
    assert_eq!(&b.try_to_bytes().expect("small")[..], &[7; 100][..]);
    b.resize(0).expect("small");
    assert!(b.try_to_bytes().expect("empty").is_empty());
    assert_eq!(b.capacity(), 0);
}

#[test]
fn successive_cuts_keep_the_capacity_within_four_times_the_length() {
    let b = RandomAccessBuffer::from_vec(vec![1; 10_000]);
    let mut size = 10_000u64;
    while size > 10 {
        // Each cut keeps more than a quarter of the length before it.
        size = size * 3 / 10;
        b.resize(size).expect("small");
        assert!(
            b.capacity() as u64 <= 4 * size,
            "capacity {} for {size} bytes",
            b.capacity()
        );
    }
}

/// `n` bytes counting up from `seed`, as one chunk.
fn chunk(n: usize, seed: u8) -> Bytes {
    Bytes::from(
        (0..n)
            .map(|i| seed.wrapping_add(i as u8))
            .collect::<Vec<u8>>(),
    )
}

fn content(b: &RandomAccessBuffer) -> Vec<u8> {
    b.try_to_vec().expect("a test file is small")
}

#[test]
fn adoption_shares_large_chunks_and_copies_runs_of_small_ones() {
    use pieces::ADOPT_MIN;
    let big = chunk(ADOPT_MIN, 1);
    let chunks = [chunk(10, 2), chunk(20, 3), big.clone(), chunk(5, 4)];
    let len = chunks.iter().map(|c| c.len() as u64).sum();
    let b = RandomAccessBuffer::adopting(chunks.iter()).expect("small");
    let whole: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
    assert_eq!(content(&b), whole);
    assert_eq!(b.len(), len);
    let pieces = b.pieces_for_test();
    // The two small chunks in one piece, the big one shared, the last copied.
    assert_eq!((pieces.count(), pieces.shared_count()), (3, 1));
    // Each run is copied into a buffer of exactly its length.
    assert_eq!(b.capacity() as u64, len);
    let mut shared = pieces.slices_from(30);
    assert_eq!(shared.next().map(<[u8]>::as_ptr), Some(big.as_ptr()));
}

#[test]
fn a_write_takes_over_an_unshared_piece_and_copies_a_shared_one() {
    use pieces::ADOPT_MIN;
    let first = chunk(ADOPT_MIN, 1);
    let second = chunk(ADOPT_MIN, 2);
    let at = second.as_ptr();
    let b = RandomAccessBuffer::adopting([first.clone(), second].iter()).expect("small");
    // A write across the boundary: the first piece is still held by
    // `first` (a reader of the old chunks), the second by nothing else.
    let offset = ADOPT_MIN as u64 - 2;
    b.write_at(offset, b"abcd").expect("small");
    let mut want: Vec<u8> = first
        .iter()
        .chain(chunk(ADOPT_MIN, 2).iter())
        .copied()
        .collect();
    want[ADOPT_MIN - 2..ADOPT_MIN + 2].copy_from_slice(b"abcd");
    assert_eq!(content(&b), want);
    assert_eq!(
        &first[..],
        &chunk(ADOPT_MIN, 1)[..],
        "the old reader's bytes"
    );
    let pieces = b.pieces_for_test();
    assert_eq!(pieces.shared_count(), 0);
    let mut slices = pieces.slices_from(ADOPT_MIN as u64);
    assert_eq!(slices.next().map(<[u8]>::as_ptr), Some(at), "taken over");
}

#[test]
fn growth_fills_pieces_of_bounded_size_with_bounded_spare_room() {
    use pieces::PIECE_MAX;
    let b = RandomAccessBuffer::from_vec(Vec::new());
    let piece = vec![9u8; 100_000];
    let mut len = 0u64;
    for _ in 0..30 {
        b.write_at(len, &piece).expect("small");
        len += piece.len() as u64;
        let spare = b.capacity() as u64 - len;
        assert!(
            spare < PIECE_MAX as u64 && spare <= len,
            "{spare} spare at {len}"
        );
    }
    assert_eq!(
        b.pieces_for_test().count(),
        (len as usize).div_ceil(PIECE_MAX)
    );
    // A gap past the end reads as zeros, across pieces.
    b.write_at(len + 3 * PIECE_MAX as u64, b"end")
        .expect("small");
    let all = content(&b);
    assert_eq!(all.len() as u64, len + 3 * PIECE_MAX as u64 + 3);
    assert!(all[..len as usize].iter().all(|&x| x == 9));
    assert!(all[len as usize..all.len() - 3].iter().all(|&x| x == 0));
    // Overwrites spanning several pieces land where they should.
    let span = vec![5u8; 2 * PIECE_MAX + 17];
    b.write_at(PIECE_MAX as u64 - 8, &span).expect("small");
    let mut want = all;
    want[PIECE_MAX - 8..3 * PIECE_MAX + 9].fill(5);
    assert_eq!(content(&b), want);
    let mut buf = vec![0u8; want.len() + 10];
    assert_eq!(b.read_at(0, &mut buf), want.len());
    assert_eq!(&buf[..want.len()], &want[..]);
}

#[test]
fn a_cut_inside_a_shared_piece_frees_the_rest_of_it() {
    use pieces::ADOPT_MIN;
    let held = chunk(4 * ADOPT_MIN, 7);
    let b = RandomAccessBuffer::adopting([held.clone()].iter()).expect("small");
    b.resize(10).expect("small");
    assert_eq!(content(&b), &held[..10]);
    assert_eq!(b.capacity(), 10, "a copy of the kept part, not a slice");
    b.resize(20).expect("small");
    assert_eq!(&content(&b)[10..], &[0; 10]);
}

#[test]
fn runs_of_small_chunks_between_big_ones_keep_no_spare_room() {
    use pieces::ADOPT_MIN;
    let chunks: Vec<Bytes> = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                chunk(100, i)
            } else {
                chunk(ADOPT_MIN, i)
            }
        })
        .collect();
    let b = RandomAccessBuffer::adopting(chunks.iter()).expect("small");
    let len: usize = chunks.iter().map(Bytes::len).sum();
    assert_eq!(b.capacity(), len, "each 100-byte run in 100 bytes");
    let whole: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
    assert_eq!(content(&b), whole);
}

#[test]
fn a_write_to_a_slice_of_a_larger_buffer_copies_just_the_slice() {
    use pieces::ADOPT_MIN;
    // A chunk nothing else holds, but cut from a buffer four times its size
    // (as a `Bytes` a user gave can be): taking it over would keep it all.
    let roomy = Bytes::from(vec![5u8; 4 * ADOPT_MIN]).slice(..ADOPT_MIN);
    let b = RandomAccessBuffer::adopting([roomy].iter()).expect("small");
    b.write_at(0, b"ab").expect("small");
    assert_eq!(b.capacity(), ADOPT_MIN, "a copy of the slice alone");
    assert_eq!(&content(&b)[..3], b"ab\x05");
}
