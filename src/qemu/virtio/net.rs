//! `virtio-net`: the virtio network device (`hw/net/virtio-net.c`) on
//! virtio-pci.

use super::device::{Virtio, VirtioDevice};
use super::pci::VirtioPciConfig;
use crate::VmState;

/// `VIRTIO_NET_F_CTRL_GUEST_OFFLOADS`: the guest can set offloads through
/// the control queue, and `curr_guest_offloads` is migrated.
pub const VIRTIO_NET_F_CTRL_GUEST_OFFLOADS: u32 = 2;
/// QEMU `MAC_TABLE_ENTRIES`: the filter table's capacity.
pub const MAC_TABLE_ENTRIES: u32 = 64;
/// QEMU `MAX_VLAN >> 3`: the VLAN filter bitmap's size in bytes.
pub const VLAN_BITMAP_BYTES: usize = 4096 >> 3;

/// QEMU `vmstate_virtio_net` (`virtio-net`, version 11): the section of a
/// `virtio-net-pci` device, idstr `<pci address>/virtio-net`. Its one QEMU
/// field, `virtio`, is `virtio_save`'s output, modelled field by field.
///
/// Configuration defaults are those of `-device virtio-net-pci` on QEMU 7.2
/// and 10.0: MSI-X with 4 vectors (`2 * queues + 2`), one queue pair.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-net", version = 11)]
pub struct VirtioNet {
    /// The virtio-pci transport's part (`virtio_pci_save_config`).
    pub transport: VirtioPciConfig,
    /// The device: common virtio state and `virtio-net-device`.
    pub device: VirtioNetDevice,
    /// The `virtio` VMSD's subsections.
    pub virtio: Virtio,
}

impl Default for VirtioNet {
    /// Reset state with the configuration of `-device virtio-net-pci`.
    fn default() -> Self {
        Self {
            transport: VirtioPciConfig::with_vectors(4),
            device: VirtioNetDevice::default(),
            virtio: Virtio::default(),
        }
    }
}

/// QEMU `vmstate_virtio_net_device` (`virtio-net-device`, version 11),
/// preceded by the common state of its parent `VirtIODevice`, which QEMU
/// writes just before it and which its `has_ctrl_guest_offloads` test reads.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-net-device", version = 11)]
pub struct VirtioNetDevice {
    /// The common virtio state (`virtio_save`).
    pub parent_obj: VirtioDevice,
    /// `mac`: the MAC address.
    pub mac: [u8; 6],
    /// `vqs[0].tx_waiting`: the first queue pair's transmit is pending.
    #[vmstate(rename = "vqs.tx_waiting")]
    pub vqs0_tx_waiting: u32,
    /// `mergeable_rx_bufs`: the guest negotiated mergeable receive buffers.
    pub mergeable_rx_bufs: u32,
    /// `status`: the link status (`VIRTIO_NET_S_LINK_UP` = 1).
    pub status: u16,
    /// `promisc`: promiscuous mode (on by default "for compatibility").
    pub promisc: u8,
    /// `allmulti`: receive all multicast.
    pub allmulti: u8,
    /// `mac_table.in_use`: entries in the MAC filter table.
    #[vmstate(rename = "mac_table.in_use")]
    pub mac_table_in_use: u32,
    /// `mac_table.macs`: the filter table. QEMU discards the entries when
    /// there are more than [`MAC_TABLE_ENTRIES`] (the source had a larger
    /// table); the bytes on the wire are the same either way.
    #[vmstate(len = mac_table_in_use, rename = "mac_table.macs")]
    pub mac_table_macs: Vec<[u8; 6]>,
    /// `vlans`: the VLAN filter bitmap (sent as a buffer).
    #[vmstate(info = "buffer")]
    pub vlans: [u8; VLAN_BITMAP_BYTES],
    /// `has_vnet_hdr` (`virtio-net-vnet`, a `VMSTATE_WITH_TMP`): the backend
    /// takes virtio-net headers.
    pub has_vnet_hdr: u32,
    /// `mac_table.multi_overflow`.
    #[vmstate(rename = "mac_table.multi_overflow")]
    pub mac_table_multi_overflow: u8,
    /// `mac_table.uni_overflow`.
    #[vmstate(rename = "mac_table.uni_overflow")]
    pub mac_table_uni_overflow: u8,
    /// `alluni`: receive all unicast.
    pub alluni: u8,
    /// `nomulti`: receive no multicast.
    pub nomulti: u8,
    /// `nouni`: receive no unicast.
    pub nouni: u8,
    /// `nobcast`: receive no broadcast.
    pub nobcast: u8,
    /// `has_ufo` (`virtio-net-ufo`, a `VMSTATE_WITH_TMP`): the backend does
    /// UDP fragmentation offload.
    pub has_ufo: u8,
    /// `max_queue_pairs`, `curr_queue_pairs` and `vqs[1..].tx_waiting`:
    /// the multiqueue state, on the wire only with more than one queue pair.
    #[vmstate(with = queue_pairs, info = "virtio-net queue pairs")]
    pub queue_pairs: QueuePairs,
    /// `curr_guest_offloads`: sent when the guest negotiated
    /// [`VIRTIO_NET_F_CTRL_GUEST_OFFLOADS`].
    #[vmstate(exists = VirtioNetDevice::has_ctrl_guest_offloads)]
    pub curr_guest_offloads: u64,
    /// `virtio-net-device/rss`: sent while receive-side scaling is on.
    #[subsection(needed = VirtioNetDevice::rss_needed)]
    pub rss: VirtioNetRss,
}

impl Default for VirtioNetDevice {
    /// The state `virtio_net_device_realize` and reset leave: link up,
    /// promiscuous, every VLAN allowed, one queue pair.
    fn default() -> Self {
        Self {
            parent_obj: VirtioDevice::default(),
            mac: [0x52, 0x54, 0x00, 0x12, 0x34, 0x56],
            vqs0_tx_waiting: 0,
            mergeable_rx_bufs: 0,
            status: 1,
            promisc: 1,
            allmulti: 0,
            mac_table_in_use: 0,
            mac_table_macs: Vec::new(),
            vlans: [0xff; VLAN_BITMAP_BYTES],
            has_vnet_hdr: 0,
            mac_table_multi_overflow: 0,
            mac_table_uni_overflow: 0,
            alluni: 0,
            nomulti: 0,
            nouni: 0,
            nobcast: 0,
            has_ufo: 0,
            queue_pairs: QueuePairs::default(),
            curr_guest_offloads: 0,
            rss: VirtioNetRss::default(),
        }
    }
}

impl VirtioNetDevice {
    /// QEMU `has_ctrl_guest_offloads`: the guest negotiated the feature
    /// (loaded before the device state, in the low feature word).
    fn has_ctrl_guest_offloads(&self, _version_id: u32) -> bool {
        self.parent_obj
            .has_guest_feature_lo(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS)
    }

    /// QEMU `virtio_net_rss_needed`.
    fn rss_needed(&self) -> bool {
        self.rss.enabled
    }
}

/// The multiqueue part of `virtio-net-device`: QEMU's
/// `VMSTATE_SINGLE_TEST(max_queue_pairs, .., max_queue_pairs_gt_1, 0,
/// vmstate_info_uint16_equal)`, `VMSTATE_UINT16_TEST(curr_queue_pairs, ..)`
/// and the `virtio-net-tx_waiting` `VMSTATE_WITH_TMP`, whose count,
/// `curr_queue_pairs - 1`, no `len` field holds. One custom view reads all
/// three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePairs {
    /// `max_queue_pairs`: configuration (the netdev's `queues`), checked
    /// against the stream when above 1; nothing of this struct is on the wire
    /// for 1, the default.
    pub max_queue_pairs: u16,
    /// `curr_queue_pairs`: the pairs in use.
    pub curr_queue_pairs: u16,
    /// `vqs[1..].tx_waiting`: one flag per pair in use after the first.
    pub tx_waiting: Vec<u32>,
}

impl Default for QueuePairs {
    /// One queue pair, the default.
    fn default() -> Self {
        Self {
            max_queue_pairs: 1,
            curr_queue_pairs: 1,
            tx_waiting: Vec::new(),
        }
    }
}

/// The wire view of [`QueuePairs`].
mod queue_pairs {
    use super::QueuePairs;
    use crate::{Error, ErrorKind, Reader};

    /// QEMU's `curr_queue_pairs_1`: the flags after the first pair's.
    fn tail_len(curr_queue_pairs: u16) -> usize {
        usize::from(curr_queue_pairs.saturating_sub(1))
    }

    pub fn save(value: &QueuePairs, out: &mut Vec<u8>) -> Result<(), Error> {
        if value.max_queue_pairs <= 1 {
            return Ok(());
        }
        let expected = tail_len(value.curr_queue_pairs);
        if value.tx_waiting.len() != expected {
            return Err(Error::new(ErrorKind::LengthMismatch {
                what: "tx_waiting",
                found: value.tx_waiting.len() as u64,
                count_field: "curr_queue_pairs",
                count: i128::from(value.curr_queue_pairs),
                expected: expected as i128,
            }));
        }
        out.extend_from_slice(&value.max_queue_pairs.to_be_bytes());
        out.extend_from_slice(&value.curr_queue_pairs.to_be_bytes());
        for flag in &value.tx_waiting {
            out.extend_from_slice(&flag.to_be_bytes());
        }
        Ok(())
    }

    pub fn load(value: &mut QueuePairs, reader: &mut Reader<'_>) -> Result<(), Error> {
        if value.max_queue_pairs <= 1 {
            return Ok(());
        }
        let offset = reader.offset();
        let max = u16::from_be_bytes(reader.read_array()?);
        if max != value.max_queue_pairs {
            return Err(Error::at(
                ErrorKind::NotEqual {
                    expected: value.max_queue_pairs.to_string(),
                    found: max.to_string(),
                },
                offset,
            )
            .in_field("max_queue_pairs"));
        }
        let offset = reader.offset();
        let curr = u16::from_be_bytes(reader.read_array()?);
        if curr > max {
            return Err(Error::at(
                ErrorKind::OutOfRange {
                    what: "curr_queue_pairs",
                    value: i128::from(curr),
                    minimum: 0,
                    maximum: i128::from(max),
                    note: Some("at most max_queue_pairs"),
                },
                offset,
            ));
        }
        let mut flags = Vec::with_capacity(tail_len(curr).min(reader.remaining() / 4));
        for _ in 0..tail_len(curr) {
            flags.push(reader.read_be32()?);
        }
        value.curr_queue_pairs = curr;
        value.tx_waiting = flags;
        Ok(())
    }
}

/// QEMU `vmstate_virtio_net_rss` (`virtio-net-device/rss`, version 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-net-device/rss", version = 1)]
pub struct VirtioNetRss {
    /// `rss_data.enabled`.
    #[vmstate(rename = "rss_data.enabled")]
    pub enabled: bool,
    /// `rss_data.redirect`: steer by the indirection table (else only hash).
    #[vmstate(rename = "rss_data.redirect")]
    pub redirect: bool,
    /// `rss_data.populate_hash`: report the hash to the guest.
    #[vmstate(rename = "rss_data.populate_hash")]
    pub populate_hash: bool,
    /// `rss_data.hash_types`.
    #[vmstate(rename = "rss_data.hash_types")]
    pub hash_types: u32,
    /// `rss_data.indirections_len`.
    #[vmstate(rename = "rss_data.indirections_len")]
    pub indirections_len: u16,
    /// `rss_data.default_queue`.
    #[vmstate(rename = "rss_data.default_queue")]
    pub default_queue: u16,
    /// `rss_data.key` (`VIRTIO_NET_RSS_MAX_KEY_SIZE` bytes).
    #[vmstate(rename = "rss_data.key")]
    pub key: [u8; 40],
    /// `rss_data.indirections_table`.
    #[vmstate(len = indirections_len, rename = "rss_data.indirections_table")]
    pub indirections_table: Vec<u16>,
}

impl Default for VirtioNetRss {
    fn default() -> Self {
        Self {
            enabled: false,
            redirect: false,
            populate_hash: false,
            hash_types: 0,
            indirections_len: 0,
            default_queue: 0,
            key: [0; 40],
            indirections_table: Vec::new(),
        }
    }
}
