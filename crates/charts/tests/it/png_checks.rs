//! Structural checks of the PNGs: they decode, have the size asked for, are not blank, carry
//! a title, and draw with the palette's colours.

use slbot_charts::{
    expirations_chart_data, mix_chart_data, render_png, status_chart_data, usage_chart_data,
    ChartData, Horizon, RenderOptions,
};
use slbot_inventory::Filters;

use crate::fixture::*;

fn render(data: impl Into<ChartData>, width: u32, height: u32) -> Image {
    let bytes = render_png(&data.into(), RenderOptions { width, height }).unwrap();
    Image::decode(&bytes)
}

fn assert_a_real_chart(img: &Image, width: u32, height: u32) {
    assert_eq!((img.width, img.height), (width, height));
    // Text is anti-aliased and bars are solid: a drawn chart has many colours.
    assert!(
        img.distinct_colours() > 40,
        "only {} colours",
        img.distinct_colours()
    );
    assert!(img.ink_share() > 0.05, "almost blank: {}", img.ink_share());
    // The title sits in the top band.
    assert!(img.dark_pixels_in_rows(0..height / 10) > 200, "no title");
}

#[test]
fn the_mix_chart_is_a_png_of_the_requested_size_with_each_architecture_colour() {
    let data = mix_chart_data(&inventory(), now(), &Filters::none()).unwrap();
    let img = render(data, 1000, 600);
    assert_a_real_chart(&img, 1000, 600);
    // Security (Alpha), Enterprise Networking (Beta), Data Center (Gamma), Collaboration
    // (Delta) and Uncategorized (Mystery) are all in use.
    for colour in [VERMILLION, BLUE, BLUISH_GREEN, ORANGE, GREY] {
        assert!(img.count(colour) > 50, "{colour:?} missing");
    }
}

#[test]
fn the_expirations_chart_stacks_with_the_palette() {
    let data =
        expirations_chart_data(&inventory(), now(), &Filters::none(), Horizon::DEFAULT).unwrap();
    let img = render(data, 1000, 600);
    assert_a_real_chart(&img, 1000, 600);
    for colour in [VERMILLION, BLUE, BLUISH_GREEN, ORANGE, GREY] {
        assert!(img.count(colour) > 50, "{colour:?} missing");
    }
}

#[test]
fn the_usage_chart_marks_shortages_in_vermillion_and_the_rest_in_blue() {
    let data = usage_chart_data(&inventory(), now(), &Filters::none()).unwrap();
    let img = render(data, 1000, 600);
    assert_a_real_chart(&img, 1000, 600);
    // Beta at Acme is 120 %: one vermillion bar; the others are blue.
    assert!(img.count(VERMILLION) > 500);
    assert!(img.count(BLUE) > 2000);
}

#[test]
fn the_status_image_has_its_tiles_and_both_panels() {
    let data = status_chart_data(&inventory(), now(), &Filters::none()).unwrap();
    let img = render(data, 1000, 600);
    assert_a_real_chart(&img, 1000, 600);
    for colour in [VERMILLION, BLUE, ORANGE] {
        assert!(img.count(colour) > 50, "{colour:?} missing");
    }
}

#[test]
fn charts_render_at_other_sizes_too() {
    let data: ChartData = usage_chart_data(&inventory(), now(), &Filters::none())
        .unwrap()
        .into();
    for (w, h) in [(480, 300), (640, 400), (1600, 900)] {
        let img = render(data.clone(), w, h);
        assert_eq!((img.width, img.height), (w, h));
        assert!(img.distinct_colours() > 20);
    }
}

#[test]
fn empty_charts_are_drawn_with_a_sentence_instead_of_failing() {
    let inv = empty();
    let all = Filters::none();
    let charts: Vec<ChartData> = vec![
        mix_chart_data(&inv, now(), &all).unwrap().into(),
        expirations_chart_data(&inv, now(), &all, Horizon::DEFAULT)
            .unwrap()
            .into(),
        usage_chart_data(&inv, now(), &all).unwrap().into(),
    ];
    for data in charts {
        let img = render(data.clone(), 1000, 600);
        assert_eq!((img.width, img.height), (1000, 600));
        // The title, and a sentence in the middle instead of bars.
        assert!(img.dark_pixels_in_rows(0..60) > 200, "{}", data.title());
        assert!(img.ink_share() > 0.002, "{}", data.title());
        assert!(
            img.dark_pixels_in_rows(260..340) > 0 || img.ink_share() > 0.01,
            "{}",
            data.title()
        );
        for colour in [BLUE, VERMILLION, BLUISH_GREEN, ORANGE] {
            assert_eq!(img.count(colour), 0, "{}", data.title());
        }
    }
}

#[test]
fn an_empty_status_image_still_shows_its_four_figures() {
    let data = status_chart_data(&empty(), now(), &Filters::none()).unwrap();
    let img = render(data, 1000, 600);
    assert_eq!((img.width, img.height), (1000, 600));
    // The tiles' accent colours, and no architecture bars (no green).
    for colour in [VERMILLION, ORANGE, BLUE] {
        assert!(img.count(colour) > 50, "{colour:?} missing");
    }
    assert_eq!(img.count(BLUISH_GREEN), 0);
}

/// Crowded and extreme inputs still draw: many accounts, a ten-year horizon, an outlier far
/// past 100 %, and the smallest accepted size.
#[test]
fn crowded_and_extreme_charts_still_draw() {
    let accounts: Vec<serde_json::Value> = (0..20)
        .map(|i| {
            serde_json::json!({"accountName": format!("Account number {i} with a long name"),
                               "accountDomain": format!("a{i}.example")})
        })
        .collect();
    let mut licenses = serde_json::Map::new();
    for i in 0..20 {
        licenses.insert(
            format!("a{i}.example"),
            serde_json::json!([
                {"license": "Alpha License", "virtualAccount": "DEFAULT", "quantity": 1,
                 "inUse": 50 + i,
                 "licenseDetails": [{"quantity": 5, "endDate": format!("20{}-06-30", 27 + i / 3)}]},
                {"license": "Beta License", "virtualAccount": "DEFAULT", "quantity": 100,
                 "inUse": 10 + i, "licenseDetails": []},
            ]),
        );
    }
    let inv = load(serde_json::json!({"accounts": accounts, "licenses": licenses}));
    let all = Filters::none();
    let cases: Vec<(&str, ChartData, (u32, u32))> = vec![
        (
            "many-accounts",
            mix_chart_data(&inv, now(), &all).unwrap().into(),
            (1000, 600),
        ),
        (
            "ten-years",
            expirations_chart_data(&inv, now(), &all, Horizon::months(120).unwrap())
                .unwrap()
                .into(),
            (1000, 600),
        ),
        (
            "outliers",
            usage_chart_data(&inv, now(), &all).unwrap().into(),
            (1000, 600),
        ),
        (
            "small-status",
            status_chart_data(&inv, now(), &all).unwrap().into(),
            (480, 300),
        ),
    ];
    for (name, data, (w, h)) in cases {
        let bytes = render_png(
            &data,
            RenderOptions {
                width: w,
                height: h,
            },
        )
        .unwrap();
        let img = Image::decode(&bytes);
        assert_eq!((img.width, img.height), (w, h), "{name}");
        assert!(img.distinct_colours() > 20, "{name}");
    }
}
