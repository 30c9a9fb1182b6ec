//! Prometheus text (being written).
pub struct Exposition;
impl Exposition { pub fn new() -> Exposition { Exposition } pub fn observe(&mut self, _s: &super::collect::Samples) {} pub fn render(&self) -> String { String::new() } }
