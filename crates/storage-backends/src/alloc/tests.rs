use super::*;

#[test]
fn zeroed_and_copied_have_exact_contents() {
    let too_large = StorageError::TooLarge { offset: 0, len: 0 };
    assert_eq!(&zeroed(5, too_large.clone()).expect("small")[..], &[0; 5]);
    assert_eq!(&copied(b"abc").expect("small")[..], b"abc");
    assert!(zeroed(0, too_large).expect("empty").is_empty());
}

#[test]
fn exact_buffer_takes_a_unique_buffer_and_copies_anything_else() {
    let owned = Bytes::from(vec![1u8; 100]);
    let at = owned.as_ptr();
    let buf = exact_buffer(owned).expect("small");
    assert_eq!((buf.as_ptr(), buf.len(), buf.capacity()), (at, 100, 100));

    let mut roomy = Vec::with_capacity(1000);
    roomy.extend_from_slice(&[2u8; 10]);
    let buf = exact_buffer(Bytes::from(roomy)).expect("small");
    assert_eq!(
        (buf.len(), buf.capacity()),
        (10, 10),
        "no spare capacity kept"
    );

    let shared = Bytes::from(vec![3u8; 100]);
    let buf = exact_buffer(shared.clone()).expect("small");
    assert_ne!(buf.as_ptr(), shared.as_ptr(), "a shared buffer is copied");
    assert_eq!((&buf[..], buf.capacity()), (&shared[..], 100));
    let slice = exact_buffer(shared.slice(10..20)).expect("small");
    assert_eq!((&slice[..], slice.capacity()), (&[3u8; 10][..], 10));
}

#[test]
fn impossible_sizes_are_errors_not_aborts() {
    let too_large = StorageError::TooLarge { offset: 1, len: 2 };
    assert_eq!(try_buffer(u64::MAX, too_large.clone()), Err(too_large));
    assert_eq!(
        try_buffer(1 << 62, StorageError::TooLarge { offset: 0, len: 0 }).map(|_| ()),
        Err(StorageError::AllocationFailed { bytes: 1 << 62 })
    );
    let mut buf = vec![1u8; 3];
    assert!(grow_zeroed(&mut buf, 1 << 62, usize::MAX).is_err());
    assert_eq!(buf, [1, 1, 1]);
    grow_zeroed(&mut buf, 5, usize::MAX).expect("small");
    assert_eq!(buf, [1, 1, 1, 0, 0]);
}
