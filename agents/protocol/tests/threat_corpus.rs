//! The labelled corpus in `tests/threat_corpus/`: how many attacks the scan
//! stops (block or challenge) and how many benign inputs it wrongly stops.
//! Run with `--nocapture` to see the figures and every miss.

use sutazai_protocol::threat::{scan, Action};

/// Recall the scan must reach on the attacks, in percent.
const MIN_RECALL: f64 = 90.0;
/// False alarms it may raise on the benign inputs, in percent.
const MAX_FALSE_ALARMS: f64 = 5.0;

/// The inputs of one corpus file: one a line, `\n` standing for a line
/// break, blank lines and `# ` comments skipped.
fn inputs(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("# "))
        .map(|line| line.replace("\\n", "\n"))
        .collect()
}

/// The inputs the scan stops, with the reports that stopped them.
fn stopped(inputs: &[String]) -> Vec<(&str, bool, String)> {
    inputs
        .iter()
        .map(|input| {
            let report = scan(input);
            let stops = report.action != Action::Allow;
            let why = format!(
                "{:?} {} {:?}",
                report.action,
                report.risk_score,
                report.findings.iter().map(|f| f.pattern).collect::<Vec<_>>()
            );
            (input.as_str(), stops, why)
        })
        .collect()
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

#[test]
fn the_corpus_meets_the_recall_and_false_alarm_goals() {
    let attacks = inputs(include_str!("threat_corpus/attacks.txt"));
    let benign = inputs(include_str!("threat_corpus/benign.txt"));

    let attack_results = stopped(&attacks);
    let caught = attack_results.iter().filter(|(_, stops, _)| *stops).count();
    for (input, _, why) in attack_results.iter().filter(|(_, stops, _)| !stops) {
        println!("missed attack: {input:?} -> {why}");
    }
    let benign_results = stopped(&benign);
    let false_alarms = benign_results.iter().filter(|(_, stops, _)| *stops).count();
    for (input, _, why) in benign_results.iter().filter(|(_, stops, _)| *stops) {
        println!("false alarm: {input:?} -> {why}");
    }

    let recall = percent(caught, attacks.len());
    let false_alarm_rate = percent(false_alarms, benign.len());
    println!(
        "corpus: {} inputs ({} attacks, {} benign)",
        attacks.len() + benign.len(),
        attacks.len(),
        benign.len()
    );
    println!("recall: {caught}/{} = {recall:.1} %", attacks.len());
    println!(
        "false alarms: {false_alarms}/{} = {false_alarm_rate:.1} %",
        benign.len()
    );

    assert!(
        attacks.len() + benign.len() >= 300,
        "the corpus needs at least 300 inputs"
    );
    assert!(recall >= MIN_RECALL, "recall {recall:.1} % is below {MIN_RECALL} %");
    assert!(
        false_alarm_rate <= MAX_FALSE_ALARMS,
        "false alarms {false_alarm_rate:.1} % are above {MAX_FALSE_ALARMS} %"
    );
}
