//! AG-017's injection scan. The scanner lives in `sutazai_protocol::threat`
//! so the hub's threat blocking and this tool give the same verdict on the
//! same text; the tool's JSON output is the `ScanReport` as it serialises.

pub use sutazai_protocol::threat::scan;

#[cfg(test)]
mod tests {
    use super::scan;
    use sutazai_protocol::threat::{Action, Category};

    #[test]
    fn the_report_serialises_with_the_tool_output_fields() {
        let report = scan("hello ../secret");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "action": "allow",
                "risk_score": 0.35,
                "findings": [{
                    "category": "path_traversal",
                    "pattern": "dot_dot_slash",
                    "excerpt": "../",
                    "offset": 6,
                    "weight": 0.35,
                }],
                "categories": ["path_traversal"],
            })
        );
        assert_eq!(scan("<script>alert(1)</script>").action, Action::Block);
        assert!(scan("' OR '1'='1").categories.contains(&Category::SqlInjection));
    }
}
