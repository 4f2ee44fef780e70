//! Unit prices a person sends as a CSV file in their 1:1 space (`license,unitPrice[,currency]`):
//! downloaded with the bot token, parsed, kept per person in the bot store, and used by their
//! `renewals`. `sign out` deletes them (message.rs).

use slbot_chat::{Answer, Command};
use slbot_inventory::{looks_like_price_file, PriceList, ReportKind};

use super::{replies, Bot, Context};

impl Bot {
    /// The answer to a message carrying files when the first one is a price file; `None` when
    /// it is not (the message is then handled as text).
    pub(super) async fn price_upload(&self, ctx: &Context, files: &[String]) -> Option<Answer> {
        let url = files.first()?;
        let file = match self.webex.download_file(url).await {
            Ok(file) => file,
            Err(e) => {
                tracing::warn!(error = %e, tracking_id = e.tracking_id(), "cannot download a file sent to the bot");
                return Some(Answer::text(replies::FILE_DOWNLOAD_FAILED));
            }
        };
        if file.bytes.len() > replies::MAX_PRICE_FILE_BYTES {
            let named_csv = file
                .filename
                .as_deref()
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".csv"));
            return named_csv.then(|| Answer::text(replies::PRICE_FILE_TOO_BIG));
        }
        if !looks_like_price_file(&file.bytes) {
            return None;
        }
        let parsed = match PriceList::parse(&file.bytes) {
            Ok(parsed) => parsed,
            Err(e) => return Some(Answer::text(replies::price_file_refused(&e.to_string()))),
        };
        let csv = String::from_utf8_lossy(&file.bytes);
        let saved = self
            .store
            .save_prices(&ctx.person_id, &csv, self.clock.now())
            .await;
        Some(Answer::text(match saved {
            Ok(()) => replies::prices_saved(parsed.prices.len(), &parsed.warnings),
            Err(e) => {
                tracing::error!(error = %e, "cannot store a price file");
                replies::PRICES_NOT_SAVED.to_string()
            }
        }))
    }

    /// The person's prices when `command` is `renewals` and they sent a price file; a store
    /// failure is logged and the calendar comes without amounts.
    pub(super) async fn prices_for(&self, command: &Command, person_id: &str) -> Option<PriceList> {
        let Command::Report {
            report: ReportKind::Renewals(_),
            ..
        } = command
        else {
            return None;
        };
        match self.store.prices(person_id).await {
            Ok(csv) => PriceList::parse(csv?.as_bytes()).ok().map(|p| p.prices),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the person's prices; renewals without amounts");
                None
            }
        }
    }

    /// Deletes the person's prices (at sign-out); a failure is logged.
    pub(super) async fn forget_prices(&self, person_id: &str) {
        if let Err(e) = self.store.forget_prices(person_id).await {
            tracing::error!(error = %e, "cannot delete the person's prices at sign-out");
        }
    }
}
