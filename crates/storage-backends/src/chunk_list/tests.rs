use super::*;

fn list_of(parts: &[&[u8]]) -> ChunkList {
    parts.iter().fold(ChunkList::new(), |l, p| {
        l.appended(Bytes::copy_from_slice(p)).expect("small")
    })
}

fn all(l: &ChunkList) -> Vec<u8> {
    let mut v = Vec::new();
    l.copy_into(&mut v);
    v
}

#[test]
fn reads_cross_chunk_boundaries() {
    let l = list_of(&[b"abc", b"de", b"", b"fghij"]);
    assert_eq!(l.count(), 3);
    assert_eq!(l.len(), 10);
    for offset in 0..=11u64 {
        for size in 0..12usize {
            let mut buf = vec![0; size];
            let n = l.read_at(offset, &mut buf);
            let want = &b"abcdefghij"[(offset as usize).min(10)..];
            let want = &want[..want.len().min(size)];
            assert_eq!(&buf[..n], want, "offset {offset} size {size}");
            assert_eq!(&l.read_bytes(offset, size).expect("small")[..], want);
        }
    }
    assert_eq!(&l.try_to_bytes().expect("small")[..], b"abcdefghij");
}

#[test]
fn older_lists_keep_their_view_after_appends_and_growth() {
    let mut lists = vec![ChunkList::new()];
    for i in 0..40u8 {
        let next = lists[lists.len() - 1]
            .appended(Bytes::from(vec![i; usize::from(i) + 1]))
            .expect("small");
        lists.push(next);
    }
    for (k, l) in lists.iter().enumerate() {
        assert_eq!(l.count(), k);
        let expect: Vec<u8> = (0..k as u8)
            .flat_map(|i| std::iter::repeat_n(i, usize::from(i) + 1))
            .collect();
        assert_eq!(all(l), expect);
        assert_eq!(l.len(), expect.len() as u64);
    }
}

#[test]
fn appending_to_a_set_slot_moves_to_a_new_slab() {
    let a = list_of(&[b"ab"]);
    let b = a.appended(Bytes::from_static(b"cd")).expect("small");
    // `a` is no longer current; appending to it must not disturb `b`.
    let c = a.appended(Bytes::from_static(b"XY")).expect("small");
    assert_eq!(all(&b), b"abcd");
    assert_eq!(all(&c), b"abXY");
}

#[test]
fn truncate_shares_whole_chunks_and_copies_a_cut_one() {
    let first = Bytes::from_static(b"abcd");
    let second = Bytes::from(b"efgh".to_vec());
    let l = ChunkList::new()
        .appended(first.clone())
        .and_then(|l| l.appended(second.clone()))
        .expect("small");
    let (t, dropped) = l.truncated(6).expect("small");
    assert_eq!((t.count(), dropped, t.len()), (2, 0, 6));
    assert_eq!(all(&t), b"abcdef");
    let read = |offset| t.read_bytes(offset, 4).expect("small");
    assert_eq!(read(0).as_ptr(), first.as_ptr());
    assert_ne!(read(4).as_ptr(), second.as_ptr());

    let (t, dropped) = l.truncated(4).expect("small");
    assert_eq!((t.count(), dropped, all(&t)), (1, 1, b"abcd".to_vec()));
    let (t, dropped) = l.truncated(0).expect("small");
    assert_eq!((t.count(), dropped, t.len()), (0, 2, 0));
    // The original is untouched and a truncated list appends normally.
    assert_eq!(all(&l), b"abcdefgh");
    let (t, _) = l.truncated(5).expect("small");
    let t = t.appended(Bytes::from_static(b"Z")).expect("small");
    assert_eq!(all(&t), b"abcdeZ");
}
