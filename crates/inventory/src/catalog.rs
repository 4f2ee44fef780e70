//! The licence → architecture catalogue (reports.md §1 "Architecture").
//!
//! The project ships its own copy (`data/license-architectures.json`, embedded at compile
//! time); a user file in the same shape adds or overrides entries. Lookup: exact match of the
//! trimmed licence name, then a case-insensitive match, else [`UNCATEGORIZED`] with an empty
//! sub-architecture.

use std::collections::HashMap;

use serde::Deserialize;

/// The architecture of a licence the catalogue does not know.
pub const UNCATEGORIZED: &str = "Uncategorized";

const SHIPPED: &str = include_str!("../data/license-architectures.json");

/// One catalogue entry: `{"architecture": "…", "subArchitecture": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Architecture {
    /// e.g. `Enterprise Networking`.
    pub architecture: String,
    /// e.g. `Wireless` (empty when the file leaves it out or gives `null`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub sub_architecture: String,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A catalogue file that cannot be used; the message says where it is wrong.
#[derive(Debug, thiserror::Error)]
#[error("the license catalogue is not valid: {0} (expected {{\"License name\": {{\"architecture\": \"…\", \"subArchitecture\": \"…\"}}, …}})")]
pub struct CatalogError(String);

/// Licence name → architecture, with the two lookup tables precomputed.
#[derive(Debug, Clone)]
pub struct Catalog {
    exact: HashMap<String, Architecture>,
    folded: HashMap<String, Architecture>,
}

impl Catalog {
    /// The catalogue shipped with the project.
    pub fn shipped() -> Self {
        // The shipped file is part of the source tree and checked by a unit test, so a
        // failure here is a build defect, not bad user data; degrade to an empty catalogue.
        Self::from_json(SHIPPED).unwrap_or_else(|_| Self::empty())
    }

    /// A catalogue with no entries: every licence is `Uncategorized`.
    pub fn empty() -> Self {
        Self {
            exact: HashMap::new(),
            folded: HashMap::new(),
        }
    }

    /// A catalogue read from JSON text alone (no shipped entries).
    pub fn from_json(json: &str) -> Result<Self, CatalogError> {
        let mut c = Self::empty();
        c.add_json(json)?;
        Ok(c)
    }

    /// The shipped catalogue plus the entries of a user file, which win over shipped ones.
    pub fn with_overrides(json: &str) -> Result<Self, CatalogError> {
        let mut c = Self::shipped();
        c.add_json(json)?;
        Ok(c)
    }

    /// Adds (or replaces) the entries of a catalogue file.
    pub fn add_json(&mut self, json: &str) -> Result<(), CatalogError> {
        let entries: Vec<(String, Architecture)> =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json)
                .map_err(|e| CatalogError(e.to_string()))?
                .into_iter()
                .map(|(name, v)| {
                    serde_json::from_value::<Architecture>(v)
                        .map(|a| (name.clone(), a))
                        .map_err(|e| CatalogError(format!("entry `{name}`: {e}")))
                })
                .collect::<Result<_, _>>()?;
        for (name, arch) in entries {
            self.insert(&name, arch);
        }
        Ok(())
    }

    /// Adds (or replaces) one entry.
    pub fn insert(&mut self, license: &str, arch: Architecture) {
        let key = license.trim();
        self.folded.insert(key.to_lowercase(), arch.clone());
        self.exact.insert(key.to_string(), arch);
    }

    /// Number of entries (by exact trimmed name).
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// Whether the catalogue has no entries.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// `(architecture, subArchitecture)` of a licence name as CSSM gave it.
    pub fn lookup(&self, license: &str) -> (&str, &str) {
        let key = license.trim();
        let hit = self
            .exact
            .get(key)
            .or_else(|| self.folded.get(&key.to_lowercase()));
        match hit {
            Some(a) => (&a.architecture, &a.sub_architecture),
            None => (UNCATEGORIZED, ""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_parses_and_has_every_entry_of_the_file() {
        let raw: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(SHIPPED).unwrap();
        let c = Catalog::from_json(SHIPPED).unwrap();
        assert_eq!(c.len(), raw.len());
        assert!(c.len() > 100);
        assert_eq!(Catalog::shipped().len(), raw.len());
    }

    #[test]
    fn an_exact_name_finds_its_architecture() {
        let c = Catalog::shipped();
        assert_eq!(
            c.lookup("AP Perpetual Networkstack Advantage"),
            ("Enterprise Networking", "Wireless")
        );
    }

    #[test]
    fn trailing_spaces_are_trimmed_for_the_lookup() {
        let c = Catalog::shipped();
        assert_eq!(
            c.lookup("  AnyConnect Apex   "),
            ("Security", "Network Security")
        );
    }

    #[test]
    fn a_name_in_another_case_matches_case_insensitively() {
        let c = Catalog::shipped();
        assert_eq!(
            c.lookup("anyconnect APEX"),
            ("Security", "Network Security")
        );
    }

    #[test]
    fn an_exact_match_wins_over_a_case_insensitive_one() {
        let c = Catalog::from_json(
            r#"{"Foo": {"architecture": "Upper", "subArchitecture": "U"},
                "foo": {"architecture": "Lower", "subArchitecture": "L"}}"#,
        )
        .unwrap();
        assert_eq!(c.lookup("Foo"), ("Upper", "U"));
        assert_eq!(c.lookup("foo"), ("Lower", "L"));
    }

    #[test]
    fn an_unknown_licence_is_uncategorized_with_no_sub_architecture() {
        assert_eq!(
            Catalog::shipped().lookup("Nothing Like This"),
            ("Uncategorized", "")
        );
    }

    #[test]
    fn a_user_file_adds_and_overrides_entries() {
        let c = Catalog::with_overrides(
            r#"{"AnyConnect Apex ": {"architecture": "Mine", "subArchitecture": "Ours"},
                "Brand New": {"architecture": "Collaboration"}}"#,
        )
        .unwrap();
        assert_eq!(c.lookup("AnyConnect Apex"), ("Mine", "Ours"));
        assert_eq!(c.lookup("anyconnect apex"), ("Mine", "Ours"));
        assert_eq!(c.lookup("Brand New"), ("Collaboration", ""));
        let n =
            Catalog::from_json(r#"{"N": {"architecture": "A", "subArchitecture": null}}"#).unwrap();
        assert_eq!(n.lookup("N"), ("A", ""));
        // Shipped entries the file does not mention are still there.
        assert_eq!(
            c.lookup("AP Perpetual Networkstack Advantage"),
            ("Enterprise Networking", "Wireless")
        );
    }

    #[test]
    fn a_malformed_user_file_is_an_error_naming_the_entry() {
        let e = Catalog::with_overrides(r#"{"X": {"sub": 1}}"#).unwrap_err();
        assert!(e.to_string().contains("entry `X`"), "{e}");
        assert!(Catalog::with_overrides("[1,2]").is_err());
    }
}
