// The `Rtc` of the README: versioned fields, `Unused` gaps and a subsection.
use vmstate::{Unused, VmState};

#[derive(VmState, Debug, PartialEq)]
#[vmstate(name = "mc146818rtc", version = 3, minimum_version = 1)]
pub struct Rtc {
    cmos_data: [u8; 128],
    cmos_index: u8,
    _gap1: Unused<28>,
    periodic_timer: i64,
    next_periodic_time: i64,
    _gap2: Unused<24>,
    #[vmstate(since = 2)]
    irq_coalesced: u32,
    #[vmstate(since = 2)]
    period: u32,
    #[vmstate(since = 3)]
    base_rtc: u64,
    #[vmstate(since = 3)]
    last_update: u64,
    #[vmstate(since = 3)]
    offset: i64,
    #[vmstate(since = 3)]
    update_timer: i64,
    #[vmstate(since = 3)]
    next_alarm_time: u64,
    #[subsection(needed = Rtc::reinject_needed)]
    reinject: RtcReinject,
}

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "mc146818rtc/irq_reinject_on_ack_count", version = 1)]
pub struct RtcReinject {
    irq_reinject_on_ack_count: u16,
}

impl Rtc {
    fn reinject_needed(&self) -> bool {
        self.reinject.irq_reinject_on_ack_count != 0
    }
}

// `[u8; 128]` has no `Default` in std.
impl Default for Rtc {
    fn default() -> Self {
        Self {
            cmos_data: [0; 128],
            cmos_index: 0,
            _gap1: Unused,
            periodic_timer: -1,
            next_periodic_time: 0,
            _gap2: Unused,
            irq_coalesced: 0,
            period: 0,
            base_rtc: 0,
            last_update: 0,
            offset: 0,
            update_timer: -1,
            next_alarm_time: 0,
            reinject: RtcReinject::default(),
        }
    }
}

fn main() -> Result<(), vmstate::Error> {
    assert_eq!(Rtc::NAME, "mc146818rtc");
    assert_eq!((Rtc::VERSION, Rtc::MINIMUM_VERSION), (3, 1));

    let mut rtc = Rtc::default();
    rtc.cmos_data[0x0a] = 0x26;
    rtc.period = 1024;
    rtc.reinject.irq_reinject_on_ack_count = 2;
    let bytes = vmstate::to_vec(&rtc)?;
    let back: Rtc = vmstate::from_slice(&bytes, 3)?;
    assert_eq!(back, rtc);

    // Without the subsection, the payload is the fields alone.
    rtc.reinject.irq_reinject_on_ack_count = 0;
    let fields = 128 + 1 + 28 + 8 + 8 + 24 + 4 + 4 + 8 + 8 + 8 + 8 + 8;
    assert_eq!(vmstate::to_vec(&rtc)?.len(), fields);
    Ok(())
}
