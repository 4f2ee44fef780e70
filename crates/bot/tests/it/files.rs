//! Files: exports as CSV and XLSX, and the long report cut at Webex's size limit with the full
//! list attached in the next message.

use std::io::Cursor;

use calamine::Reader;

use crate::harness::{anchor, spawn_app, spawn_app_with, Options, Posted};
use crate::naive::headline;

const LIMIT: usize = 7439;

fn csv_rows(bytes: &[u8]) -> (Vec<String>, usize) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let rows = rows.len();
    (header, rows)
}

fn file_of(message: &Posted) -> &(String, String, String) {
    assert_eq!(message.files.len(), 1, "{message:#?}");
    &message.files[0]
}

#[tokio::test]
async fn export_attaches_a_csv_with_one_row_per_entitlement_line() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 1).await;
    let room = app.direct(&alice).await;
    let replies = app.say(&alice, &room, "export").await;
    let message = replies
        .iter()
        .find(|m| !m.files.is_empty())
        .unwrap_or_else(|| panic!("no file in {replies:#?}"));
    let (url, filename, content_type) = file_of(message);
    assert!(filename.ends_with(".csv"), "{filename}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let (header, rows) = csv_rows(&app.download(url, &alice).await);
    assert!(header.len() > 5, "{header:?}");
    assert_eq!(rows, app.dataset.export_rows(1));
}

#[tokio::test]
async fn export_xlsx_attaches_a_workbook_that_opens() {
    let app = spawn_app().await;
    let alice = app.signed_in("alice", 2).await;
    let room = app.direct(&alice).await;
    let replies = app.say(&alice, &room, "export xlsx").await;
    let message = replies
        .iter()
        .find(|m| !m.files.is_empty())
        .unwrap_or_else(|| panic!("no file in {replies:#?}"));
    let (url, filename, _) = file_of(message);
    assert!(filename.ends_with(".xlsx"), "{filename}");
    let bytes = app.download(url, &alice).await;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).unwrap();
    // A header row, then one row per entitlement line.
    assert_eq!(range.height(), app.dataset.export_rows(2) + 1);
}

#[tokio::test]
async fn a_report_over_the_size_limit_is_cut_and_the_full_list_follows_as_csv() {
    let app = spawn_app_with(Options {
        data: slbot_sim_cssm::GenParams {
            seed: 5,
            accounts: 4,
            virtual_accounts: 4,
            licenses_per_va: 30,
            anchor: anchor(),
            lines_per_record: None,
        },
        ..Options::default()
    })
    .await;
    let alice = app.signed_in("alice", 0).await;
    let room = app.direct(&alice).await;
    let n = app.dataset.usage(0);
    assert!(n > 100, "the test needs a long list, the data has {n} rows");

    let replies = app.say(&alice, &room, "usage").await;
    assert_eq!(replies.len(), 2, "{replies:#?}");
    let cut = &replies[0];
    assert_eq!(cut.headline(), headline::usage(n));
    assert!(cut.markdown.len() <= LIMIT, "{} bytes", cut.markdown.len());
    assert!(
        cut.markdown.len() > LIMIT / 2,
        "the cut leaves most of the space used"
    );
    let shown = cut
        .markdown
        .lines()
        // Rows sit under account → virtual account, two levels in.
        .filter(|l| l.starts_with("        * "))
        .count();
    let footer = cut.markdown.lines().last().unwrap();
    assert_eq!(
        footer,
        format!("…and {} more. The full list is attached.", n - shown)
    );
    let (url, filename, _) = file_of(&replies[1]);
    assert!(filename.ends_with(".csv"), "{filename}");
    let (_, rows) = csv_rows(&app.download(url, &alice).await);
    assert_eq!(rows, n);
}
