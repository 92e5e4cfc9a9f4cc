use vmstate::VmState;

#[derive(VmState)]
#[vmstate(post_load = Counter::check)]
struct Counter(u32);

impl Counter {
    fn check(&mut self, _version_id: u32) -> Result<(), String> {
        Ok(())
    }
}

fn main() {}
