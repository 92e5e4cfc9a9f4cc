//! `serial`: the 16550A UART of an `isa-serial` port (`hw/char/serial.c`,
//! `hw/char/serial-isa.c`).

use crate::VmState;

/// QEMU `vmstate_isa_serial` (`serial`, version 3, minimum 2): the ISA port,
/// which wraps the UART state [`Serial`] (`VMSTATE_STRUCT(state, ..)`).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "serial", version = 3, minimum_version = 2)]
pub struct IsaSerial {
    /// `state`: the UART; its subsections are written inside this payload.
    pub state: Serial,
}

/// QEMU `vmstate_serial` (also named `serial`, version 3, minimum 2): the
/// UART registers.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(
    name = "serial",
    version = 3,
    minimum_version = 2,
    pre_load = Serial::pre_load,
    post_load = Serial::post_load
)]
pub struct Serial {
    /// `divider` (version 2): the baud-rate divisor (115200 / baud).
    #[vmstate(since = 2)]
    pub divider: u16,
    /// `rbr`: the receive buffer register.
    pub rbr: u8,
    /// `ier`: the interrupt enable register.
    pub ier: u8,
    /// `iir`: the interrupt identification register (0x01 = none pending).
    pub iir: u8,
    /// `lcr`: the line control register.
    pub lcr: u8,
    /// `mcr`: the modem control register.
    pub mcr: u8,
    /// `lsr`: the line status register.
    pub lsr: u8,
    /// `msr`: the modem status register.
    pub msr: u8,
    /// `scr`: the scratch register.
    pub scr: u8,
    /// `fcr_vmstate` (version 3): the FIFO control register, as QEMU's
    /// `pre_save` copies it.
    #[vmstate(since = 3)]
    pub fcr_vmstate: u8,
    /// `serial/thr_ipending`: sent when the THR-empty interrupt state is not
    /// the one `iir` implies.
    #[subsection(needed = Serial::thr_ipending_needed)]
    pub thr_ipending: SerialThrIpending,
    /// `serial/tsr`: sent while a transmit is being retried.
    #[subsection(needed = Serial::tsr_needed)]
    pub tsr: SerialTsr,
    /// `serial/recv_fifo`: sent while the receive FIFO holds data.
    #[subsection(needed = Serial::recv_fifo_needed)]
    pub recv_fifo: SerialRecvFifo,
    /// `serial/xmit_fifo`: sent while the transmit FIFO holds data.
    #[subsection(needed = Serial::xmit_fifo_needed)]
    pub xmit_fifo: SerialXmitFifo,
    /// `serial/fifo_timeout_timer`: sent while the character timeout is armed.
    #[subsection(needed = Serial::fifo_timeout_timer_needed)]
    pub fifo_timeout_timer: SerialFifoTimeoutTimer,
    /// `serial/timeout_ipending`: sent while a character timeout interrupt is
    /// pending.
    #[subsection(needed = Serial::timeout_ipending_needed)]
    pub timeout_ipending: SerialTimeoutIpending,
    /// `serial/poll`: sent when the backend's modem lines are polled.
    #[subsection(needed = Serial::poll_needed)]
    pub poll: SerialPoll,
}

impl Default for Serial {
    /// Zero registers, empty FIFOs, no timers armed, no modem polling.
    fn default() -> Self {
        Self {
            divider: 0,
            rbr: 0,
            ier: 0,
            iir: 0,
            lcr: 0,
            mcr: 0,
            lsr: 0,
            msr: 0,
            scr: 0,
            fcr_vmstate: 0,
            thr_ipending: SerialThrIpending::default(),
            tsr: SerialTsr::default(),
            recv_fifo: SerialRecvFifo::default(),
            xmit_fifo: SerialXmitFifo::default(),
            fifo_timeout_timer: SerialFifoTimeoutTimer {
                fifo_timeout_timer: -1,
            },
            timeout_ipending: SerialTimeoutIpending::default(),
            poll: SerialPoll {
                poll_msl: -1,
                modem_status_poll: -1,
            },
        }
    }
}

impl Serial {
    /// `ier` bit: transmitter-holding-register-empty interrupt enable.
    pub const IER_THRI: u8 = 0x02;
    /// `iir` mask of the interrupt id.
    pub const IIR_ID: u8 = 0x06;
    /// `iir` id: transmitter holding register empty.
    pub const IIR_THRI: u8 = 0x02;

    /// The `thr_ipending` value that `iir` implies.
    fn thr_ipending_implied(&self) -> i32 {
        i32::from(self.iir & Self::IIR_ID == Self::IIR_THRI)
    }

    /// QEMU `serial_thr_ipending_needed`.
    fn thr_ipending_needed(&self) -> bool {
        self.ier & Self::IER_THRI != 0
            && self.thr_ipending.thr_ipending != self.thr_ipending_implied()
    }

    /// QEMU `serial_tsr_needed`.
    fn tsr_needed(&self) -> bool {
        self.tsr.tsr_retry != 0
    }

    /// QEMU `serial_recv_fifo_needed`.
    fn recv_fifo_needed(&self) -> bool {
        self.recv_fifo.recv_fifo.num != 0
    }

    /// QEMU `serial_xmit_fifo_needed`.
    fn xmit_fifo_needed(&self) -> bool {
        self.xmit_fifo.xmit_fifo.num != 0
    }

    /// QEMU `serial_fifo_timeout_timer_needed`.
    fn fifo_timeout_timer_needed(&self) -> bool {
        self.fifo_timeout_timer.fifo_timeout_timer != -1
    }

    /// QEMU `serial_timeout_ipending_needed`.
    fn timeout_ipending_needed(&self) -> bool {
        self.timeout_ipending.timeout_ipending != 0
    }

    /// QEMU `serial_poll_needed`.
    fn poll_needed(&self) -> bool {
        self.poll.poll_msl >= 0
    }

    /// QEMU `serial_pre_load`: absent subsections mean `derive it` (-1).
    #[expect(
        clippy::unnecessary_wraps,
        reason = "hooks have the signature the derive calls"
    )]
    fn pre_load(&mut self) -> Result<(), core::convert::Infallible> {
        self.thr_ipending.thr_ipending = -1;
        self.poll.poll_msl = -1;
        Ok(())
    }

    /// The state parts of QEMU `serial_post_load`: `fcr_vmstate` is 0 before
    /// version 3, and a missing `thr_ipending` follows from `iir`.
    #[expect(
        clippy::unnecessary_wraps,
        reason = "hooks have the signature the derive calls"
    )]
    fn post_load(&mut self, version_id: u32) -> Result<(), core::convert::Infallible> {
        if version_id < 3 {
            self.fcr_vmstate = 0;
        }
        if self.thr_ipending.thr_ipending == -1 {
            self.thr_ipending.thr_ipending = self.thr_ipending_implied();
        }
        Ok(())
    }
}

/// QEMU `vmstate_serial_thr_ipending` (`serial/thr_ipending`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "serial/thr_ipending", version = 1)]
pub struct SerialThrIpending {
    /// `thr_ipending`: the THR-empty interrupt is pending.
    pub thr_ipending: i32,
}

/// QEMU `vmstate_serial_tsr` (`serial/tsr`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "serial/tsr", version = 1)]
pub struct SerialTsr {
    /// `tsr_retry`: how often the current byte was retried.
    pub tsr_retry: u32,
    /// `thr`: the transmitter holding register.
    pub thr: u8,
    /// `tsr`: the transmitter shift register.
    pub tsr: u8,
}

/// QEMU `vmstate_fifo8` (`Fifo8`, version 1) with the 16-byte capacity of a
/// UART FIFO (`UART_FIFO_LENGTH`); the capacity is not on the wire.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "Fifo8", version = 1)]
pub struct Fifo8 {
    /// `data`: the ring buffer (`VMSTATE_VBUFFER_UINT32(data, .., capacity)`).
    #[vmstate(info = "buffer")]
    pub data: [u8; 16],
    /// `head`: index of the oldest byte.
    pub head: u32,
    /// `num`: bytes in the FIFO.
    pub num: u32,
}

/// QEMU `vmstate_serial_recv_fifo` (`serial/recv_fifo`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "serial/recv_fifo", version = 1)]
pub struct SerialRecvFifo {
    /// `recv_fifo` (`VMSTATE_STRUCT(recv_fifo, .., 1, vmstate_fifo8, ..)`).
    #[vmstate(since = 1)]
    pub recv_fifo: Fifo8,
}

/// QEMU `vmstate_serial_xmit_fifo` (`serial/xmit_fifo`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "serial/xmit_fifo", version = 1)]
pub struct SerialXmitFifo {
    /// `xmit_fifo` (`VMSTATE_STRUCT(xmit_fifo, .., 1, vmstate_fifo8, ..)`).
    #[vmstate(since = 1)]
    pub xmit_fifo: Fifo8,
}

/// QEMU `vmstate_serial_fifo_timeout_timer` (`serial/fifo_timeout_timer`,
/// version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "serial/fifo_timeout_timer", version = 1)]
pub struct SerialFifoTimeoutTimer {
    /// `fifo_timeout_timer`: a QEMU timer, its expiry in ns, -1 = not armed.
    #[vmstate(info = "timer")]
    pub fifo_timeout_timer: i64,
}

/// QEMU `vmstate_serial_timeout_ipending` (`serial/timeout_ipending`,
/// version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "serial/timeout_ipending", version = 1)]
pub struct SerialTimeoutIpending {
    /// `timeout_ipending`: a character timeout interrupt is pending.
    pub timeout_ipending: i32,
}

/// QEMU `vmstate_serial_poll` (`serial/poll`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "serial/poll", version = 1)]
pub struct SerialPoll {
    /// `poll_msl`: 1 while the modem lines are polled, -1 when the backend
    /// cannot report them.
    pub poll_msl: i32,
    /// `modem_status_poll`: a QEMU timer, its expiry in ns, -1 = not armed.
    #[vmstate(info = "timer")]
    pub modem_status_poll: i64,
}
