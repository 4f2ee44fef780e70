//! A whole fetch: the account list, then for every account its virtual accounts and every
//! licence page (cssm-api.md "How the client fetches"), assembled into a [`Snapshot`].
//!
//! Page rules:
//! - `offset` advances by the records actually returned;
//! - with `totalRecords`, paging stops at `offset ≥ totalRecords`; once page 1 has told the
//!   total, the other offsets are fetched concurrently with stride = size of page 1, and the
//!   result is kept only if exactly `totalRecords` records with distinct identities arrived,
//!   else the account is paged again sequentially from page 2;
//! - without `totalRecords`, only an empty page ends the list (a short page is not the end);
//! - an empty page before `totalRecords` ends the account with "CSSM returned N of M records".
//!
//! One account failing does not fail the fetch: it is listed in `missing_accounts`. The whole
//! fetch fails only when nothing could be read (the account list failed, or every account did).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, PoisonError};

use futures::future::{join_all, Either};
use futures::StreamExt;
use secrecy::SecretString;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::client::{CssmClient, Page};
use crate::error::{CssmError, Unavailable};
use crate::snapshot::{MissingAccount, Snapshot, FORMAT};
use crate::wire::{record_identity, Account, LicenseQuery};

/// What to fetch. `Default` = every account, every virtual account, with the VA list.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Only these account domains (case-insensitive); empty = every account.
    pub domains: Vec<String>,
    /// Passed to the licence call; empty = every virtual account the user may see.
    pub virtual_accounts: Vec<String>,
    /// Also read each account's virtual accounts (a failure there is only a warning).
    pub with_virtual_accounts: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            domains: Vec::new(),
            virtual_accounts: Vec::new(),
            with_virtual_accounts: true,
        }
    }
}

/// How far a fetch has got, for a "please wait" message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Accounts whose licences are loaded or have failed.
    pub accounts_done: usize,
    /// Accounts to read (known once the account list has arrived).
    pub accounts_total: usize,
    /// Licence pages received.
    pub pages_done: usize,
    /// Licence pages expected: `None` until page 1 of every account has answered. Accounts
    /// whose pages carry no `totalRecords` count one more page than seen until they end.
    pub pages_total: Option<usize>,
}

/// The callback a fetch reports [`Progress`] to, each time it advances.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// A progress callback that ignores progress.
pub fn no_progress(_: Progress) {}

/// Licences of one account as fetched: every record, and a warning if CSSM fell short.
struct Licenses {
    records: Vec<Box<RawValue>>,
    warning: Option<String>,
}

struct AccountOutcome {
    licenses: Result<Licenses, CssmError>,
    virtual_accounts: Option<Result<Vec<serde_json::Value>, CssmError>>,
}

/// What is known about one account while the fetch runs (read at the deadline).
#[derive(Default)]
struct Slot {
    pages: usize,
    received: usize,
    total: Option<u64>,
    outcome: Option<AccountOutcome>,
}

#[derive(Default)]
struct Tally {
    accounts_total: usize,
    accounts_done: usize,
    pages_done: usize,
    /// Per account: expected pages, once its page 1 has answered.
    expected: Vec<Option<usize>>,
}

impl Tally {
    fn progress(&self) -> Progress {
        let pages_total = self
            .expected
            .iter()
            .try_fold(0usize, |sum, e| e.map(|e| sum + e))
            .map(|t| t.max(self.pages_done));
        Progress {
            accounts_done: self.accounts_done,
            accounts_total: self.accounts_total,
            pages_done: self.pages_done,
            pages_total,
        }
    }
}

/// The state of one running fetch.
struct Run<'a> {
    client: &'a CssmClient,
    token: &'a SecretString,
    options: &'a FetchOptions,
    permits: Semaphore,
    progress: ProgressFn<'a>,
    tally: Mutex<Tally>,
    slots: Mutex<Vec<Slot>>,
}

impl Run<'_> {
    fn update(&self, change: impl FnOnce(&mut Tally)) {
        let progress = {
            let mut tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
            change(&mut tally);
            tally.progress()
        };
        (self.progress)(progress);
    }

    fn slot(&self, index: usize, change: impl FnOnce(&mut Slot)) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(index) {
            change(slot);
        }
    }

    /// One licence page; counts it and what it brought.
    async fn page(
        &self,
        index: usize,
        domain: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Page, CssmError> {
        let query = LicenseQuery {
            virtual_accounts: self.options.virtual_accounts.clone(),
            limit,
            offset,
        };
        let page = self
            .client
            .license_page_with(&self.permits, self.token, domain, &query)
            .await?;
        let count = page.records.len();
        self.slot(index, |s| {
            s.pages += 1;
            s.received += count;
            if page.total_records.is_some() {
                s.total = page.total_records;
            }
        });
        self.update(|t| t.pages_done += 1);
        Ok(page)
    }

    fn expect_pages(&self, index: usize, pages: usize) {
        self.update(|t| {
            if let Some(e) = t.expected.get_mut(index) {
                *e = Some(pages);
            }
        });
    }

    async fn account(&self, index: usize, account: &Account) -> AccountOutcome {
        let virtual_accounts = async {
            if self.options.with_virtual_accounts {
                Some(
                    self.client
                        .virtual_accounts_with(&self.permits, self.token, account)
                        .await,
                )
            } else {
                None
            }
        };
        let (licenses, virtual_accounts) =
            futures::join!(self.licenses(index, account), virtual_accounts);
        if licenses.is_err() {
            // No more pages will come for this account: expect what it got.
            let mut pages = 0;
            self.slot(index, |s| pages = s.pages);
            self.expect_pages(index, pages);
        }
        AccountOutcome {
            licenses,
            virtual_accounts,
        }
    }

    async fn licenses(&self, index: usize, account: &Account) -> Result<Licenses, CssmError> {
        let domain = account.account_domain.as_str();
        let limit = u64::from(self.client.settings().page_size);
        let first = self.page(index, domain, 0, limit).await?;
        let stride = first.records.len() as u64;
        let mut records = first.records;
        let result = match first.total_records {
            Some(total) if stride > 0 && stride < total => {
                let remaining = (total - stride).div_ceil(stride) as usize;
                self.expect_pages(index, 1 + remaining);
                match self
                    .concurrent(index, domain, &records, stride, total)
                    .await?
                {
                    Some(rest) => {
                        records.extend(rest);
                        Ok(Licenses {
                            records,
                            warning: None,
                        })
                    }
                    None => {
                        tracing::warn!(
                            domain,
                            "concurrent pages did not add up; paging this account again in order"
                        );
                        self.sequential(index, account, records, stride, Some(total), limit)
                            .await
                    }
                }
            }
            Some(total) => {
                self.expect_pages(index, 1);
                let warning = (stride == 0 && total > 0).then(|| short_warning(account, 0, total));
                Ok(Licenses { records, warning })
            }
            None if stride == 0 => {
                self.expect_pages(index, 1);
                Ok(Licenses {
                    records,
                    warning: None,
                })
            }
            None => {
                self.expect_pages(index, 2);
                self.sequential(index, account, records, stride, None, limit)
                    .await
            }
        };
        if let Ok(done) = &result {
            self.slot(index, |s| s.received = done.records.len());
        }
        result
    }

    /// Pages 2.. at `offset = k × stride` all at once. `Ok(None)` when the answers do not add
    /// up to exactly `total` distinct records (the caller then pages sequentially).
    async fn concurrent(
        &self,
        index: usize,
        domain: &str,
        first: &[Box<RawValue>],
        stride: u64,
        total: u64,
    ) -> Result<Option<Vec<Box<RawValue>>>, CssmError> {
        // Lazy offsets and a bounded buffer: a server claiming a huge total costs no memory up
        // front, and the first empty page settles that the answer cannot add up.
        let offsets = (1..)
            .map(move |k| k * stride)
            .take_while(move |o| *o < total);
        let buffer = self.client.settings().concurrency.max(1) * 2;
        let mut pages = futures::stream::iter(offsets)
            .map(|offset| self.page(index, domain, offset, stride))
            .buffered(buffer);
        let mut rest = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page?;
            let arrived = first.len() + rest.len() + page.records.len();
            if page.records.is_empty() || arrived as u64 > total {
                self.slot(index, |s| s.received = first.len());
                return Ok(None);
            }
            rest.extend(page.records);
        }
        let count = (first.len() + rest.len()) as u64;
        let mut seen = HashSet::with_capacity(count as usize);
        let distinct = first
            .iter()
            .chain(rest.iter())
            .all(|r| seen.insert(record_identity(r)));
        if count == total && distinct {
            Ok(Some(rest))
        } else {
            self.slot(index, |s| s.received = first.len());
            Ok(None)
        }
    }

    /// Pages in order from `offset` until an empty page or `offset ≥ total`.
    async fn sequential(
        &self,
        index: usize,
        account: &Account,
        mut records: Vec<Box<RawValue>>,
        mut offset: u64,
        mut total: Option<u64>,
        limit: u64,
    ) -> Result<Licenses, CssmError> {
        let domain = account.account_domain.as_str();
        let mut pages = 1;
        // Where the last page read starts in `records` (page 1 when called).
        let mut last_page_start = 0;
        loop {
            if total.is_some_and(|t| offset >= t) {
                self.expect_pages(index, pages);
                return Ok(Licenses {
                    records,
                    warning: None,
                });
            }
            let page = self.page(index, domain, offset, limit).await?;
            pages += 1;
            if page.total_records.is_some() {
                total = page.total_records;
            }
            if page.records.is_empty() {
                self.expect_pages(index, pages);
                let warning = total
                    .filter(|t| offset < *t)
                    .map(|t| short_warning(account, offset, t));
                return Ok(Licenses { records, warning });
            }
            let repeated = records.get(last_page_start).map(|r| r.get())
                == page.records.first().map(|r| r.get());
            if repeated {
                return Err(CssmError::BadData {
                    place: format!("the licenses of account `{domain}` (offset {offset})"),
                    detail: "it sent the previous page again (it seems to ignore `offset`)".into(),
                });
            }
            let len = page.records.len() as u64;
            offset += len;
            last_page_start = records.len();
            records.extend(page.records);
            let expected = match total {
                Some(t) if offset < t => pages + (t - offset).div_ceil(len) as usize,
                Some(_) => pages,
                None => pages + 1,
            };
            self.expect_pages(index, expected);
        }
    }
}

fn short_warning(account: &Account, got: u64, total: u64) -> String {
    format!(
        "CSSM returned {got} of {total} records for account {} ({})",
        account.display_name(),
        account.account_domain
    )
}

impl CssmClient {
    /// Fetches everything the token's user may see: accounts, virtual accounts, every licence
    /// page. One account failing is recorded in `missing_accounts`; the whole-fetch deadline
    /// yields what arrived, marked partial ([`Snapshot::is_partial`]).
    ///
    /// Fails only when nothing could be read: the account list failed, or every account did
    /// (`Unauthorized` when any of them answered 401).
    pub async fn fetch_all(
        &self,
        token: &SecretString,
        options: &FetchOptions,
        progress: ProgressFn<'_>,
    ) -> Result<Snapshot, CssmError> {
        let span = tracing::info_span!(
            "cssm_fetch",
            accounts = tracing::field::Empty,
            records = tracing::field::Empty,
            missing = tracing::field::Empty,
            partial = tracing::field::Empty,
        );
        self.fetch_all_inner(token, options, progress)
            .instrument(span)
            .await
    }

    async fn fetch_all_inner(
        &self,
        token: &SecretString,
        options: &FetchOptions,
        progress: ProgressFn<'_>,
    ) -> Result<Snapshot, CssmError> {
        let settings = self.settings();
        let deadline_secs = settings.deadline.as_secs();
        let mut deadline = self.clock().deadline(settings.deadline);
        let permits = Semaphore::new(settings.concurrency.max(1));

        // 1. The account list (a failure here fails the fetch).
        let list = Box::pin(self.list_accounts(&permits, token));
        let (listed, fresh_token) = match futures::future::select(list, &mut deadline).await {
            Either::Left((listed, _)) => listed?,
            Either::Right(((), _)) => {
                return Err(CssmError::Unavailable {
                    place: "the account list".into(),
                    reason: Unavailable::Deadline {
                        seconds: deadline_secs,
                        received: 0,
                        total: None,
                    },
                })
            }
        };
        let token = fresh_token.as_ref().unwrap_or(token);
        let selected = select_accounts(listed, options);
        let accounts = &selected.accounts;

        // 2. Every account at once (requests bounded by `permits`), until done or the deadline.
        let run = Run {
            client: self,
            token,
            options,
            permits,
            progress,
            tally: Mutex::new(Tally {
                accounts_total: accounts.len(),
                expected: vec![None; accounts.len()],
                ..Tally::default()
            }),
            slots: Mutex::new((0..accounts.len()).map(|_| Slot::default()).collect()),
        };
        run.update(|_| {});
        let work = join_all(accounts.iter().enumerate().map(|(index, account)| {
            let run = &run;
            async move {
                let outcome = run.account(index, account).await;
                run.slot(index, |s| s.outcome = Some(outcome));
                run.update(|t| t.accounts_done += 1);
            }
        }));
        let hit_deadline = matches!(
            futures::future::select(Box::pin(work), deadline).await,
            Either::Right(_)
        );
        let slots = std::mem::take(&mut *run.slots.lock().unwrap_or_else(PoisonError::into_inner));

        // 3. The snapshot, from whatever arrived.
        let snapshot = assemble(
            selected,
            slots,
            options,
            hit_deadline.then_some(deadline_secs),
            self.clock().now().to_rfc3339(),
        )?;
        let span = tracing::Span::current();
        span.record("accounts", snapshot.accounts.len());
        span.record("records", snapshot.license_count());
        span.record("missing", snapshot.missing_accounts.len());
        span.record("partial", snapshot.is_partial());
        Ok(snapshot)
    }
}

/// The accounts to read, and what the account list itself already says is wrong.
struct Selected {
    /// Account objects as CSSM sent them, for the snapshot.
    values: Vec<serde_json::Value>,
    /// The readable ones among them, to fetch.
    accounts: Vec<Account>,
    missing: Vec<MissingAccount>,
    warnings: Vec<String>,
}

/// Applies the domain filter, skips duplicate domains, and records accounts without a domain.
fn select_accounts(listed: Vec<serde_json::Value>, options: &FetchOptions) -> Selected {
    let mut selected = Selected {
        values: Vec::new(),
        accounts: Vec::new(),
        missing: Vec::new(),
        warnings: Vec::new(),
    };
    let mut domains_seen = HashSet::new();
    for value in listed {
        let Some(account) = Account::from_value(&value) else {
            if options.domains.is_empty() {
                let name = value
                    .get("accountName")
                    .and_then(|n| n.as_str())
                    .unwrap_or("(unnamed)")
                    .to_string();
                selected.missing.push(MissingAccount {
                    name,
                    domain: String::new(),
                    reason: "CSSM listed this account without a domain".into(),
                });
                selected.values.push(value);
            }
            continue;
        };
        let wanted = options.domains.is_empty()
            || options
                .domains
                .iter()
                .any(|d| d.trim().eq_ignore_ascii_case(account.account_domain.trim()));
        if !wanted {
            continue;
        }
        if !domains_seen.insert(account.account_domain.clone()) {
            selected.warnings.push(format!(
                "CSSM listed account {} twice; it was read once",
                account.account_domain
            ));
            continue;
        }
        selected.values.push(value);
        selected.accounts.push(account);
    }
    selected
}

/// Builds the snapshot from each account's outcome. An account with no outcome was still
/// running at the deadline (`deadline_secs`): it is missing, and the records it had are left
/// out rather than shown as if complete. Fails only when every account failed.
fn assemble(
    selected: Selected,
    slots: Vec<Slot>,
    options: &FetchOptions,
    deadline_secs: Option<u64>,
    captured_at: String,
) -> Result<Snapshot, CssmError> {
    let Selected {
        values,
        accounts,
        mut missing,
        mut warnings,
    } = selected;
    let mut licenses = BTreeMap::new();
    let mut virtual_accounts = options.with_virtual_accounts.then(BTreeMap::new);
    let mut failures = Vec::new();
    for (account, slot) in accounts.iter().zip(slots) {
        let domain = account.account_domain.clone();
        let outcome = slot.outcome.unwrap_or_else(|| AccountOutcome {
            licenses: Err(CssmError::Unavailable {
                place: format!("the licenses of account `{domain}`"),
                reason: Unavailable::Deadline {
                    seconds: deadline_secs.unwrap_or_default(),
                    received: slot.received,
                    total: slot.total,
                },
            }),
            virtual_accounts: None,
        });
        match outcome.licenses {
            Ok(got) => {
                warnings.extend(got.warning);
                licenses.insert(domain.clone(), got.records);
            }
            Err(error) => {
                tracing::warn!(domain = %domain, error = %error, "a CSSM account could not be read");
                missing.push(MissingAccount {
                    name: account.display_name().to_string(),
                    domain: domain.clone(),
                    reason: error.reason(),
                });
                failures.push(error);
            }
        }
        match (outcome.virtual_accounts, virtual_accounts.as_mut()) {
            (Some(Ok(list)), Some(map)) => {
                map.insert(domain, list);
            }
            (Some(Err(error)), _) => warnings.push(format!(
                "The virtual accounts of account {} ({}) could not be read: {}",
                account.display_name(),
                domain,
                error.reason()
            )),
            _ => {}
        }
    }
    if !accounts.is_empty() && failures.len() == accounts.len() {
        // Nothing to show: the most actionable failure wins (sign in again), else the first.
        let pick = failures
            .iter()
            .position(|e| matches!(e, CssmError::Unauthorized { .. }))
            .unwrap_or(0);
        return Err(failures.swap_remove(pick));
    }
    if let Some(seconds) = deadline_secs {
        warnings.push(format!(
            "The fetch stopped after {seconds} s; the answer is built from what arrived by then"
        ));
    }
    Ok(Snapshot {
        format: Some(FORMAT.to_string()),
        captured_at: Some(captured_at),
        accounts: values,
        licenses,
        virtual_accounts,
        missing_accounts: missing,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_without_a_domain_are_missing_and_duplicates_are_read_once() {
        let listed = vec![
            serde_json::json!({"accountName": "A", "accountDomain": "a.com"}),
            serde_json::json!({"accountName": "No domain"}),
            serde_json::json!({"accountName": "A again", "accountDomain": "a.com"}),
        ];
        let s = select_accounts(listed, &FetchOptions::default());
        assert_eq!(s.accounts.len(), 1);
        assert_eq!(s.values.len(), 2);
        assert_eq!(s.missing[0].name, "No domain");
        assert_eq!(
            s.warnings,
            vec!["CSSM listed account a.com twice; it was read once"]
        );
    }

    #[test]
    fn pages_total_is_unknown_until_every_account_has_answered_page_one() {
        let mut t = Tally {
            accounts_total: 2,
            expected: vec![Some(3), None],
            pages_done: 1,
            ..Tally::default()
        };
        assert_eq!(t.progress().pages_total, None);
        t.expected[1] = Some(2);
        assert_eq!(t.progress().pages_total, Some(5));
    }
}
