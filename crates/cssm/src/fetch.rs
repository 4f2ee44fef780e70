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
//!
//! Parts: `paging` reads one account's licences by the rules above; `assemble` picks the
//! accounts from the list and builds the snapshot from what arrived.

mod assemble;
mod paging;

use std::sync::{Mutex, PoisonError};

use futures::future::{join_all, Either};
use secrecy::SecretString;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tracing::Instrument;

use self::assemble::{assemble, select_accounts};
use crate::client::CssmClient;
use crate::error::{CssmError, Unavailable};
use crate::snapshot::Snapshot;
use crate::wire::Account;

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
            // Saturating: each account's count comes from the `totalRecords` CSSM claims.
            .try_fold(0usize, |sum, e| e.map(|e| sum.saturating_add(e)))
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

#[cfg(test)]
mod tests {
    use super::*;

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
