//! Putting a new VM state in place of a snapshot's, so that an interruption
//! at any point leaves a consistent image with no leaked clusters.
//!
//! Nothing the image refers to is written before the commit. The new state's
//! data clusters, its L2 tables, a new L1 table for the snapshot (and for the
//! active image, when it holds a copy of a state area), a new snapshot table,
//! new copies of every refcount block whose counts change and a new refcount
//! table all go to clusters whose refcount is 0: free ones first, then past
//! the last cluster in use. The refcount copies already count the new
//! clusters and no longer count the old state's (nor the old tables and
//! blocks they replace). One write of the header's L1-, refcount- and
//! snapshot-table fields, 36 bytes in the first sector, switches the image
//! from the old structures to the new ones, after the new ones were flushed;
//! it is flushed too before the call returns. Before that write the image is
//! the old one (what was written unreferenced, with refcount 0), after it the
//! new one; `qemu-img check` finds no error and no leak in either.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::fs::FileExt;

use super::header::{COMMIT_OFFSET, incompatible};
use super::snapshot::encode_table;
use super::{
    COMPRESSED, COPIED, Image, MAX_L1_ENTRIES, MAX_REFCOUNT_TABLE, OFFSET_MASK, Qcow2Error,
    REFCOUNT_TABLE_MASK, Snapshot, be64, read_exact_at, read_u64s,
};

/// What a replacement freed: the clusters of the old state and of the
/// structures the new ones replaced, now refcount 0. A caller may give their
/// space back to the file system (QEMU discards freed clusters the same way).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Replaced {
    /// Freed byte ranges of the image file: `(offset, length)`, merged and
    /// in order.
    pub freed: Vec<(u64, u64)>,
    /// The file's length after the replacement.
    pub file_len: u64,
}

/// Refcount changes, by host cluster index.
type Deltas = BTreeMap<u64, i64>;

pub(super) fn replace(
    image: &mut Image,
    index: usize,
    expected: &Snapshot,
    source: &mut dyn Read,
    len: u64,
) -> Result<Replaced, Qcow2Error> {
    let snapshot = image
        .snapshots
        .get(index)
        .cloned()
        .ok_or_else(|| Qcow2Error::new(format!("no snapshot #{index}")))?;
    refuse_unwritable(image, &snapshot, expected, len)?;
    let old_len = image
        .file
        .metadata()
        .map_err(|e| Qcow2Error::io("cannot read the image's size", 0, &e))?
        .len();
    let plan = plan(image, &snapshot, len)?;
    let written = write_state(image, source, len, &plan)
        .and_then(|()| write_snapshot_table(image, &snapshot, index, len, &plan))
        .and_then(|snapshots| {
            let freed = write_refcounts(image, &plan)?;
            commit(image, &plan)?;
            image.snapshots = snapshots;
            Ok(freed)
        });
    match written {
        Ok(freed) => {
            let file_len = plan.end << image.header.cluster_bits;
            if old_len > file_len {
                // What an interrupted run left past the image's end.
                let _ = image.file.set_len(file_len);
            }
            Ok(Replaced { freed, file_len })
        }
        Err(error) => {
            // Nothing refers to what was written past the old end: drop it.
            let _ = image.file.set_len(old_len);
            Err(error)
        }
    }
}

/// Where each new structure goes (cluster indices), and the refcount changes.
struct Plan {
    /// The snapshot's first L1 entry past the disk.
    first: u64,
    old_l1: Vec<u64>,
    /// The active L1 table's new place and entries, when it changes.
    active_l1: Option<(u64, Vec<u64>)>,
    /// Where each cluster of the new state goes.
    data: Vec<u64>,
    /// Where each of its L2 tables goes.
    l2: Vec<u64>,
    l1_at: u64,
    l1_clusters: u64,
    new_l1_size: u64,
    table_at: u64,
    refcount_table_at: u64,
    refcount_table_clusters: u64,
    blocks_at: u64,
    /// The refcount blocks copied, by index in the refcount table.
    blocks: BTreeSet<u64>,
    old_refcount_table: Vec<u64>,
    deltas: Deltas,
    /// One past the last new cluster.
    end: u64,
}

/// Places the new structures past the old end of the file and counts what
/// they free and take.
fn plan(image: &Image, snapshot: &Snapshot, len: u64) -> Result<Plan, Qcow2Error> {
    let header = &image.header;
    let cluster_size = header.cluster_size();
    let cluster_bits = header.cluster_bits;
    let first = header.vm_state_l1_index(snapshot.disk_size);
    let l2_tables = len.div_ceil(1 << header.l1_coverage_bits());
    let data_clusters = len.div_ceil(cluster_size);
    let new_l1_size = first + l2_tables;
    if new_l1_size > MAX_L1_ENTRIES {
        return Err(Qcow2Error::new(format!(
            "{len} bytes of VM state need an L1 table of {new_l1_size} entries; QEMU allows {MAX_L1_ENTRIES}"
        )));
    }
    let table_bytes = encode_table(&image.snapshots).len() as u64;

    // What the old state and the replaced structures free.
    let mut deltas = Deltas::new();
    let Freed {
        old_l1,
        active_l1,
        old_refcount_table,
    } = free_replaced(image, snapshot, first, table_bytes, &mut deltas)?;

    // Where the new structures go. The state's clusters and its L2 tables
    // take free clusters (refcount 0: what earlier replacements freed)
    // first; the rest goes past the last cluster in use, in this order, the
    // refcount blocks last, since how many there are depends on where
    // everything else is. Nothing the image refers to is overwritten, and
    // what an interrupted run left is written over.
    let tail = first_unused_tail(image, &old_refcount_table)?;
    let l1_clusters = (new_l1_size * 8).div_ceil(cluster_size);
    let active_l1_clusters = active_l1
        .as_ref()
        .map_or(0, |new| (new.len() as u64 * 8).div_ceil(cluster_size));
    let table_clusters = table_bytes.div_ceil(cluster_size);
    let wanted = data_clusters + l2_tables + l1_clusters + active_l1_clusters + table_clusters;
    let mut clusters = Allocator {
        free: free_clusters(image, &old_refcount_table, tail, wanted)?.into(),
        next: tail,
    };
    let data: Vec<u64> = (0..data_clusters).map(|_| clusters.run(1)).collect();
    let l2: Vec<u64> = (0..l2_tables).map(|_| clusters.run(1)).collect();
    let l1_at = clusters.run(l1_clusters);
    let active_l1_at = clusters.run(active_l1_clusters);
    let table_at = clusters.run(table_clusters);
    let refcount_table_at = clusters.next;
    let reused = data
        .iter()
        .chain(&l2)
        .copied()
        .chain((0..l1_clusters).map(|i| l1_at + i))
        .chain((0..active_l1_clusters).map(|i| active_l1_at + i))
        .chain((0..table_clusters).map(|i| table_at + i))
        .filter(|&c| c < tail);
    for cluster in reused {
        *deltas.entry(cluster).or_default() += 1;
    }
    let (blocks, refcount_table_clusters) = place_refcount_blocks(
        header,
        tail,
        refcount_table_at,
        &deltas,
        &old_refcount_table,
    );
    if refcount_table_clusters * cluster_size > MAX_REFCOUNT_TABLE {
        return Err(Qcow2Error::new(
            "the image would need a refcount table larger than QEMU allows",
        ));
    }
    let blocks_at = refcount_table_at + refcount_table_clusters;
    let end = blocks_at + blocks.len() as u64;
    for &block in &blocks {
        let old = table_entry(&old_refcount_table, block);
        if old != 0 {
            free_cluster(&mut deltas, old >> cluster_bits);
        }
    }
    for cluster in tail..end {
        *deltas.entry(cluster).or_default() += 1;
    }
    Ok(Plan {
        first,
        old_l1,
        active_l1: active_l1.map(|new| (active_l1_at, new)),
        data,
        l2,
        l1_at,
        l1_clusters,
        new_l1_size,
        table_at,
        refcount_table_at,
        refcount_table_clusters,
        blocks_at,
        blocks,
        old_refcount_table,
        deltas,
        end,
    })
}

/// The active L1 table refers to a VM state area too after `-loadvm` or
/// `qemu-img snapshot -a`: a copy of a snapshot's, which QEMU drops at the
/// next `savevm`. Left in place it would share the clusters the replacement
/// frees, so it is dropped: freed here, and the active table's new entries
/// returned (`None` when it has no such area).
fn free_active_vm_state(
    image: &Image,
    deltas: &mut Deltas,
) -> Result<Option<Vec<u64>>, Qcow2Error> {
    let header = &image.header;
    if u64::from(header.l1_size) > MAX_L1_ENTRIES {
        return Err(Qcow2Error::at(
            36,
            format!(
                "the active L1 table has {} entries; QEMU allows {MAX_L1_ENTRIES}",
                header.l1_size
            ),
        ));
    }
    let old = read_u64s(
        &image.file,
        header.l1_table_offset,
        u64::from(header.l1_size),
        "the active L1 table",
    )?;
    let first = header.vm_state_l1_index(header.size);
    let skip = usize::try_from(first).unwrap_or(usize::MAX);
    if old.iter().skip(skip).all(|&entry| entry & OFFSET_MASK == 0) {
        return Ok(None);
    }
    free_range(
        deltas,
        header.l1_table_offset,
        u64::from(header.l1_size) * 8,
        header.cluster_bits,
    );
    free_vm_state_area(image, &old, first, deltas, "the active image's")?;
    let mut new = old;
    for entry in new.iter_mut().skip(skip) {
        *entry = 0;
    }
    Ok(Some(new))
}

/// Hands out clusters for the new structures: free ones below the tail
/// first (in order), then clusters past it.
struct Allocator {
    free: std::collections::VecDeque<u64>,
    /// The next cluster past the tail.
    next: u64,
}

impl Allocator {
    /// The first of `count` consecutive clusters (`count` 0: where the next
    /// would go).
    fn run(&mut self, count: u64) -> u64 {
        if count == 0 {
            return self.next;
        }
        let span = usize::try_from(count - 1).unwrap_or(usize::MAX);
        let found = (0..self.free.len().saturating_sub(span))
            .find(|&i| self.free[i] + count - 1 == self.free[i + span]);
        if let Some(i) = found {
            let first = self.free[i];
            self.free.drain(i..=i + span);
            return first;
        }
        self.next += count;
        self.next - count
    }
}

/// Fills `buffer` from `source`, `copied` bytes of `len` being done.
fn fill(source: &mut dyn Read, buffer: &mut [u8], copied: u64, len: u64) -> Result<(), Qcow2Error> {
    let mut done = 0;
    while done < buffer.len() {
        match source.read(&mut buffer[done..]) {
            Ok(0) => {
                return Err(Qcow2Error::new(format!(
                    "the new VM state ended after {} of {len} bytes",
                    copied + done as u64
                )));
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Qcow2Error::new(format!(
                    "cannot read the new VM state: {e}"
                )));
            }
        }
    }
    Ok(())
}

/// Up to `want` clusters below `tail` whose refcount is 0, in order.
fn free_clusters(
    image: &Image,
    refcount_table: &[u64],
    tail: u64,
    want: u64,
) -> Result<Vec<u64>, Qcow2Error> {
    let header = &image.header;
    let per_block = header.refcounts_per_block();
    let mut free = Vec::new();
    let mut bytes = vec![0u8; usize::try_from(header.cluster_size()).unwrap_or(0)];
    for (block, &entry) in refcount_table.iter().enumerate() {
        let first = block as u64 * per_block;
        if first >= tail || free.len() as u64 >= want {
            break;
        }
        let offset = entry & REFCOUNT_TABLE_MASK;
        if offset == 0 {
            bytes.fill(0);
        } else {
            read_exact_at(&image.file, &mut bytes, offset, "a refcount block")?;
        }
        for i in 0..per_block.min(tail - first) {
            if free.len() as u64 >= want {
                break;
            }
            if get_refcount(&bytes, i, header.refcount_order) == 0 {
                free.push(first + i);
            }
        }
    }
    Ok(free)
}

/// The cluster after the last one whose refcount is not 0: from there on
/// nothing in the image is in use.
fn first_unused_tail(image: &Image, refcount_table: &[u64]) -> Result<u64, Qcow2Error> {
    let header = &image.header;
    let per_block = header.refcounts_per_block();
    let mut bytes = vec![0u8; usize::try_from(header.cluster_size()).unwrap_or(0)];
    for (block, &entry) in refcount_table.iter().enumerate().rev() {
        let offset = entry & REFCOUNT_TABLE_MASK;
        if offset == 0 {
            continue;
        }
        read_exact_at(&image.file, &mut bytes, offset, "a refcount block")?;
        if let Some(last) = (0..per_block)
            .rev()
            .find(|&i| get_refcount(&bytes, i, header.refcount_order) != 0)
        {
            return Ok(block as u64 * per_block + last + 1);
        }
    }
    Err(Qcow2Error::at(
        48,
        "no cluster has a refcount, not even the header's: the refcount table is damaged",
    ))
}

/// The refcount table's entries, checked against QEMU's limits.
fn read_refcount_table(image: &Image) -> Result<Vec<u64>, Qcow2Error> {
    let header = &image.header;
    let cluster_size = header.cluster_size();
    let entries = u64::from(header.refcount_table_clusters) * cluster_size / 8;
    if entries * 8 > MAX_REFCOUNT_TABLE
        || !header.refcount_table_offset.is_multiple_of(cluster_size)
    {
        return Err(Qcow2Error::at(
            48,
            "the refcount table is misaligned or larger than QEMU allows",
        ));
    }
    read_u64s(
        &image.file,
        header.refcount_table_offset,
        entries,
        "the refcount table",
    )
}

/// Why this snapshot's state cannot be replaced, if it cannot.
fn refuse_unwritable(
    image: &Image,
    snapshot: &Snapshot,
    expected: &Snapshot,
    len: u64,
) -> Result<(), Qcow2Error> {
    let header = &image.header;
    let named = |message: &str| Qcow2Error::new(format!("snapshot {}: {message}", snapshot.name));
    if header.incompatible_features & incompatible::DIRTY != 0 {
        return Err(named(
            "the image was not closed cleanly (its refcounts may be stale); run `qemu-img check -r all` first",
        ));
    }
    if header.incompatible_features & incompatible::CORRUPT != 0 {
        return Err(named(
            "QEMU marked the image corrupt; run `qemu-img check -r all` first",
        ));
    }
    if header.incompatible_features & incompatible::EXTERNAL_DATA != 0 {
        return Err(named(
            "the image keeps its data in an external data file, which is not supported",
        ));
    }
    if header.crypt_method != 0 {
        return Err(named("the image is encrypted, which is not supported"));
    }
    if snapshot != expected {
        return Err(named(
            "the snapshot changed since its state was read (another program wrote the image); nothing was written",
        ));
    }
    if len == 0 {
        return Err(named("an empty VM state cannot replace a snapshot's"));
    }
    Ok(())
}

fn writer(image: &Image) -> impl Fn(&[u8], u64, &str) -> Result<(), Qcow2Error> + '_ {
    move |bytes, at, what| {
        image
            .file
            .write_all_at(bytes, at)
            .map_err(|e| Qcow2Error::io(&format!("cannot write {what}"), at, &e))
    }
}

/// The new state into consecutive clusters, its L2 tables (every cluster
/// and subcluster allocated) and the snapshot's new L1 table (the disk's
/// entries as they were, then the state's).
fn write_state(
    image: &Image,
    source: &mut dyn Read,
    len: u64,
    plan: &Plan,
) -> Result<(), Qcow2Error> {
    let header = &image.header;
    let write = writer(image);
    let cluster_size = header.cluster_size();
    let cluster_bits = header.cluster_bits;
    let cluster = usize::try_from(cluster_size).unwrap_or(0);
    // The state, cluster by cluster, in runs of consecutive clusters.
    let mut buffer = Vec::new();
    let mut copied = 0u64;
    let mut k = 0;
    while k < plan.data.len() {
        let mut run = 1;
        while k + run < plan.data.len()
            && plan.data[k + run] == plan.data[k] + run as u64
            && (run as u64 + 1) * cluster_size <= 1 << 20
        {
            run += 1;
        }
        let want = (run as u64 * cluster_size).min(len - copied);
        buffer.clear();
        buffer.resize(usize::try_from(run as u64 * cluster_size).unwrap_or(0), 0);
        fill(
            source,
            &mut buffer[..usize::try_from(want).unwrap_or(0)],
            copied,
            len,
        )?;
        write(&buffer, plan.data[k] << cluster_bits, "the VM state")?;
        copied += want;
        k += run;
    }

    let entry_size = usize::try_from(header.l2_entry_size()).unwrap_or(8);
    let per_table = cluster / entry_size;
    for (table, &at) in plan.l2.iter().enumerate() {
        let mut bytes = vec![0u8; cluster];
        for slot in 0..per_table {
            let Some(&host) = plan.data.get(table * per_table + slot) else {
                break;
            };
            let entry = (host << cluster_bits) | COPIED;
            bytes[slot * entry_size..slot * entry_size + 8].copy_from_slice(&entry.to_be_bytes());
            if header.extended_l2() {
                bytes[slot * entry_size + 8..slot * entry_size + 16]
                    .copy_from_slice(&0xffff_ffffu64.to_be_bytes());
            }
        }
        write(&bytes, at << cluster_bits, "an L2 table")?;
    }

    let mut l1 = vec![0u8; usize::try_from(plan.l1_clusters * cluster_size).unwrap_or(0)];
    for i in 0..plan.new_l1_size {
        let entry = if i < plan.first {
            plan.old_l1
                .get(usize::try_from(i).unwrap_or(usize::MAX))
                .copied()
                .unwrap_or(0)
        } else {
            let table = usize::try_from(i - plan.first).unwrap_or(usize::MAX);
            plan.l2
                .get(table)
                .map_or(0, |&at| (at << cluster_bits) | COPIED)
        };
        let at = usize::try_from(i * 8).unwrap_or(0);
        l1[at..at + 8].copy_from_slice(&entry.to_be_bytes());
    }
    write(&l1, plan.l1_at << cluster_bits, "the snapshot's L1 table")?;
    if let Some((at, entries)) = &plan.active_l1 {
        let mut bytes: Vec<u8> = entries.iter().flat_map(|e| e.to_be_bytes()).collect();
        bytes.resize(bytes.len().next_multiple_of(cluster), 0);
        write(&bytes, at << cluster_bits, "the active L1 table")?;
    }
    Ok(())
}

/// The snapshot table with only this snapshot's entry changed; the new
/// table's entries.
fn write_snapshot_table(
    image: &Image,
    snapshot: &Snapshot,
    index: usize,
    len: u64,
    plan: &Plan,
) -> Result<Vec<Snapshot>, Qcow2Error> {
    let cluster_bits = image.header.cluster_bits;
    let mut snapshots = image.snapshots.clone();
    snapshots[index] = snapshot.with_vm_state(
        plan.l1_at << cluster_bits,
        u32::try_from(plan.new_l1_size).unwrap_or(u32::MAX),
        len,
    )?;
    writer(image)(
        &encode_table(&snapshots),
        plan.table_at << cluster_bits,
        "the snapshot table",
    )?;
    Ok(snapshots)
}

/// Copies of the refcount blocks that change, with the changes applied, and
/// the new refcount table; the byte ranges whose count fell to 0.
fn write_refcounts(image: &Image, plan: &Plan) -> Result<Vec<(u64, u64)>, Qcow2Error> {
    let header = &image.header;
    let write = writer(image);
    let cluster_size = header.cluster_size();
    let cluster_bits = header.cluster_bits;
    let per_block = header.refcounts_per_block();
    let order = header.refcount_order;
    let max = if order == 6 {
        u64::MAX
    } else {
        (1u64 << (1u32 << order)) - 1
    };
    let mut refcount_table = plan.old_refcount_table.clone();
    refcount_table.resize(
        usize::try_from(plan.refcount_table_clusters * cluster_size / 8).unwrap_or(0),
        0,
    );
    let mut freed: Vec<(u64, u64)> = Vec::new();
    let mut bytes = vec![0u8; usize::try_from(cluster_size).unwrap_or(0)];
    for (n, &block) in plan.blocks.iter().enumerate() {
        let old = table_entry(&plan.old_refcount_table, block);
        if old == 0 {
            bytes.fill(0);
        } else {
            read_exact_at(&image.file, &mut bytes, old, "a refcount block")?;
        }
        let first_cluster = block * per_block;
        for (&host, &delta) in plan.deltas.range(first_cluster..first_cluster + per_block) {
            let i = host - first_cluster;
            let before = get_refcount(&bytes, i, order);
            let after = i128::from(before) + i128::from(delta);
            if delta > 0 && before != 0 {
                return Err(Qcow2Error::at(
                    host << cluster_bits,
                    "a cluster this tool took as free is counted as in use; run `qemu-img check -r all` first",
                ));
            }
            let after = u64::try_from(after).ok().filter(|&a| a <= max).ok_or_else(|| {
                Qcow2Error::at(
                    host << cluster_bits,
                    format!("the refcount of this cluster is {before}, which cannot change by {delta}; the image's refcounts are inconsistent (run `qemu-img check`)"),
                )
            })?;
            set_refcount(&mut bytes, i, order, after);
            if after == 0 {
                let offset = host << cluster_bits;
                match freed.last_mut() {
                    Some((start, length)) if *start + *length == offset => *length += cluster_size,
                    _ => freed.push((offset, cluster_size)),
                }
            }
        }
        let at = (plan.blocks_at + n as u64) << cluster_bits;
        write(&bytes, at, "a refcount block")?;
        if let Some(slot) = usize::try_from(block)
            .ok()
            .and_then(|b| refcount_table.get_mut(b))
        {
            *slot = at;
        }
    }
    let table: Vec<u8> = refcount_table
        .iter()
        .flat_map(|e| e.to_be_bytes())
        .collect();
    write(
        &table,
        plan.refcount_table_at << cluster_bits,
        "the refcount table",
    )?;
    Ok(freed)
}

/// Flushes what was written, then makes it the image's with one write of
/// the header's refcount-table and snapshot-table fields, and flushes that.
fn commit(image: &mut Image, plan: &Plan) -> Result<(), Qcow2Error> {
    let flush = |file: &std::fs::File| {
        file.sync_data()
            .map_err(|e| Qcow2Error::io("cannot flush the image", 0, &e))
    };
    flush(&image.file)?;
    let cluster_bits = image.header.cluster_bits;
    let mut committed = image.header.clone();
    committed.refcount_table_offset = plan.refcount_table_at << cluster_bits;
    committed.refcount_table_clusters =
        u32::try_from(plan.refcount_table_clusters).unwrap_or(u32::MAX);
    committed.snapshots_offset = plan.table_at << cluster_bits;
    if let Some((at, _)) = &plan.active_l1 {
        committed.l1_table_offset = at << cluster_bits;
    }
    writer(image)(&committed.commit_bytes(), COMMIT_OFFSET, "the header")?;
    flush(&image.file)?;
    image.header = committed;
    Ok(())
}
/// What [`free_replaced`] read on the way.
struct Freed {
    /// The snapshot's old L1 table.
    old_l1: Vec<u64>,
    /// The active L1 table's new entries, when it had a VM state area.
    active_l1: Option<Vec<u64>>,
    old_refcount_table: Vec<u64>,
}

/// Counts down what the replacement frees: the snapshot's L1 table and old
/// state, the active image's VM state area, the snapshot table (of
/// `table_bytes`) and the refcount table.
fn free_replaced(
    image: &Image,
    snapshot: &Snapshot,
    first: u64,
    table_bytes: u64,
    deltas: &mut Deltas,
) -> Result<Freed, Qcow2Error> {
    let header = &image.header;
    let cluster_size = header.cluster_size();
    let cluster_bits = header.cluster_bits;
    let old_l1 = read_u64s(
        &image.file,
        snapshot.l1_table_offset,
        u64::from(snapshot.l1_size),
        "the snapshot's L1 table",
    )?;
    free_range(
        deltas,
        snapshot.l1_table_offset,
        u64::from(snapshot.l1_size) * 8,
        cluster_bits,
    );
    free_vm_state_area(image, &old_l1, first, deltas, "the old")?;
    let active_l1 = free_active_vm_state(image, deltas)?;
    free_range(deltas, header.snapshots_offset, table_bytes, cluster_bits);
    let old_refcount_table = read_refcount_table(image)?;
    free_range(
        deltas,
        header.refcount_table_offset,
        u64::from(header.refcount_table_clusters) * cluster_size,
        cluster_bits,
    );

    Ok(Freed {
        old_l1,
        active_l1,
        old_refcount_table,
    })
}

/// Frees the L2 tables, and the data clusters they point at, of the L1
/// entries from `first` on: the VM state area of an L1 table.
fn free_vm_state_area(
    image: &Image,
    l1: &[u64],
    first: u64,
    deltas: &mut Deltas,
    whose: &str,
) -> Result<(), Qcow2Error> {
    let header = &image.header;
    let cluster_bits = header.cluster_bits;
    let skip = usize::try_from(first).unwrap_or(usize::MAX);
    let mut table = vec![0u8; usize::try_from(header.cluster_size()).unwrap_or(0)];
    let step = usize::try_from(header.l2_entry_size()).unwrap_or(8);
    for (i, &entry) in l1.iter().enumerate().skip(skip) {
        let l2_offset = entry & OFFSET_MASK;
        if l2_offset == 0 {
            continue;
        }
        free_cluster(deltas, l2_offset >> cluster_bits);
        read_exact_at(
            &image.file,
            &mut table,
            l2_offset,
            "an L2 table of a VM state",
        )?;
        for at in (0..table.len()).step_by(step) {
            let entry = be64(&table, at).unwrap_or(0);
            if entry & COMPRESSED != 0 {
                return Err(Qcow2Error::at(
                    l2_offset + at as u64,
                    format!(
                        "{whose} VM state (L1 entry {i}) has a compressed cluster; this tool does not free compressed clusters"
                    ),
                ));
            }
            let host = entry & OFFSET_MASK;
            if host != 0 {
                free_cluster(deltas, host >> cluster_bits);
            }
        }
    }
    Ok(())
}

/// Which refcount blocks are copied (every block with a count that
/// changes), and how many clusters the new refcount table takes, for new
/// structures from cluster `start` on whose refcount table starts at
/// `refcount_table_at` (the block copies follow it). A fixpoint: the copies
/// and a larger table are new clusters whose counts may fall in further
/// blocks.
fn place_refcount_blocks(
    header: &super::Header,
    start: u64,
    refcount_table_at: u64,
    deltas: &Deltas,
    old_refcount_table: &[u64],
) -> (BTreeSet<u64>, u64) {
    let per_block = header.refcounts_per_block();
    let cluster_bits = header.cluster_bits;
    let old_entries = old_refcount_table.len() as u64;
    let mut table_clusters = u64::from(header.refcount_table_clusters);
    let mut blocks: BTreeSet<u64> = BTreeSet::new();
    loop {
        let end = refcount_table_at + table_clusters + blocks.len() as u64;
        let mut changed: BTreeSet<u64> = deltas.keys().map(|c| c / per_block).collect();
        changed.extend((start / per_block)..=((end - 1) / per_block));
        // A copied block frees its old cluster, whose count may be in a
        // block that would otherwise stay: that one is copied too.
        let mut pending: Vec<u64> = changed.iter().copied().collect();
        while let Some(block) = pending.pop() {
            let old = table_entry(old_refcount_table, block);
            let holder = (old >> cluster_bits) / per_block;
            if old != 0 && changed.insert(holder) {
                pending.push(holder);
            }
        }
        let entries = changed.last().map_or(0, |b| b + 1).max(old_entries);
        let needed = (entries * 8)
            .div_ceil(header.cluster_size())
            .max(u64::from(header.refcount_table_clusters));
        if changed == blocks && needed == table_clusters {
            return (blocks, table_clusters);
        }
        blocks = changed;
        table_clusters = needed;
    }
}

/// The refcount block offset a refcount table holds for `block` (0: none).
fn table_entry(table: &[u64], block: u64) -> u64 {
    usize::try_from(block)
        .ok()
        .and_then(|slot| table.get(slot))
        .map_or(0, |entry| entry & REFCOUNT_TABLE_MASK)
}

fn free_cluster(deltas: &mut Deltas, cluster: u64) {
    *deltas.entry(cluster).or_default() -= 1;
}

fn free_range(deltas: &mut Deltas, offset: u64, len: u64, cluster_bits: u32) {
    if len == 0 {
        return;
    }
    let first = offset >> cluster_bits;
    let last = (offset + len - 1) >> cluster_bits;
    for cluster in first..=last {
        free_cluster(deltas, cluster);
    }
}

/// Refcount `index` of a block whose refcounts are `1 << order` bits wide
/// (QEMU packs narrow ones from the low bits of each byte up).
fn get_refcount(block: &[u8], index: u64, order: u32) -> u64 {
    let bits = 1u64 << order;
    if bits < 8 {
        let per_byte = 8 / bits;
        let byte = block[usize::try_from(index / per_byte).unwrap_or(0)];
        let shift = (index % per_byte) * bits;
        return u64::from(byte >> shift) & ((1 << bits) - 1);
    }
    let size = usize::try_from(bits / 8).unwrap_or(8);
    let at = usize::try_from(index).unwrap_or(0) * size;
    block[at..at + size]
        .iter()
        .fold(0u64, |value, &b| (value << 8) | u64::from(b))
}

fn set_refcount(block: &mut [u8], index: u64, order: u32, value: u64) {
    let bits = 1u64 << order;
    if bits < 8 {
        let per_byte = 8 / bits;
        let byte = &mut block[usize::try_from(index / per_byte).unwrap_or(0)];
        let shift = (index % per_byte) * bits;
        let mask = ((1u8 << bits) - 1) << shift;
        #[allow(clippy::cast_possible_truncation)] // reason: value fits in `bits` < 8 bits
        let value = (value as u8) << shift;
        *byte = (*byte & !mask) | (value & mask);
        return;
    }
    let size = usize::try_from(bits / 8).unwrap_or(8);
    let at = usize::try_from(index).unwrap_or(0) * size;
    block[at..at + size].copy_from_slice(&value.to_be_bytes()[8 - size..]);
}

#[cfg(test)]
mod tests {
    use super::{get_refcount, set_refcount};

    #[test]
    fn refcounts_of_every_width_round_trip_without_touching_their_neighbours() {
        for order in 0..=6u32 {
            let bits = 1u32 << order;
            let max = if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            };
            let mut block = vec![0u8; 64];
            let count = 64 * 8 / u64::from(bits);
            for i in 0..count {
                set_refcount(&mut block, i, order, (i * 7 + 1) & max);
            }
            for i in 0..count {
                assert_eq!(
                    get_refcount(&block, i, order),
                    (i * 7 + 1) & max,
                    "order {order}, index {i}"
                );
            }
            set_refcount(&mut block, 1, order, max);
            assert_eq!(get_refcount(&block, 0, order), 1 & max);
            assert_eq!(get_refcount(&block, 2, order), 15 & max);
        }
    }

    #[test]
    fn one_bit_refcounts_start_at_the_low_bit_as_qemu_packs_them() {
        let mut block = vec![0u8; 1];
        set_refcount(&mut block, 0, 0, 1);
        assert_eq!(block[0], 0b0000_0001);
        set_refcount(&mut block, 7, 0, 1);
        assert_eq!(block[0], 0b1000_0001);
    }
}
