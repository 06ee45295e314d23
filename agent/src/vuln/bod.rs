//! CISA BOD 26-04 remediation timelines (Table 1), as data: `policies/data/bod_26_04.yaml`
//! is embedded at build time and parsed once. The table's header says which cells are
//! reported and which inferred; while `verified: false`, every clock carries
//! `table_verified: false` and every output says so.

use serde::Deserialize;
use std::sync::OnceLock;

/// The embedded table.
pub const TABLE_YAML: &str = include_str!("../../../policies/data/bod_26_04.yaml");
const TABLE_PATH: &str = "policies/data/bod_26_04.yaml";

/// A remediation band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum Band {
    /// Three calendar days (with forensic triage where the row says so).
    #[serde(rename = "3d")]
    Days3,
    /// Fourteen calendar days.
    #[serde(rename = "14d")]
    Days14,
    /// Sixty calendar days.
    #[serde(rename = "60d")]
    Days60,
    /// The asset's next scheduled upgrade: no calendar due date.
    #[serde(rename = "next_upgrade")]
    NextUpgrade,
}

impl Band {
    /// The wire name (`3d`, `14d`, `60d`, `next_upgrade`).
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Days3 => "3d",
            Band::Days14 => "14d",
            Band::Days60 => "60d",
            Band::NextUpgrade => "next_upgrade",
        }
    }

    /// Calendar days from the clock's start, `None` for the next scheduled upgrade.
    pub fn days(self) -> Option<i64> {
        match self {
            Band::Days3 => Some(3),
            Band::Days14 => Some(14),
            Band::Days60 => Some(60),
            Band::NextUpgrade => None,
        }
    }

    /// Every band, most urgent first.
    pub const ALL: [Band; 4] = [Band::Days3, Band::Days14, Band::Days60, Band::NextUpgrade];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Exposure {
    Public,
    Internal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum YesNo {
    Yes,
    No,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Impact {
    Total,
    Partial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Basis {
    Reported,
    Inferred,
    Directive,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    exposure: Exposure,
    kev: YesNo,
    automatable: YesNo,
    impact: Impact,
    band: Band,
    forensic_triage: bool,
    #[allow(dead_code)]
    basis: Basis,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    verified: bool,
    #[allow(dead_code)]
    source: String,
    rows: Vec<Row>,
}

/// The parsed table: all sixteen combinations, each exactly once.
#[derive(Debug, Clone)]
pub struct Table {
    /// Whether every cell was checked against the directive's text.
    pub verified: bool,
    rows: Vec<Row>,
}

/// The decision for one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The band.
    pub band: Band,
    /// Forensic triage required.
    pub forensic_triage: bool,
}

/// The four facts, with unknown SSVC values as `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The asset is publicly exposed.
    pub public: bool,
    /// The CVE is in the KEV catalog.
    pub kev: bool,
    /// SSVC Automatable (`None`: unknown).
    pub automatable: Option<bool>,
    /// SSVC Technical Impact is total (`None`: unknown).
    pub total_impact: Option<bool>,
}

impl Table {
    /// Parse a table file and check that it has each of the 16 combinations exactly once.
    pub fn parse(text: &str, path: &str) -> Result<Table, String> {
        let f: TableFile = serde_saphyr::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        for public in [Exposure::Public, Exposure::Internal] {
            for kev in [YesNo::Yes, YesNo::No] {
                for auto in [YesNo::Yes, YesNo::No] {
                    for impact in [Impact::Total, Impact::Partial] {
                        let n = f
                            .rows
                            .iter()
                            .filter(|r| {
                                r.exposure == public
                                    && r.kev == kev
                                    && r.automatable == auto
                                    && r.impact == impact
                            })
                            .count();
                        if n != 1 {
                            return Err(format!(
                                "{path}: the combination {public:?}/kev {kev:?}/automatable {auto:?}/{impact:?} appears {n} times (each of the 16 must appear once)"
                            ));
                        }
                    }
                }
            }
        }
        Ok(Table {
            verified: f.verified,
            rows: f.rows,
        })
    }

    /// The embedded table (parsed once; a broken embedded table is a build defect that
    /// the unit tests catch, reported here as an error string).
    pub fn builtin() -> Result<&'static Table, String> {
        static T: OnceLock<Result<Table, String>> = OnceLock::new();
        T.get_or_init(|| Table::parse(TABLE_YAML, TABLE_PATH))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Look up the facts; unknown SSVC values are taken as the worse value (automatable,
    /// total), and their names returned so that the finding can say so.
    pub fn decide(&self, facts: Facts) -> (Decision, Vec<String>) {
        let mut assumed = Vec::new();
        let automatable = facts.automatable.unwrap_or_else(|| {
            assumed.push("automatable unknown: taken as yes".to_string());
            true
        });
        let total = facts.total_impact.unwrap_or_else(|| {
            assumed.push("technical impact unknown: taken as total".to_string());
            true
        });
        let yn = |b: bool| if b { YesNo::Yes } else { YesNo::No };
        let row = self.rows.iter().find(|r| {
            r.exposure
                == (if facts.public {
                    Exposure::Public
                } else {
                    Exposure::Internal
                })
                && r.kev == yn(facts.kev)
                && r.automatable == yn(automatable)
                && r.impact
                    == (if total {
                        Impact::Total
                    } else {
                        Impact::Partial
                    })
        });
        // `parse` proved every combination present; the fallback is the most urgent band.
        let d = row.map_or(
            Decision {
                band: Band::Days3,
                forensic_triage: true,
            },
            |r| Decision {
                band: r.band,
                forensic_triage: r.forensic_triage,
            },
        );
        (d, assumed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_has_all_sixteen_and_says_it_is_unverified() {
        let t = Table::builtin().unwrap();
        assert!(
            !t.verified,
            "the table has not been checked against the directive"
        );
        let worst = Facts {
            public: true,
            kev: true,
            automatable: Some(true),
            total_impact: Some(true),
        };
        let (d, assumed) = t.decide(worst);
        assert_eq!(d.band, Band::Days3);
        assert!(d.forensic_triage);
        assert!(assumed.is_empty());
        let least = Facts {
            public: false,
            kev: false,
            automatable: Some(false),
            total_impact: Some(false),
        };
        assert_eq!(t.decide(least).0.band, Band::NextUpgrade);
        let triage = t.rows.iter().filter(|r| r.forensic_triage).count();
        assert_eq!(
            triage, 3,
            "the directive requires forensic triage in three rows"
        );
    }

    #[test]
    fn unknown_ssvc_is_the_worse_value_never_no() {
        let t = Table::builtin().unwrap();
        let (d, assumed) = t.decide(Facts {
            public: true,
            kev: true,
            automatable: None,
            total_impact: None,
        });
        assert_eq!(d.band, Band::Days3);
        assert_eq!(assumed.len(), 2);
    }

    #[test]
    fn a_table_missing_a_combination_is_refused() {
        let mut text = TABLE_YAML.to_string();
        let cut = text.rfind("  - {").unwrap();
        text.truncate(cut);
        let e = Table::parse(&text, "t.yaml").unwrap_err();
        assert!(e.contains("appears 0 times"), "{e}");
    }
}
