//! CISA BOD 26-04 remediation timelines (Table 1), as data: `policies/data/bod_26_04.yaml`
//! is embedded at build time and parsed once. Each row says where it came from; while a table says `verified: false`, every clock carries
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
    /// Transcribed from CERT/CC's SSVC decision table `cisa:DT_BOD2604:1.0.0`.
    CertCc,
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
    /// The row number in the source table, when it has one.
    #[serde(default)]
    #[allow(dead_code)]
    row: Option<u32>,
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

    /// CERT/CC's `cisa:DT_BOD2604:1.0.0` as published (github.com/CERTCC/SSVC,
    /// data/csv/cisa/cisa_bod_26_04_1_0_0.csv): row, In KEV, Asset Exposure (publicly
    /// exposed), Automatable, Technical Impact, outcome.
    const CERT_CC_DT_BOD2604: &str = "\
row,In KEV v1.0.0 (cisa),Asset Exposure v1.0.0 (cisa),Automatable v2.0.0,Technical Impact v1.0.0,CISA BOD 26-04 Remediation Timelines v1.0.0 (cisa)
0,no,no,no,partial,fix on system upgrade
1,yes,no,no,partial,14 days
2,no,yes,no,partial,60 days
3,no,no,yes,partial,60 days
4,no,no,no,total,fix on system upgrade
5,yes,yes,no,partial,14 days
6,yes,no,yes,partial,14 days
7,no,yes,yes,partial,14 days
8,yes,no,no,total,14 days
9,no,yes,no,total,14 days
10,no,no,yes,total,60 days
11,yes,yes,yes,partial,3 days
12,yes,yes,no,total,3 days & forensic investigation
13,yes,no,yes,total,3 days & forensic investigation
14,no,yes,yes,total,3 days
15,yes,yes,yes,total,3 days & forensic investigation
";

    #[test]
    fn builtin_table_is_cert_cc_dt_bod2604_cell_for_cell() {
        let t = Table::builtin().unwrap();
        assert!(
            !t.verified,
            "transcribed from CERT/CC, not checked against the directive's own Table 1"
        );
        let mut seen = 0;
        for line in CERT_CC_DT_BOD2604.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let yes = |s: &str| match s {
                "yes" => true,
                "no" => false,
                other => panic!("{other}"),
            };
            let facts = Facts {
                kev: yes(f[1]),
                public: yes(f[2]),
                automatable: Some(yes(f[3])),
                total_impact: Some(f[4] == "total"),
            };
            let want = match f[5] {
                "fix on system upgrade" => (Band::NextUpgrade, false),
                "60 days" => (Band::Days60, false),
                "14 days" => (Band::Days14, false),
                "3 days" => (Band::Days3, false),
                "3 days & forensic investigation" => (Band::Days3, true),
                other => panic!("unknown outcome {other}"),
            };
            let (d, assumed) = t.decide(facts);
            assert!(assumed.is_empty());
            assert_eq!(
                (d.band, d.forensic_triage),
                want,
                "CERT/CC row {}: {facts:?}",
                f[0]
            );
            let row = t
                .rows
                .iter()
                .find(|r| r.row == Some(f[0].parse().unwrap()))
                .expect("the file names the CERT/CC row");
            assert_eq!((row.band, row.forensic_triage), want, "row {}", f[0]);
            seen += 1;
        }
        assert_eq!(seen, 16);
        assert_eq!(t.rows.iter().filter(|r| r.forensic_triage).count(), 3);
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
