//! A faithful, in-process simulator of the Webex messaging API (the contract of
//! `shared/webex-api.md`), with a control API so tests and the demo can act as people.
//!
//! # Layout
//! - [`server`]: [`router`] (every route, no prefix), [`spawn`] (127.0.0.1, free port),
//!   [`serve`] (a listener you bound), [`SimHandle`].
//! - [`state`]: [`SimState`] (shared world + live counters), [`SimConfig`], [`Stats`],
//!   [`Faults`], save/load of the world as JSON.
//! - `ops`: the rules (who may do what, limits, events, which webhooks fire), independent of HTTP;
//!   one file per resource, like `api`, plus `faults` (request counting and fault injection).
//! - `api`: the Webex REST routes under `/v1`, one file per resource; authentication,
//!   pagination, fault injection and request counting.
//! - `wdm`: receiving events with no public URL: the catalog `GET /u2c/api/v1/catalog`, the
//!   device registry `/wdm/api/v1/devices` and the device websocket `GET /mercury/ws/{id}`; the
//!   rules (queues, acks, replays, websocket faults) are in `ops::devices`.
//! - `control`: the `/_sim` routes below.
//! - `delivery`: webhook envelopes, `X-Spark-Signature`, asynchronous POSTs, disabling after
//!   repeated failures.
//! - `mentions`: markdown mentions → `text`, `html` (`<spark-mention>`), `mentionedPeople`.
//! - `model`, `ids`, [`error`]: stored objects and their Webex JSON, opaque ids, errors (Webex-shaped bodies with a `trackingId` and `TrackingID` header).
//!
//! # What it must not do
//! Know anything about licences or the bot; depend on the `webex` client crate (it implements
//! the HTTP contract with its own types, so the two check each other); read the environment;
//! keep tokens in clear (it stores SHA-256 digests, in memory and in state files).
//!
//! # Webex behaviour reproduced
//! - Bearer tokens (401 otherwise); ids are base64 of `ciscospark://us/<TYPE>/<uuid>`.
//! - A message `toPersonId`/`toPersonEmail` creates or reuses the 1:1 (direct) room.
//! - `text`/`markdown` over 7,439 UTF-8 bytes → 400 with Webex's exact sentence
//!   ([`error::TOO_LONG_MESSAGE`]); `parentId` must be a root message; one card, one file.
//! - Files: multipart `files` part or a URL in JSON `files` (fetched), served at
//!   `{public_base}/v1/contents/{id}` to members of the room (bearer token or the chat session
//!   cookie `sim_webex_token`).
//! - Edits: author only, at most 10, never of messages with files or cards.
//! - Lists: `max` and `Link: <{public_base}/v1/…?cursor=…&max=…>; rel="next"`; the link keeps only
//!   `cursor` and `max`, so clients must repeat their filters (a cursor used with other filters
//!   is a 400).
//! - Webhooks (`messages` created/updated/deleted/all, `attachmentActions` created/all): not for
//!   the author's own messages; the owner must be in the room; a bot in a group room only when
//!   mentioned. Envelope `{id, name, targetUrl, resource, event, filter, orgId, createdBy, appId,
//!   ownedBy, status, created, actorId, data}`; message data `{id, roomId, roomType, personId,
//!   personEmail, mentionedPeople?, created}` (no text); card data `{id, type, messageId,
//!   personId, roomId, created}` (no inputs). Card submits notify webhooks of the card's author.
//!   `X-Spark-Signature`: lowercase hex HMAC-SHA1 of the raw body with the secret. After
//!   [`SimConfig::webhook_failure_limit`] (100) failures within
//!   [`SimConfig::webhook_failure_window`] (5 min) the webhook turns `inactive` until a `PUT`
//!   sets `status: "active"`. No redelivery.
//! - Devices and their websocket (bearer tokens; a person sees only their own devices):
//!   `GET /u2c/api/v1/catalog?format=hostmap` → `{serviceLinks: {wdm, hydra, u2c}, format,
//!   timestamp}`; `GET|POST /wdm/api/v1/devices` (`{devices: [device]}` / register
//!   `{name, deviceName?, deviceType?, localizedModel?, model?, systemName?, systemVersion?}`);
//!   `GET|DELETE /wdm/api/v1/devices/{id}` (204; 404 when unknown or another's). A device is
//!   `{url: "{public_base}/wdm/api/v1/devices/{uuid}", webSocketUrl:
//!   "ws(s)://{public_base host and prefix}/mercury/ws/{uuid}", name, deviceName, deviceType,
//!   localizedModel, model, systemName, systemVersion, creationTime, modificationTime}`.
//!   Devices live in memory only (not in the state file).
//! - `GET /mercury/ws/{uuid}`: 404 before the upgrade for an unknown device (or a pending
//!   `handshake404` fault). The first client text frame must be `{"id", "type": "authorization",
//!   "data": {"token": "Bearer <token of the device's owner>"}}`, else the server closes with
//!   code 4401. One live connection per device: a newer one closes the older (code 4000, as
//!   does deleting the device). Whenever a new message would fire a `messages created` webhook
//!   for a person (the same rule, without filters), and for card submits to the card's author,
//!   each of that person's devices queues `{"id": frame uuid, "data": {"eventType":
//!   "conversation.activity", "activity": {id, objectType: "activity", verb: "post" | "share"
//!   (with files) | "cardAction", actor: {id, objectType: "person", emailAddress, entryUUID},
//!   object, target: {id, objectType: "conversation", tags: ["ONE_ON_ONE"] | []}, published}},
//!   "timestamp": ms, "trackingId"}`, where the ids are the bare uuids inside the REST ids.
//!   Frames go out in order; one stays queued until the client sends `{"type": "ack",
//!   "messageId": frame id}`, and is replayed to the device's next connection if none came.
//!   Frames queued while no connection is open are sent when one opens. Pings are answered.
//!
//! # Control API (`/_sim`, JSON, no authentication)
//! | route | body / query | answer |
//! |---|---|---|
//! | `POST /_sim/people` | `{email, displayName, orgId?, type?: "person"\|"bot"}` | `{person, token}` (409 on a known e-mail) |
//! | `GET /_sim/people` | | `{items: [person]}` |
//! | `GET /_sim/people/{id}/rooms` | | `{items: [room + members: [person]]}`, most recent first |
//! | `POST /_sim/tokens` | `{personId}` | `{token}` (another token for that person) |
//! | `POST /_sim/sessions` | `{personId}` | `{token}` and `Set-Cookie: sim_webex_token=…` (file downloads from a browser) |
//! | `POST /_sim/rooms` | `{title, memberIds: [id, …]}` (first = creator, moderator) | room |
//! | `POST /_sim/direct` | `{personA, personB}` | the direct room (created or reused), as A sees it |
//! | `GET /_sim/rooms/{id}/messages` | `?since=SEQ` (default 0) | `{items: [message]}` oldest first |
//! | `POST /_sim/say` | `{personId, roomId? \| toPersonId?, text, mentions?: [personId], parentId?, file?: {filename, contentType?, text}}` | message (a file is served at its `files` URL to the room's members); fires webhooks |
//! | `POST /_sim/submit` | `{personId, messageId, inputs: {…}}` | attachment action; fires webhooks |
//! | `GET /_sim/events` | `?since=SEQ&personId=ID&timeout=SECS` (default 25, max 60, 0 = no wait) | `{events: [{seq, kind, roomId, messageId?, message?, action?}], lastSeq}` |
//! | `GET /_sim/stats` | | [`Stats`] |
//! | `GET /_sim/deliveries` | | `{items: [`[`DeliveryRecord`]`]}` (last 1,000) |
//! | `GET /_sim/webhooks` | | `{items: [webhook without secret]}` of every owner |
//! | `POST /_sim/faults` | [`Faults`]: `{rateLimitEvery?, retryAfter?: "S", fail5xxEvery?, lockedEvery?, delayMs?, paths?: "/v1/x" \| ["/v1/x", …]}` | the settings; restarts the count |
//! | `GET /_sim/faults`, `DELETE /_sim/faults` | | the settings / 204 (none) |
//! | `POST /_sim/websocket/faults` | [`WebsocketFaults`]: `{dropAfterFrames?: n, handshake404?: n, dropOnAck?: n}` (replaces all) | what is left of them; `dropAfterFrames`: the connection that sends the n-th further frame is closed abruptly (no close frame) right after it; `handshake404`: the next n handshakes are answered 404; `dropOnAck`: the n-th further ack is not taken and its connection is closed abruptly (the frame is replayed) |
//! | `GET /_sim/websocket/faults` | | what is left of the websocket faults |
//! | `GET /_sim/websocket` | | `{devices: [{id, ownerId, name, connected, unacked, sent, acked, replayed}], connections, drops, handshake404s}`: `connections`: handshakes accepted; `drops`, `handshake404s`: faults fired |
//!
//! A control-API message is the Webex message plus `seq`, `personDisplayName`, `edits` and
//! `fileLinks: [{url, filename, contentType, size}]`; cards are in `attachments` as JSON.
//! `say` with `mentions` builds `markdown` `<@personId:ID|First> … text`, `text` `First … text`
//! and `html` with `<spark-mention data-object-type="person" data-object-id="ID">First</spark-mention>`.
//! Event kinds: `roomCreated`, `membershipCreated`, `messageCreated`, `messageUpdated`,
//! `messageDeleted`, `attachmentActionCreated`.

mod api;
mod control;
mod delivery;
pub mod error;
mod ids;
mod mentions;
mod model;
mod ops;
pub mod server;
pub mod state;
mod wdm;

pub use api::SESSION_COOKIE;
pub use error::{ApiError, SimError, TOO_LONG_MESSAGE, TRACKING_HEADER};
pub use model::{PersonType, RoomType, WebhookStatus};
pub use ops::{NewPerson, ADAPTIVE_CARD, MAX_EDITS, MAX_MESSAGE_BYTES};
pub use server::{router, serve, spawn, SimHandle};
pub use state::{DeliveryRecord, Faults, PathFilter, SimConfig, SimState, Stats, WebsocketFaults};
