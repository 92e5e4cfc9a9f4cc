use vmstate::{Unused, VmState};

#[derive(VmState, Debug, Clone, PartialEq)]
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

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "mc146818rtc/irq_reinject_on_ack_count", version = 1)]
pub struct RtcReinject {
    irq_reinject_on_ack_count: u16,
}

impl Rtc {
    fn reinject_needed(&self) -> bool {
        self.reinject.irq_reinject_on_ack_count != 0
    }
}

#[test]
fn smoke() {
    let mut rtc = Rtc::default();
    rtc.reinject.irq_reinject_on_ack_count = 3;
    let bytes = vmstate::to_vec(&rtc).unwrap();
    let back: Rtc = vmstate::from_slice(&bytes, 3).unwrap();
    assert_eq!(back, rtc);
    let err = vmstate::from_slice::<Rtc>(&bytes[..100], 3).unwrap_err();
    println!("{err}");
    let mut bad = bytes.clone();
    let n = bad.len();
    bad[n - 2 - 4 - 1] = b'X';
    println!("{}", vmstate::from_slice::<Rtc>(&bad, 3).unwrap_err());
    panic!();
}

impl Default for Rtc {
    fn default() -> Self {
        Self {
            cmos_data: [0; 128],
            cmos_index: 0,
            _gap1: Unused,
            periodic_timer: 0,
            next_periodic_time: 0,
            _gap2: Unused,
            irq_coalesced: 0,
            period: 0,
            base_rtc: 0,
            last_update: 0,
            offset: 0,
            update_timer: 0,
            next_alarm_time: 0,
            reinject: RtcReinject::default(),
        }
    }
}
