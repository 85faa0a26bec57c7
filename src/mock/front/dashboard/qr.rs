//! QR codes (ISO/IEC 18004) for the dashboard's Native orders: byte mode, error correction
//! level M, versions 1 to 10 (up to 213 bytes: a link of the dashboard fits in version 6 or 7),
//! the mask of least penalty; drawn as SVG. Small enough to write here rather than depend on a
//! crate for one picture.

/// Per version 1 to 10 at level M: error correction codewords per block, then the blocks as
/// (count, data codewords each).
const BLOCKS: [(usize, [(usize, usize); 2]); 10] = [
    (10, [(1, 16), (0, 0)]),
    (16, [(1, 28), (0, 0)]),
    (26, [(1, 44), (0, 0)]),
    (18, [(2, 32), (0, 0)]),
    (24, [(2, 43), (0, 0)]),
    (16, [(4, 27), (0, 0)]),
    (18, [(4, 31), (0, 0)]),
    (22, [(2, 38), (2, 39)]),
    (22, [(3, 36), (2, 37)]),
    (26, [(4, 43), (1, 44)]),
];

/// Centres of the alignment patterns, per version.
const ALIGN: [&[usize]; 10] = [
    &[],
    &[6, 18],
    &[6, 22],
    &[6, 26],
    &[6, 30],
    &[6, 34],
    &[6, 22, 38],
    &[6, 24, 42],
    &[6, 26, 46],
    &[6, 28, 50],
];

/// The modules, `true` dark, row by row; `None` when `data` is over version 10's capacity.
pub(crate) fn encode(data: &[u8]) -> Option<Vec<Vec<bool>>> {
    let (version, codewords) = (1..=10).find_map(|v| Some((v, codewords(v, data)?)))?;
    let mut q = Matrix::new(version);
    q.function_patterns();
    q.place(&codewords);
    let mut best: Option<(u32, Matrix)> = None;
    for mask in 0..8 {
        let mut m = q.clone();
        m.apply(mask);
        m.format(mask);
        let p = m.penalty();
        if best.as_ref().is_none_or(|(b, _)| p < *b) {
            best = Some((p, m));
        }
    }
    best.map(|(_, m)| m.modules)
}

/// An SVG of the code with its quiet zone of 4 modules.
pub(crate) fn svg(data: &[u8]) -> Option<String> {
    let m = encode(data)?;
    let n = m.len() + 8;
    let mut path = String::new();
    for (y, row) in m.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if *dark {
                path.push_str(&format!("M{},{}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// The data and error correction codewords, interleaved; `None` if `data` does not fit.
fn codewords(version: usize, data: &[u8]) -> Option<Vec<u8>> {
    let (ec, groups) = BLOCKS[version - 1];
    let capacity: usize = groups.iter().map(|(n, k)| n * k).sum();
    let count_bits = if version <= 9 { 8 } else { 16 };
    if 4 + count_bits + 8 * data.len() > capacity * 8 {
        return None;
    }
    let mut bits = Vec::with_capacity(capacity * 8);
    let mut push =
        |value: usize, n: usize| (0..n).rev().for_each(|i| bits.push((value >> i) & 1 == 1));
    push(0b0100, 4);
    push(data.len(), count_bits);
    data.iter().for_each(|b| push(*b as usize, 8));
    let terminator = (capacity * 8 - bits.len()).min(4);
    bits.extend(std::iter::repeat_n(false, terminator));
    while bits.len() % 8 != 0 {
        bits.push(false);
    }
    let mut bytes: Vec<u8> = bits
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |acc, b| acc << 1 | u8::from(*b)))
        .collect();
    for pad in [0xEC, 0x11].into_iter().cycle() {
        if bytes.len() == capacity {
            break;
        }
        bytes.push(pad);
    }
    let divisor = rs_divisor(ec);
    let mut blocks = Vec::new();
    let mut rest = bytes.as_slice();
    for (count, size) in groups {
        for _ in 0..count {
            let (block, tail) = rest.split_at(size);
            blocks.push((block.to_vec(), rs_remainder(block, &divisor)));
            rest = tail;
        }
    }
    let longest = blocks.iter().map(|(d, _)| d.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for i in 0..longest {
        out.extend(blocks.iter().filter_map(|(d, _)| d.get(i)));
    }
    for i in 0..ec {
        out.extend(blocks.iter().map(|(_, e)| e[i]));
    }
    Some(out)
}

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
fn gf_mul(x: u8, y: u8) -> u8 {
    let mut z: u16 = 0;
    for i in (0..8).rev() {
        z = (z << 1) ^ ((z >> 7) * 0x11D);
        z ^= ((u16::from(y) >> i) & 1) * u16::from(x);
    }
    z as u8
}

/// The generator polynomial of `degree` (roots 2^0 … 2^(degree-1)), highest term dropped.
fn rs_divisor(degree: usize) -> Vec<u8> {
    let mut result = vec![0u8; degree];
    result[degree - 1] = 1;
    let mut root = 1u8;
    for _ in 0..degree {
        for j in 0..degree {
            result[j] = gf_mul(result[j], root);
            if j + 1 < degree {
                result[j] ^= result[j + 1];
            }
        }
        root = gf_mul(root, 2);
    }
    result
}

fn rs_remainder(data: &[u8], divisor: &[u8]) -> Vec<u8> {
    let mut result = vec![0u8; divisor.len()];
    for b in data {
        let factor = b ^ result.remove(0);
        result.push(0);
        for (r, d) in result.iter_mut().zip(divisor) {
            *r ^= gf_mul(*d, factor);
        }
    }
    result
}

#[derive(Clone)]
struct Matrix {
    version: usize,
    size: usize,
    modules: Vec<Vec<bool>>,
    function: Vec<Vec<bool>>,
}

impl Matrix {
    fn new(version: usize) -> Matrix {
        let size = 17 + 4 * version;
        Matrix {
            version,
            size,
            modules: vec![vec![false; size]; size],
            function: vec![vec![false; size]; size],
        }
    }

    fn set(&mut self, x: usize, y: usize, dark: bool) {
        self.modules[y][x] = dark;
        self.function[y][x] = true;
    }

    fn function_patterns(&mut self) {
        let s = self.size;
        for i in 0..s {
            self.set(6, i, i % 2 == 0);
            self.set(i, 6, i % 2 == 0);
        }
        for (cx, cy) in [(3, 3), (s - 4, 3), (3, s - 4)] {
            for dy in -4i32..=4 {
                for dx in -4i32..=4 {
                    let (x, y) = (cx as i32 + dx, cy as i32 + dy);
                    if (0..s as i32).contains(&x) && (0..s as i32).contains(&y) {
                        let d = dx.abs().max(dy.abs());
                        self.set(x as usize, y as usize, d != 2 && d != 4);
                    }
                }
            }
        }
        let align = ALIGN[self.version - 1];
        let last = align.len().saturating_sub(1);
        for (i, &cx) in align.iter().enumerate() {
            for (j, &cy) in align.iter().enumerate() {
                // The three corners with finder patterns have none.
                if (i == 0 || i == last) && (j == 0 || j == last) && !(i == last && j == last) {
                    continue;
                }
                for dy in -2i32..=2 {
                    for dx in -2i32..=2 {
                        let d = dx.abs().max(dy.abs());
                        self.set((cx as i32 + dx) as usize, (cy as i32 + dy) as usize, d != 1);
                    }
                }
            }
        }
        // Reserve the format areas (drawn per mask) and draw the version information.
        self.format(0);
        if self.version >= 7 {
            let mut rem = self.version as u32;
            for _ in 0..12 {
                rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
            }
            let bits = (self.version as u32) << 12 | rem;
            for i in 0..18 {
                let dark = (bits >> i) & 1 == 1;
                let (a, b) = (s - 11 + i % 3, i / 3);
                self.set(a, b, dark);
                self.set(b, a, dark);
            }
        }
    }

    /// The 15 format bits (level M, `mask`) in their two places, and the dark module.
    fn format(&mut self, mask: u32) {
        let data = mask; // level M's bits are 00
        let mut rem = data;
        for _ in 0..10 {
            rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        }
        let bits = (data << 10 | rem) ^ 0x5412;
        let bit = |i: usize| (bits >> i) & 1 == 1;
        let s = self.size;
        for i in 0..=5 {
            self.set(8, i, bit(i));
        }
        self.set(8, 7, bit(6));
        self.set(8, 8, bit(7));
        self.set(7, 8, bit(8));
        for i in 9..15 {
            self.set(14 - i, 8, bit(i));
        }
        for i in 0..8 {
            self.set(s - 1 - i, 8, bit(i));
        }
        for i in 8..15 {
            self.set(8, s - 15 + i, bit(i));
        }
        self.set(8, s - 8, true);
    }

    /// The codewords in the zigzag of column pairs, right to left, skipping the timing column.
    fn place(&mut self, data: &[u8]) {
        let s = self.size as i32;
        let mut i = 0usize;
        let mut right = s - 1;
        while right >= 1 {
            if right == 6 {
                right = 5;
            }
            for vert in 0..s {
                for j in 0..2 {
                    let x = (right - j) as usize;
                    let upward = (right + 1) & 2 == 0;
                    let y = if upward { s - 1 - vert } else { vert } as usize;
                    if !self.function[y][x] && i < data.len() * 8 {
                        self.modules[y][x] = (data[i >> 3] >> (7 - (i & 7))) & 1 == 1;
                        i += 1;
                    }
                }
            }
            right -= 2;
        }
    }

    fn apply(&mut self, mask: u32) {
        for y in 0..self.size {
            for x in 0..self.size {
                let invert = match mask {
                    0 => (x + y) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (x + y) % 3 == 0,
                    4 => (x / 3 + y / 2) % 2 == 0,
                    5 => x * y % 2 + x * y % 3 == 0,
                    6 => (x * y % 2 + x * y % 3) % 2 == 0,
                    _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                };
                if invert && !self.function[y][x] {
                    self.modules[y][x] ^= true;
                }
            }
        }
    }

    /// The standard's penalty: runs of five or more, 2×2 blocks, finder-like patterns, and the
    /// dark share away from half.
    fn penalty(&self) -> u32 {
        let s = self.size;
        let m = &self.modules;
        let mut score = 0u32;
        let lines = (0..s).flat_map(|i| {
            [
                (0..s).map(|j| m[i][j]).collect::<Vec<_>>(),
                (0..s).map(|j| m[j][i]).collect::<Vec<_>>(),
            ]
        });
        const FINDER: [bool; 11] = [
            true, false, true, true, true, false, true, false, false, false, false,
        ];
        for line in lines {
            let mut run = 1;
            for j in 1..=s {
                if j < s && line[j] == line[j - 1] {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += 3 + (run - 5) as u32;
                    }
                    run = 1;
                }
            }
            for w in line.windows(11) {
                let rev = w.iter().rev().copied().eq(FINDER.iter().copied());
                if w == FINDER || rev {
                    score += 40;
                }
            }
        }
        for y in 0..s - 1 {
            for x in 0..s - 1 {
                let c = m[y][x];
                if m[y][x + 1] == c && m[y + 1][x] == c && m[y + 1][x + 1] == c {
                    score += 3;
                }
            }
        }
        let dark = m.iter().flatten().filter(|d| **d).count() as i64;
        let total = (s * s) as i64;
        let k = ((dark * 20 - total * 10).abs() + total - 1) / total - 1;
        score + 10 * k as u32
    }
}

#[cfg(test)]
#[path = "qr_tests.rs"]
mod tests;
