//! Reference int16 dot products.

/// `Σ a[i]·b[i]` over the common length, in wrapping int32 arithmetic.
#[inline(always)]
pub fn dot_i16(a: &[i16], b: &[i16]) -> i32 {
    let mut acc = 0i32;
    for (&x, &y) in a.iter().zip(b) {
        acc = acc.wrapping_add(x as i32 * y as i32);
    }
    acc
}

/// `Σ a_j[i]·b[i]` for four rows `a_0..a_3` against one `b`: `b` is loaded once for four rows.
/// Over the common length of the five slices.
#[inline(always)]
pub fn dot4_i16(a: [&[i16]; 4], b: &[i16]) -> [i32; 4] {
    let n = a.iter().fold(b.len(), |n, r| n.min(r.len()));
    let (a0, a1, a2, a3, b) = (&a[0][..n], &a[1][..n], &a[2][..n], &a[3][..n], &b[..n]);
    let mut acc = [0i32; 4];
    for i in 0..n {
        let y = b[i] as i32;
        acc[0] = acc[0].wrapping_add(a0[i] as i32 * y);
        acc[1] = acc[1].wrapping_add(a1[i] as i32 * y);
        acc[2] = acc[2].wrapping_add(a2[i] as i32 * y);
        acc[3] = acc[3].wrapping_add(a3[i] as i32 * y);
    }
    acc
}
