//! Devices (Webex's WDM): how a bot with no public URL gets a websocket. [`WebexClient::discover_wdm`]
//! finds the device service in the catalog, [`WebexClient::ensure_device`] keeps one
//! registration per name (reusing it across restarts and deleting stale duplicates), and
//! [`WebexClient::replace_device`] starts afresh after the websocket handshake answered 404.
//! Opening the websocket itself is [`WebexClient::open_websocket`], in `mercury`.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::body::Body;
use crate::client::WebexClient;
use crate::error::WebexError;

/// The name the bot registers its device under (and looks for when reusing one).
pub const DEVICE_NAME: &str = "slbot";

/// The production service catalog (`GET {DEFAULT_U2C_URL}/catalog?format=hostmap`).
pub const DEFAULT_U2C_URL: &str = "https://u2c.wbx2.com/u2c/api/v1";

/// A registered device, as WDM returns it (other fields are ignored). Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// The device's own URL (`…/wdm/api/v1/devices/{uuid}`): what `DELETE` is sent to.
    pub url: String,
    /// Where its websocket opens (`wss://…`).
    pub web_socket_url: String,
    pub name: String,
    pub device_type: Option<String>,
    /// RFC 3339; the newest registration of a name is the one reused.
    pub creation_time: Option<String>,
}

/// What `POST {wdm}/devices` sends: the fields Webex's own desktop clients send.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Registration<'a> {
    device_name: &'a str,
    device_type: &'a str,
    localized_model: &'a str,
    model: &'a str,
    name: &'a str,
    system_name: &'a str,
    system_version: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Catalog {
    service_links: ServiceLinks,
}

#[derive(Deserialize)]
struct ServiceLinks {
    wdm: Option<String>,
}

/// `{"devices": [...]}`; each entry is read on its own, so a device of another shape (a phone,
/// a room system) is skipped instead of failing the list.
#[derive(Deserialize)]
struct DeviceList {
    devices: Vec<serde_json::Value>,
}

/// An http(s) service URL with no credentials, query or fragment.
fn service_url(raw: &str, what: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("the {what} URL is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(format!("the {what} URL must be an http(s) URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("the {what} URL must not carry credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("the {what} URL must not have a query or fragment"));
    }
    Ok(url)
}

/// `base` with `segments` appended, each one path segment.
fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        // `service_url` refused cannot-be-a-base URLs, so this branch always runs.
        path.pop_if_empty().extend(segments);
    }
    url
}

/// The newest of `devices` (by `creationTime`; on a tie, the later in the list).
fn newest(devices: &[Device]) -> Option<usize> {
    devices
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| a.creation_time.cmp(&b.creation_time))
        .map(|(i, _)| i)
}

impl WebexClient {
    /// `GET {u2c}/catalog?format=hostmap` → `serviceLinks.wdm`, the device service. `u2c` is
    /// [`DEFAULT_U2C_URL`] in production or a simulator's `…/u2c/api/v1`.
    pub async fn discover_wdm(&self, u2c: &str) -> Result<Url, WebexError> {
        let base = service_url(u2c, "catalog").map_err(WebexError::InvalidInput)?;
        let mut url = join(&base, &["catalog"]);
        url.query_pairs_mut().append_pair("format", "hostmap");
        let answer = self.call(Method::GET, url, &Body::Empty).await?;
        let catalog: Catalog = answer.decode()?;
        let wdm = catalog
            .service_links
            .wdm
            .ok_or_else(|| answer.bad_data("the catalog has no serviceLinks.wdm".into()))?;
        service_url(&wdm, "device service").map_err(|reason| answer.bad_data(reason))
    }

    /// `GET {wdm}/devices`: this token's devices that have a websocket.
    pub async fn list_devices(&self, wdm: &Url) -> Result<Vec<Device>, WebexError> {
        let answer = self
            .call(Method::GET, join(wdm, &["devices"]), &Body::Empty)
            .await?;
        let list: DeviceList = answer.decode()?;
        Ok(list
            .devices
            .into_iter()
            .filter_map(|d| serde_json::from_value(d).ok())
            .collect())
    }

    /// `POST {wdm}/devices`: a new desktop device named `name`.
    pub async fn register_device(&self, wdm: &Url, name: &str) -> Result<Device, WebexError> {
        let body = Body::json(&Registration {
            device_name: name,
            device_type: "DESKTOP",
            localized_model: "rust",
            model: "rust",
            name,
            system_name: DEVICE_NAME,
            system_version: env!("CARGO_PKG_VERSION"),
        })?;
        let device: Device = self
            .call_json(Method::POST, join(wdm, &["devices"]), &body)
            .await?;
        tracing::info!(device = %device.url, "registered a Webex device");
        Ok(device)
    }

    /// `DELETE {device.url}`; a device already gone (404) counts as deleted.
    pub async fn delete_device(&self, device: &Device) -> Result<(), WebexError> {
        let url = service_url(&device.url, "device").map_err(WebexError::InvalidInput)?;
        match self.call(Method::DELETE, url, &Body::Empty).await {
            Ok(_) | Err(WebexError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Lists the devices, reuses the newest one named `name` and deletes the other devices of
    /// ours with that name (stale registrations of earlier runs); registers one when none
    /// exists. A stale device that cannot be deleted is logged and left.
    pub async fn ensure_device(&self, wdm: &Url, name: &str) -> Result<Device, WebexError> {
        let mut mine: Vec<Device> = self
            .list_devices(wdm)
            .await?
            .into_iter()
            .filter(|d| d.name == name)
            .collect();
        let Some(keep) = newest(&mine) else {
            return self.register_device(wdm, name).await;
        };
        let device = mine.swap_remove(keep);
        for stale in &mine {
            match self.delete_device(stale).await {
                Ok(()) => tracing::info!(device = %stale.url, "deleted a stale Webex device"),
                Err(e) => tracing::warn!(
                    device = %stale.url,
                    error = %e,
                    "cannot delete a stale Webex device"
                ),
            }
        }
        Ok(device)
    }

    /// Deletes `stale` (already gone is fine) and registers a fresh device named `name`: what
    /// to do after [`crate::ConnectError::NotFound`].
    pub async fn replace_device(
        &self,
        wdm: &Url,
        name: &str,
        stale: &Device,
    ) -> Result<Device, WebexError> {
        self.delete_device(stale).await?;
        self.register_device(wdm, name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(url: &str, created: Option<&str>) -> Device {
        Device {
            url: url.into(),
            web_socket_url: format!("{url}/ws"),
            name: DEVICE_NAME.into(),
            device_type: Some("DESKTOP".into()),
            creation_time: created.map(String::from),
        }
    }

    #[test]
    fn the_newest_registration_wins_and_a_tie_goes_to_the_later_one() {
        let list = [
            device("a", Some("2026-03-01T09:00:00.000Z")),
            device("b", Some("2026-03-02T09:00:00.000Z")),
            device("c", Some("2026-03-01T10:00:00.000Z")),
        ];
        assert_eq!(newest(&list), Some(1));
        let tie = [
            device("a", Some("2026-03-01T09:00:00.000Z")),
            device("b", Some("2026-03-01T09:00:00.000Z")),
        ];
        assert_eq!(newest(&tie), Some(1));
        assert_eq!(newest(&[]), None);
    }

    #[test]
    fn service_urls_must_be_plain_http_or_https() {
        assert!(service_url("https://wdm-a.wbx2.com/wdm/api/v1", "x").is_ok());
        for bad in [
            "wss://wdm-a.wbx2.com/wdm/api/v1",
            "https://u:p@wdm-a.wbx2.com/wdm/api/v1",
            "https://wdm-a.wbx2.com/wdm/api/v1?x=1",
            "nonsense",
        ] {
            assert!(service_url(bad, "x").is_err(), "{bad}");
        }
        let base = service_url("https://wdm-a.wbx2.com/wdm/api/v1/", "x").unwrap();
        assert_eq!(
            join(&base, &["devices"]).as_str(),
            "https://wdm-a.wbx2.com/wdm/api/v1/devices"
        );
    }
}
