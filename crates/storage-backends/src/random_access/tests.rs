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
