//! One account's licences, page by page, by the page rules of the parent module: page 1,
//! then the other offsets all at once when CSSM told the total (kept only if they add up),
//! else (or then) in order until an empty page or the total.

use std::collections::HashSet;

use futures::StreamExt;
use serde_json::value::RawValue;

use super::{Licenses, Run};
use crate::client::Page;
use crate::error::CssmError;
use crate::wire::{record_identity, Account, LicenseQuery};

impl Run<'_> {
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

    pub(super) async fn licenses(
        &self,
        index: usize,
        account: &Account,
    ) -> Result<Licenses, CssmError> {
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
        // front, and the first empty page, or the first record seen before, settles that the
        // answer cannot add up (a server that ignores `offset` and claims a huge total would
        // otherwise be paged until the fetch deadline, every repeated page kept in memory).
        let offsets = (1..)
            .map(move |k| k * stride)
            .take_while(move |o| *o < total);
        let buffer = self.client.settings().concurrency.max(1) * 2;
        let mut pages = futures::stream::iter(offsets)
            .map(|offset| self.page(index, domain, offset, stride))
            .buffered(buffer);
        let mut seen = HashSet::with_capacity(first.len());
        let mut distinct = first.iter().all(|r| seen.insert(record_identity(r)));
        let mut rest = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page?;
            let arrived = first.len() + rest.len() + page.records.len();
            distinct = distinct && page.records.iter().all(|r| seen.insert(record_identity(r)));
            if page.records.is_empty() || !distinct || arrived as u64 > total {
                self.slot(index, |s| s.received = first.len());
                return Ok(None);
            }
            rest.extend(page.records);
        }
        let count = (first.len() + rest.len()) as u64;
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
